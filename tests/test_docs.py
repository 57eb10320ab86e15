"""Documentation that must not drift from the code."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

from fraud.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [n for n in Settings.model_fields if f"`FRAUD_{n.upper()}`" not in readme]
    assert missing == []


def test_readme_documents_no_setting_that_does_not_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`FRAUD_([A-Z_]+)`", readme))
    known = {n.upper() for n in Settings.model_fields} | {"TEST_POSTGRES_URL", "ECOMMERCE_DATA"}
    assert documented - known == set()


def test_signals_doc_matches_the_feature_catalogue():
    gen = _script("gen-signals-doc")
    current = (ROOT / "docs" / "signals.md").read_text(encoding="utf-8")
    assert current == gen.render(), "run: .venv/bin/python scripts/gen-signals-doc.py"



def test_readme_score_example_shows_the_services_real_answer():
    gen = _script("gen-readme-example")
    order = json.loads(gen.ORDER_FILE.read_text(encoding="utf-8"))
    answer = gen.real_answer(order)
    hint = "run: .venv/bin/python scripts/gen-readme-example.py"
    assert gen.DECISION_FILE.read_text(encoding="utf-8") == gen.decision_json(answer), hint
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == gen.render_readme(readme, order, answer), hint


def test_readme_curl_body_is_the_example_order():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    body = re.search(r"-d '(\{.*?\n\})'", readme, re.S)
    assert body is not None
    assert json.loads(body.group(1)) == json.loads(
        (ROOT / "api" / "examples" / "order.json").read_text(encoding="utf-8"))


def test_the_demo_data_shares_no_linking_key_with_the_readme_order():
    """So `make run` (demo data loaded) answers the README example as an empty store does:
    history signals only ever look orders up by these keys."""
    from fraud.demo import SAMPLE_ORDERS
    from fraud.keys import order_keys
    from fraud.schema import parse_order
    from fraud.simulate import read_orders

    example = order_keys(parse_order((ROOT / "api" / "examples" / "order.json").read_bytes()))
    mine = {("account", example.account), *example.linked().items()}
    shared = set()
    for data in read_orders(SAMPLE_ORDERS):
        keys = order_keys(parse_order(data))
        shared |= mine & {("account", keys.account), *keys.linked().items()}
    assert shared == set()
