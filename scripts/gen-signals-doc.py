"""Write docs/signals.md from the feature catalogue (run after adding a feature)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fraud.signals import registered_signals  # noqa: E402

HEADER = """# Signals and features

Generated from the code by `scripts/gen-signals-doc.py`; a test keeps it in sync.
Each signal family is a module under `fraud/signals/`. `None` means unknown (for
example no phone was given): rules treat unknown as "no evidence", the model as missing.
Kinds: `num` number, `bool` yes/no, `cat` category, `text` shown to reviewers only.
"""


def render() -> str:
    out = [HEADER]
    for signal in registered_signals():
        needs = f" (needs: {', '.join(signal.requires)})" if signal.requires else ""
        out.append(f"\n## {signal.name}{needs}\n\n| feature | kind | meaning |\n|---|---|---|")
        for f in signal.features:
            out.append(f"| `{f.name}` | {f.kind} | {f.description} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    target = Path(__file__).resolve().parents[1] / "docs" / "signals.md"
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")
