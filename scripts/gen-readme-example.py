"""Write the README's score example from the service's real answer.

Sends api/examples/order.json through the app (bundled rules and model, an empty
store, as `make run` starts), then writes the answer to api/examples/decision.json
(the example on the OpenAPI page) and both the curl command and the answer into the
README between the `readme-example` markers. Run it after changing the rules, the
model or the words of a reason; tests/test_docs.py fails until you do.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

README = ROOT / "README.md"
ORDER_FILE = ROOT / "api" / "examples" / "order.json"
DECISION_FILE = ROOT / "api" / "examples" / "decision.json"
WIDTH = 96
BLOCK = re.compile(r"(<!-- readme-example:(\w+) -->\n).*?(<!-- /readme-example:\2 -->)", re.S)


def real_answer(order: dict[str, Any]) -> dict[str, Any]:
    """What `POST /v1/score` answers for ``order`` on a fresh store with the defaults."""
    from fastapi.testclient import TestClient

    from api.main import create_app
    from fraud.runtime import Runtime
    from fraud.settings import Settings
    from fraud.store import apikeys

    with tempfile.TemporaryDirectory(prefix="readme-example-") as folder:
        settings = Settings(data_dir=Path(folder), _env_file=None)
        runtime = Runtime.start(settings)
        try:
            with runtime.sessions() as session:
                key = apikeys.create_api_key(session, "readme-example")
            with TestClient(create_app(settings, runtime=runtime)) as client:
                response = client.post(
                    "/v1/score", json=order, headers={"Authorization": f"Bearer {key}"}
                )
        finally:
            runtime.close()
    if response.status_code != 200:
        raise SystemExit(f"the example order was refused: {response.text}")
    return response.json()


def _wrapped(prefix: str, value: Any) -> str:
    """``"key": {...}`` packed into lines of at most WIDTH, continuation under the brace."""
    if not isinstance(value, dict):
        return prefix + json.dumps(value, ensure_ascii=False)
    parts = [f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in value.items()]
    lines, line, fresh = [], prefix + "{", True
    indent = " " * len(line)
    for i, part in enumerate(parts):
        piece = part + ("}" if i == len(parts) - 1 else ",")
        if not fresh and len(line) + 1 + len(piece) > WIDTH:
            lines.append(line)
            line, fresh = indent, True
        line += piece if fresh else " " + piece
        fresh = False
    return "\n".join([*lines, line])


def curl_command(order: dict[str, Any]) -> str:
    text = ",\n".join(_wrapped(f"  {json.dumps(key)}: ", value) for key, value in order.items())
    if "'" in text:
        raise SystemExit("the example order must not contain a single quote (shell quoting)")
    return (
        "```sh\ncurl -s http://127.0.0.1:8000/v1/score \\\n"
        "  -H 'Authorization: Bearer fsk_demo' -H 'Content-Type: application/json' -d '{\n"
        f"{text}\n}}'\n```\n"
    )


def decision_json(answer: dict[str, Any]) -> str:
    return json.dumps(answer, indent=2, ensure_ascii=False) + "\n"


def answer_block(answer: dict[str, Any]) -> str:
    return f"```json\n{decision_json(answer)}```\n"


def render_readme(readme: str, order: dict[str, Any], answer: dict[str, Any]) -> str:
    blocks = {"request": curl_command(order), "answer": answer_block(answer)}
    found = {m.group(2) for m in BLOCK.finditer(readme)}
    if found != set(blocks):
        raise SystemExit(f"README needs the readme-example markers for {sorted(blocks)}")
    return BLOCK.sub(lambda m: m.group(1) + blocks[m.group(2)] + m.group(3), readme)


def main() -> None:
    order = json.loads(ORDER_FILE.read_text(encoding="utf-8"))
    answer = real_answer(order)
    DECISION_FILE.write_text(decision_json(answer), encoding="utf-8")
    README.write_text(
        render_readme(README.read_text(encoding="utf-8"), order, answer), encoding="utf-8"
    )
    print(f"wrote {DECISION_FILE.relative_to(ROOT)} and the example in {README.name}")


if __name__ == "__main__":
    main()
