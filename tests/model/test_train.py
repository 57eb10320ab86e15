"""Training end to end: the artifact contract, the model card, promotion, and the
``train``/``evaluate`` command functions."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from fraud.cli.model import evaluate_command, train_command
from fraud.errors import NotFound
from fraud.model.estimator import FraudModel
from fraud.model.train import TrainConfig, make_version, promote, train
from fraud.settings import Settings

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def trained(raw, tmp_path_factory, sim_files):  # noqa: ANN001, ANN201
    from fraud.simulate import read_truth

    out = tmp_path_factory.mktemp("models")
    config = TrainConfig(model_params={"n_estimators": 30})
    return train(raw, Settings(), config, out_dir=out, truth=read_truth(sim_files["truth"]),
                 promote_version=True, now=NOW)


def test_version_names_day_data_and_fingerprint(trained) -> None:  # noqa: ANN001
    fingerprint = trained.card["data"]["fingerprint"]
    assert trained.version == f"2026-11-25-sim-{fingerprint[:8]}"
    assert make_version(NOW, "My Shop!", "ab" * 32) == "2026-11-25-my-shop-abababab"


def test_model_folder_holds_exactly_the_contract_files(trained) -> None:  # noqa: ANN001
    names = {p.name for p in trained.path.iterdir()}
    assert names == {"model.txt", "encoding.json", "calibration.json", "card.json", "card.md"}


def test_card_describes_features_window_labels_data_metrics_and_libraries(
    trained,  # noqa: ANN001
) -> None:
    card = json.loads((trained.path / "card.json").read_text())
    assert card["version"] == trained.version
    assert all(f["description"] for f in card["features"])
    assert card["training_window"]["first"] < card["training_window"]["last"]
    assert card["training_window"]["last"] < card["split"]["valid_start"]
    assert card["label_policy"]["maturity_days"] == 60
    assert len(card["data"]["fingerprint"]) == 64
    assert set(card["metrics"]["comparison"]) == {"model", "rules", "logistic"}
    assert {"lightgbm", "scikit-learn", "numpy", "pandas", "python"} <= set(
        card["library_versions"])
    assert card["intended_use"] and card["limits"]
    assert trained.version in (trained.path / "card.md").read_text()


def test_training_never_sees_validation_orders(trained) -> None:  # noqa: ANN001
    train_mask, valid_mask = trained.split.masks(trained.dataset.created_at)
    assert not (train_mask & valid_mask).any()
    assert trained.card["data"]["train"]["labelled"] + trained.card["data"]["validation"][
        "labelled"] <= int(trained.dataset.labelled.sum())


def test_promote_writes_current_and_appends_history_once(trained) -> None:  # noqa: ANN001
    folder = trained.path.parent
    assert (folder / "CURRENT").read_text().strip() == trained.version
    promote(folder, trained.version)
    assert (folder / "HISTORY").read_text().split() == [trained.version]


def test_promoting_an_unknown_version_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="model version '2026-01-01-x-00000000' not found"):
        promote(tmp_path, "2026-01-01-x-00000000")


def test_the_same_data_trains_the_same_model(raw, trained, tmp_path) -> None:  # noqa: ANN001
    again = train(raw, Settings(), TrainConfig(model_params={"n_estimators": 30}),
                  out_dir=tmp_path, now=NOW)
    assert again.version == trained.version
    X = trained.dataset.X()
    assert (FraudModel.load(again.path).predict_proba(X)
            == FraudModel.load(trained.path).predict_proba(X)).all()


def test_training_without_fraud_in_the_training_weeks_explains_what_to_change(
    raw, tmp_path  # noqa: ANN001
) -> None:
    from fraud.model.dataset import RawData

    no_outcomes = RawData(raw.orders, (), raw.source)
    with pytest.raises(ValueError, match="needs both fraud and good"):
        train(no_outcomes, Settings(), out_dir=tmp_path)


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("train")(train_command)
    app.command("evaluate")(evaluate_command)
    return app


def test_evaluate_command_reports_on_a_saved_model(trained, sim_files, tmp_path) -> None:  # noqa: ANN001
    result = CliRunner().invoke(_app(), [
        "evaluate", str(trained.path), "--orders", str(sim_files["orders"]),
        "--outcomes", str(sim_files["outcomes"]), "--truth", str(sim_files["truth"]),
        "--out", str(tmp_path / "report"),
    ])
    assert result.exit_code == 0, result.output
    assert "logistic" in result.output and "stolen_card" in result.output
    metrics = json.loads((tmp_path / "report" / "metrics.json").read_text())
    # the same orders as the card's validation weeks, so the same figures
    assert metrics["scorers"]["model"]["roc_auc"] == pytest.approx(
        trained.card["metrics"]["validation"]["roc_auc"])


def test_train_command_refuses_both_or_neither_data_source() -> None:
    result = CliRunner().invoke(_app(), ["train"])
    assert result.exit_code == 1
    assert "either --orders FILE" in result.output


def test_train_command_refuses_a_cutoff_without_offset(sim_files) -> None:  # noqa: ANN001
    result = CliRunner().invoke(_app(), ["train", "--orders", str(sim_files["orders"]),
                                         "--cutoff", "2025-11-30T00:00:00"])
    assert result.exit_code == 1
    assert "no UTC offset" in result.output
