"""Model registry, hot reload and the `fraud models` commands."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import typer
from tinymodel import shared_sample, write_model
from typer.testing import CliRunner

from fraud.errors import ModelError, NotFound
from fraud.model.registry import ModelHolder, ModelRegistry

V1, V2 = "2026-11-01-sim-aaaaaaaa", "2026-11-20-sim-bbbbbbbb"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("built")
    sample = shared_sample()
    write_model(root, sample, version=V1, rounds=10, created_at="2026-11-01T10:00:00+00:00")
    write_model(root, sample, version=V2, rounds=20, created_at="2026-11-20T10:00:00+00:00")
    return root


@pytest.fixture
def model_dir(built: Path, tmp_path: Path) -> Path:
    target = tmp_path / "models"
    shutil.copytree(built, target)
    return target


def _break(folder: Path) -> None:
    (folder / "model.txt").write_text("not a model\n")


def test_versions_list_card_details_and_the_current_one(model_dir: Path) -> None:
    registry = ModelRegistry(model_dir)
    (model_dir / "notes").mkdir()  # a folder without model.txt is not a version
    registry.promote(V1)
    infos = registry.versions()
    assert [i.version for i in infos] == [V1, V2]
    assert [i.is_current for i in infos] == [True, False]
    assert infos[1].created_at == "2026-11-20T10:00:00+00:00"
    assert infos[0].metrics == {"roc_auc": 0.9, "pr_auc": 0.5}


def test_without_current_the_rules_alone_decide(model_dir: Path) -> None:
    registry = ModelRegistry(model_dir)
    assert registry.current_version() is None
    assert registry.load() is None


def test_promote_writes_current_and_history(model_dir: Path) -> None:
    registry = ModelRegistry(model_dir)
    assert registry.promote(V1).version == V1
    assert registry.promote(V2).version == V2
    assert (model_dir / "CURRENT").read_text() == f"{V2}\n"
    assert registry.history() == [V1, V2]
    assert registry.load().version == V2
    assert not list(model_dir.glob(".*.tmp"))  # temporary files replaced, not left behind


def test_rollback_returns_to_the_previously_promoted_version(model_dir: Path) -> None:
    registry = ModelRegistry(model_dir)
    registry.promote(V1)
    registry.promote(V2)
    assert registry.rollback() == V1
    assert registry.current_version() == V1
    with pytest.raises(ModelError, match="no earlier promoted version"):
        registry.rollback()
    assert registry.current_version() == V1


def test_promoting_a_broken_model_is_refused_and_changes_nothing(model_dir: Path) -> None:
    registry = ModelRegistry(model_dir)
    registry.promote(V1)
    _break(model_dir / V2)
    with pytest.raises(ModelError, match="not a LightGBM model"):
        registry.promote(V2)
    assert registry.current_version() == V1
    assert registry.history() == [V1]


def test_unknown_or_path_like_versions_are_refused(model_dir: Path) -> None:
    registry = ModelRegistry(model_dir)
    with pytest.raises(NotFound, match="not found"):
        registry.promote("2020-01-01-sim-00000000")
    with pytest.raises(ModelError, match="not a model version name"):
        registry.promote("../elsewhere")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_holder_picks_up_a_promotion_without_restart(model_dir: Path) -> None:
    registry = ModelRegistry(model_dir)
    registry.promote(V1)
    clock = FakeClock()
    holder = ModelHolder(registry, clock=clock)
    assert holder.reload() is None and holder.current.version == V1
    registry.promote(V2)
    assert holder.maybe_reload() is None
    assert holder.current.version == V2


def test_holder_looks_at_current_at_most_once_a_second(model_dir: Path) -> None:
    registry = ModelRegistry(model_dir)
    registry.promote(V1)
    clock = FakeClock()
    holder = ModelHolder(registry, clock=clock)
    holder.reload()
    holder.maybe_reload()  # looked at t=0
    registry.promote(V2)
    clock.now = 0.5
    holder.maybe_reload()
    assert holder.current.version == V1
    clock.now = 1.0
    holder.maybe_reload()
    assert holder.current.version == V2


def test_holder_keeps_the_previous_model_when_the_new_one_is_broken(model_dir: Path) -> None:
    registry = ModelRegistry(model_dir)
    registry.promote(V1)
    holder = ModelHolder(registry, clock=FakeClock())
    holder.reload()
    _break(model_dir / V2)
    (model_dir / "CURRENT").write_text(f"{V2}\n")  # edited by hand, bypassing promote's check
    error = holder.reload()
    assert isinstance(error, ModelError) and "not a LightGBM model" in error.message
    assert holder.current.version == V1
    assert holder.problem == error.message


def test_pinned_holder_ignores_current(model_dir: Path) -> None:
    registry = ModelRegistry(model_dir)
    registry.promote(V2)
    holder = ModelHolder(registry, pinned=V1, clock=FakeClock())
    holder.reload()
    assert holder.current.version == V1


def _cli() -> typer.Typer:
    from fraud.cli.models import models_list, models_promote, models_rollback

    app = typer.Typer()
    app.command("list")(models_list)
    app.command("promote")(models_promote)
    app.command("rollback")(models_rollback)
    return app


def test_models_commands_list_promote_and_rollback(model_dir: Path, monkeypatch) -> None:
    from fraud.settings import get_settings

    monkeypatch.setenv("FRAUD_MODEL_DIR", str(model_dir))
    # promote and rollback are recorded in the store's evidence chain: a store of its own
    monkeypatch.setenv("FRAUD_DATA_DIR", str(model_dir.parent / "store"))
    get_settings.cache_clear()
    try:
        runner, app = CliRunner(), _cli()
        assert "rules alone decide" in runner.invoke(app, ["list"]).output
        assert runner.invoke(app, ["promote", V1]).exit_code == 0
        result = runner.invoke(app, ["promote", V2])
        assert result.exit_code == 0 and f"current model: {V2}" in result.output
        listing = runner.invoke(app, ["list"]).output.splitlines()
        assert listing[0].startswith(f"  {V1}") and listing[1].startswith(f"* {V2}")
        assert "roc_auc=0.900" in listing[1]
        assert f"current model: {V1}" in runner.invoke(app, ["rollback"]).output
        failed = runner.invoke(app, ["promote", "nope"])
        assert failed.exit_code == 1 and "not found" in failed.output
    finally:
        get_settings.cache_clear()
