"""The example of ``POST /v1/score`` shown on the OpenAPI page and in the README.

``decision.json`` is the service's real answer to ``order.json`` (bundled rules and
model, empty store), written by ``scripts/gen-readme-example.py``; tests/test_docs.py
fails when the answer or the README no longer match.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


def _load(name: str) -> dict[str, Any]:
    return json.loads((HERE / name).read_text(encoding="utf-8"))


ORDER = _load("order.json")
DECISION = _load("decision.json")
