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

**Linked outcomes** (`linked_fraud_weight`, `linked_fraud_strong`,
`linked_refund_weight`) are weighed, not counted (`fraud/links.py`). An earlier
order with a chargeback, confirmed fraud or refund known before this order links
through each key the two share; the link weighs *control x specificity x
recency*: control is 1 for a key the fraudster chooses (shipping address,
device, and e-mail or phone of another account or guest) and 0.3 for a card or
IP address, 0.2 for the account itself (a victim's identity brings those: after a
stolen card or a taken-over account the real owner keeps ordering);
specificity is 1 / the other customers who used the key in the 30 days before
(at least 1; counted among the key's latest 200 orders there), so a carrier's NAT
address or an office network shared by twenty customers passes on a twentieth;
recency halves the weight every 90 days, and links older than 365 days are not
read. Each linked order counts once, by its
strongest link. One link through an IP, card or account weighs at most 0.3,
below the 0.35 of the `linked_fraud_weight` rule. History reads at most the
latest 200 orders per key (`LINK_LIMIT`) in the 30-day window, and for linked bad
outcomes the latest 200 per key within 365 days; of the account it reads the latest
1,000 orders (`ACCOUNT_LIMIT`), so `account_prior_orders` counts at most 1,000. A busy
key's look-up stops growing there (measured in
[reliability.md](reliability.md#busy-keys)).
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
