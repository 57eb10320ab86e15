"""A shop's own signal reaches the service through the documented extension point:
the example in docs/extending.md, loaded by name (setting) or by entry point."""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from factories import guest, make_order

from fraud.errors import ConfigError
from fraud.rules import default_rules_path
from fraud.settings import BUNDLED_MODEL_DIR, Settings, get_settings
from fraud.signals import (
    entry_point_modules,
    feature_catalogue,
    load_signal_modules,
    registered_signals,
    unregister_signal,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "extending.md"


def _doc_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


@pytest.fixture
def shop_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """``myshop.signals`` on sys.path, its code copied from docs/extending.md."""
    package = tmp_path / "site" / "myshop"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "signals.py").write_text(_doc_blocks("python")[0])
    monkeypatch.syspath_prepend(str(package.parent))
    yield package.parent
    unregister_signal("myshop_watchlist")
    for name in ("myshop.signals", "myshop"):
        sys.modules.pop(name, None)
    get_settings.cache_clear()


def _rules_with_the_docs_rule(tmp_path: Path) -> Path:
    rules = yaml.safe_load(default_rules_path().read_text(encoding="utf-8"))
    rules["version"] = "shop-1"
    rules["rules"] += yaml.safe_load(_doc_blocks("yaml")[0])
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(rules, sort_keys=False), encoding="utf-8")
    return path


def _guest_order_of_a_watched_article():  # noqa: ANN202 - Order
    return make_order(
        **guest(),
        items=[{"sku": "ECU-BMW-E90-0261", "category": "electronics", "unit_price": "389.00",
                "quantity": 1}],
        payment={"amount": "389.00"},
    )


def test_a_shop_signal_named_in_the_settings_reaches_the_service_decisions_and_rules(
    shop_package: Path, tmp_path: Path
) -> None:
    from fraud.runtime import Runtime

    settings = Settings(
        data_dir=tmp_path / "store",
        rules_path=_rules_with_the_docs_rule(tmp_path),
        signal_modules="myshop.signals",
        _env_file=None,
    )
    runtime = Runtime.start(settings)
    try:
        stored = runtime.score(_guest_order_of_a_watched_article())
    finally:
        runtime.close()
    decision = stored.decision
    assert stored.features["watched_items"] == 1 and stored.features["watched_only"] is True
    assert "watched_articles_as_guest" in {hit.rule_id for hit in decision.rule_hits
                                           if hit.status == "hit"}
    assert any(r.code == "watched_articles_as_guest" for r in decision.reasons)
    # the bundled model, trained without the shop's features, still serves
    bundled = (BUNDLED_MODEL_DIR / "CURRENT").read_text().strip()
    assert decision.versions.model == bundled
    assert decision.model_probability is not None
    assert "model" not in decision.signals_unavailable
    assert "model" not in runtime.problems


def test_the_setting_is_read_from_the_environment_by_every_command(
    shop_package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRAUD_SIGNAL_MODULES", "myshop.signals")
    get_settings.cache_clear()
    assert feature_catalogue()["watched_items"].signal == "myshop_watchlist"
    assert [s.name for s in registered_signals()][-1] == "myshop_watchlist"


def test_a_shop_signal_declared_as_an_entry_point_is_found(shop_package: Path) -> None:
    dist = shop_package / "myshop-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: myshop\nVersion: 1.0\n")
    # what pip writes for the pyproject.toml table in docs/extending.md
    declared = tomllib.loads(_doc_blocks("toml")[0])["project"]["entry-points"]
    (dist / "entry_points.txt").write_text(
        "".join(f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items())
                for group, eps in declared.items())
    )
    assert "myshop.signals" in entry_point_modules()
    load_signal_modules(entry_point_modules())
    assert "watched_items" in feature_catalogue()


def test_the_built_in_signals_are_modules_of_the_same_shape() -> None:
    import importlib

    from fraud.signals import _BUILTINS

    for module in _BUILTINS:
        signals = importlib.import_module(module).SIGNALS
        assert [s.name for s in signals] == [module.rsplit(".", 1)[1]]
        assert load_signal_modules([module]) == list(signals)  # loading again is harmless


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (None, "cannot be imported: ModuleNotFoundError"),
        ("X = 1\n", "must define SIGNALS"),
        ("from fraud.signals.basket import SIGNALS as B\n"
         "from fraud.signals import Signal\n"
         "SIGNALS = [Signal('basket', B[0].compute, [])]\n", "'basket' is already registered"),
        ("from fraud.domain import Feature\nfrom fraud.signals import Signal\n"
         "SIGNALS = [Signal('mine', lambda o, c: {}, [Feature('amount_eur', 'num', 'Mine.')])]\n",
         "redefines features \\['amount_eur'\\]"),
    ],
)
def test_a_bad_signal_module_is_refused_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str | None, message: str
) -> None:
    if source is not None:
        (tmp_path / "bad_signals.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "bad_signals", raising=False)
    with pytest.raises(ConfigError, match=f"signal module 'bad_signals'.*{message}"):
        load_signal_modules(["bad_signals"])
    assert "mine" not in {s.name for s in registered_signals()}


def test_the_setting_refuses_a_name_that_is_no_module() -> None:
    with pytest.raises(ValueError, match="'my shop' is not a Python module name"):
        Settings(signal_modules="myshop.signals, my shop", _env_file=None)
    assert Settings(signal_modules=" a.b ,c ", _env_file=None).signal_modules == ("a.b", "c")


def test_serve_refuses_a_signal_module_it_cannot_import_in_one_line() -> None:
    from typer.testing import CliRunner

    from fraud.cli import app

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            app, ["serve", "--port", "1"], env={"FRAUD_SIGNAL_MODULES": "myshop_missing.signals"}
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert "error: signal module 'myshop_missing.signals' cannot be imported" in result.output
    assert "Traceback" not in result.output
