"""Documentation that must not drift from the code."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from fraud.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


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
    spec = importlib.util.spec_from_file_location("gen", ROOT / "scripts" / "gen-signals-doc.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    current = (ROOT / "docs" / "signals.md").read_text(encoding="utf-8")
    assert current == gen.render(), "run: .venv/bin/python scripts/gen-signals-doc.py"
