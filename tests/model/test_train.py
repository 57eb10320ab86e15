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


def test_a_retrain_under_a_taken_name_gets_a_new_folder_and_leaves_the_old_one(
    trained, tmp_path  # noqa: ANN001
) -> None:
    """The same labels on the same day give the same name; the model in use must survive."""
    from fraud.model.train import unused_version

    assert unused_version(trained.path.parent, trained.version) == f"{trained.version}-2"
    (tmp_path / trained.version).mkdir()
    (tmp_path / f"{trained.version}-2").mkdir()
    assert unused_version(tmp_path, trained.version) == f"{trained.version}-3"
    assert unused_version(tmp_path, "another") == "another"


def test_model_folder_holds_exactly_the_contract_files(trained) -> None:  # noqa: ANN001
    names = {p.name for p in trained.path.iterdir()}
    assert names == {"model.txt", "encoding.json", "calibration.json", "card.json", "card.md",
                     "drift.json"}


def test_the_model_keeps_a_drift_profile_of_its_latest_training_rows(
    trained,  # noqa: ANN001
) -> None:
    from fraud.model.drift import SCORE
    from fraud.model.reference import read_reference

    profile = read_reference(trained.path)
    assert profile is not None
    reference = trained.card["drift_reference"]
    assert profile.rows == reference["orders"]
    assert reference["window"] in profile.source
    # the orders the model learnt from: the training weeks and the young-label ones after
    assert reference["first"] <= reference["last"]
    assert reference["orders"] <= (trained.card["data"]["train"]["orders"]
                                   + trained.card["split"]["recent_orders_trained_on"])
    assert "Drift reference:" in (trained.path / "card.md").read_text()
    names = {b.name for b in profile.binnings}
    assert names == set(trained.dataset.feature_names) | {SCORE}
    assert all(abs(sum(b.shares) - 1) < 1e-9 for b in profile.binnings)


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


def test_train_command_says_where_it_wrote_and_when_it_changes_current(
    sim_files, tmp_path, monkeypatch  # noqa: ANN001
) -> None:
    from fraud.settings import get_settings

    monkeypatch.setenv("FRAUD_DATA_DIR", str(tmp_path / "store"))  # --promote records it there
    get_settings.cache_clear()
    args = ["train", "--orders", str(sim_files["orders"]), "--outcomes",
            str(sim_files["outcomes"]), "--out-dir", str(tmp_path)]
    kept = CliRunner().invoke(_app(), args)
    assert kept.exit_code == 0, kept.output
    version = kept.stdout.strip().splitlines()[-1]
    assert f"model: {tmp_path / version}" in kept.stdout
    assert f"{tmp_path / 'CURRENT'} unchanged (none)" in kept.stdout
    assert "read 900 orders" in kept.stderr
    promoted = CliRunner().invoke(_app(), [*args, "--promote"])
    assert promoted.exit_code == 0, promoted.output
    # the same labels the same day: a second folder, the first one left as it was
    assert (tmp_path / version).is_dir()
    version = promoted.stdout.strip().splitlines()[-1]
    assert f"changed {tmp_path / 'CURRENT'}: now {version}" in promoted.stdout
    assert (tmp_path / "CURRENT").read_text().strip() == version
    from fraud.cli.common import open_session
    from fraud.evidence.reading import records_about

    with open_session(get_settings()) as session:
        (record,) = records_about(session, [f"model:{version}"], open_sealed=False)
    assert (record.kind, record.data["action"]) == ("model", "promote")


# --- training as of a cut-off ----------------------------------------------------------------


def _cutoff_config(raw, days: float = 80):  # noqa: ANN001, ANN202
    from datetime import timedelta

    start = raw.orders[0].created_at
    return TrainConfig(cutoff=start + timedelta(days=days), maturity=timedelta(days=30),
                       gap_days=3, valid_days=14, model_params={"n_estimators": 20})


def test_training_at_a_cutoff_ignores_later_orders_and_outcomes(raw, tmp_path) -> None:  # noqa: ANN001
    config = _cutoff_config(raw)
    result = train(raw, Settings(), config, out_dir=tmp_path, now=NOW)
    assert result.dataset.created_at.max() <= config.cutoff
    assert len(result.dataset) < len(raw.orders)
    assert datetime.fromisoformat(result.card["label_policy"]["cutoff"]) == config.cutoff
    # the same model from data that never held anything after the cut-off
    alone = train(raw.as_of(config.cutoff), Settings(), config, out_dir=tmp_path / "b", now=NOW)
    assert alone.version == result.version


def test_validation_sits_on_the_latest_orders_whose_labels_have_matured(raw, tmp_path) -> None:  # noqa: ANN001
    config = _cutoff_config(raw)
    result = train(raw, Settings(), config, out_dir=tmp_path, now=NOW)
    matured = config.cutoff - config.maturity
    assert abs((result.split.valid_end - matured).total_seconds()) <= 1
    assert result.card["data"]["validation"]["labelled"] > 0
    assert result.split.train_end < result.split.valid_start


def test_a_cutoff_leaving_no_matured_training_weeks_says_what_to_change(raw, tmp_path) -> None:  # noqa: ANN001
    from datetime import timedelta

    config = TrainConfig(cutoff=raw.orders[0].created_at + timedelta(days=40))
    with pytest.raises(ValueError, match="matured labels .* shorten --maturity-days"):
        train(raw, Settings(), config, out_dir=tmp_path)


def test_train_command_explains_the_cutoff_and_the_split(sim_files, raw, tmp_path) -> None:  # noqa: ANN001
    cutoff = _cutoff_config(raw).cutoff.isoformat()
    result = CliRunner().invoke(_app(), [
        "train", "--orders", str(sim_files["orders"]), "--outcomes", str(sim_files["outcomes"]),
        "--cutoff", cutoff, "--maturity-days", "30", "--gap-days", "3", "--valid-days", "14",
        "--out-dir", str(tmp_path),
    ])
    assert result.exit_code == 0, result.output
    assert f"cut-off {datetime.fromisoformat(cutoff).astimezone(UTC).isoformat()}" in result.output
    assert "labels have matured" in result.output
    assert "later orders and outcomes unused" in result.output


def test_train_from_the_store_at_a_cutoff_equals_training_from_files(
    raw, db_url, tmp_path, monkeypatch  # noqa: ANN001
) -> None:
    from sqlalchemy.orm import Session

    from fraud.domain import Action, Decision, Versions
    from fraud.settings import get_settings
    from fraud.store import repository
    from fraud.store.db import make_engine, upgrade_database

    upgrade_database(db_url)
    engine = make_engine(db_url)
    settings = Settings()
    with Session(engine) as session:
        for order in raw.orders:
            placeholder = Decision(order.order_id, 0, Action.APPROVE, (), (), (),
                                   Versions("test", "none", "test"))
            repository.save_decision(session, order, placeholder, {}, fx_rates=settings.fx_rates)
        for event in raw.outcomes:
            repository.record_outcome(session, event.order_id, event.outcome, event.at)
    engine.dispose()
    config = _cutoff_config(raw)
    from_files = train(raw, settings, config, out_dir=tmp_path / "files", now=NOW)
    monkeypatch.setenv("FRAUD_DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(_app(), [
            "train", "--from-store", "--source", "sim", "--cutoff", config.cutoff.isoformat(),
            "--maturity-days", "30", "--gap-days", "3", "--valid-days", "14",
            "--out-dir", str(tmp_path / "store"),
        ])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    card = json.loads((tmp_path / "store" / result.output.split()[-1] / "card.json").read_text())
    assert card["data"]["fingerprint"] == from_files.card["data"]["fingerprint"]
    assert card["split"] == from_files.card["split"]


# --- a young shop: windows fitted to the matured weeks, young labels weighed -----------------


def test_default_windows_fit_a_young_shop_and_keep_the_full_ones_for_a_long_history() -> None:
    from datetime import timedelta

    import pandas as pd

    from fraud.model.dataset import FULL_WINDOWS, LabelPolicy, default_windows

    start = datetime(2025, 1, 1, tzinfo=UTC)
    days = pd.Series([start + timedelta(days=d) for d in range(91)])
    policy = LabelPolicy(start + timedelta(days=90), timedelta(days=60))
    gap, valid = default_windows(days, policy)
    assert (gap, valid) == (3.0, 7.5)  # a tenth and a quarter of the 30 matured days
    # what is left to train on is more than the validation window and gap together
    assert 30 - gap - valid > gap + valid
    long = pd.Series([start + timedelta(days=d) for d in range(400)])
    assert default_windows(long, LabelPolicy(start + timedelta(days=400))) == FULL_WINDOWS
    with pytest.raises(ValueError, match="no order has matured labels"):
        default_windows(days, LabelPolicy(start + timedelta(days=50), timedelta(days=60)))


def test_young_labels_count_known_outcomes_fully_and_silence_by_age() -> None:
    from datetime import timedelta

    import numpy as np
    import pandas as pd

    from fraud.model.dataset import LabelPolicy, recent_weights

    cutoff = datetime(2025, 6, 1, tzinfo=UTC)
    created = pd.Series([cutoff - timedelta(days=d) for d in (90, 30, 30, 15, 0)])
    label = pd.Series([0.0, 1.0, np.nan, np.nan, np.nan])
    w = recent_weights(created, label, LabelPolicy(cutoff, timedelta(days=60))).to_numpy()
    assert w[0] == 1.0 and w[1] == 1.0  # matured good, early-known fraud
    assert w[2] == pytest.approx(0.5) and w[3] == pytest.approx(0.25)  # half, a quarter aged
    assert 0 < w[4] < 0.01  # placed at the cut-off: its silence says almost nothing


def test_training_at_a_cutoff_learns_from_young_labels_but_never_from_validation(
    raw, tmp_path  # noqa: ANN001
) -> None:
    from fraud.model.train import fitting_rows, recent_mask

    config = _cutoff_config(raw)
    result = train(raw, Settings(), config, out_dir=tmp_path, now=NOW)
    _, valid = result.split.masks(result.dataset.created_at)
    rows, weights = fitting_rows(result.dataset, result.split,
                                 result.split.masks(result.dataset.created_at)[0], True)
    young = recent_mask(result.dataset, result.split)
    assert result.recent_orders == int(young.sum()) > 0
    assert not (rows & valid).any()
    assert (weights[young & result.dataset.label.isna().to_numpy()] < 1).all()
    assert result.card["split"]["recent_orders_trained_on"] == result.recent_orders
    without = train(raw, Settings(), TrainConfig(**{**config.__dict__, "recent_labels": False}),
                    out_dir=tmp_path / "b", now=NOW)
    assert without.recent_orders == 0
    # the saved figures are still measured on the same validation orders
    assert without.card["data"]["validation"] == result.card["data"]["validation"]


def test_train_command_fits_windows_to_a_young_shop_by_default(sim_files, raw, tmp_path) -> None:  # noqa: ANN001
    from datetime import timedelta

    cutoff = (raw.orders[0].created_at + timedelta(days=89)).isoformat()
    result = CliRunner().invoke(_app(), [
        "train", "--orders", str(sim_files["orders"]), "--outcomes", str(sim_files["outcomes"]),
        "--cutoff", cutoff, "--maturity-days", "30", "--out-dir", str(tmp_path),
    ])
    assert result.exit_code == 0, result.output
    assert "chosen to fit the matured weeks" in result.output
    assert "labels are young" in result.output
