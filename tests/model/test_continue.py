"""Retraining from a base model: boosting continues from the base's trees and encodings,
so a shop with few known frauds keeps what the bundled model knows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fraud.model.estimator import FraudModel, catalogue_kinds


@pytest.fixture(scope="module")
def base_folder(fitted, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: ANN001
    model, _, _ = fitted
    return model.export(tmp_path_factory.mktemp("base"))


def _continued(dataset, valid, base_folder: Path, **params) -> FraudModel:  # noqa: ANN001
    X = dataset.X(valid)
    y = dataset.label[valid].fillna(0.0).to_numpy().astype(int)
    model = FraudModel(catalogue_kinds(dataset.feature_names), n_estimators=10,
                       calibration_fraction=0.0, base_model=base_folder, **params)
    return model.fit(X, y)


def test_continuing_keeps_the_base_trees_and_encodings_and_adds_new_trees(
    dataset, fitted, base_folder: Path  # noqa: ANN001
) -> None:
    base, _, valid = fitted
    model = _continued(dataset, valid, base_folder)
    assert model.booster_.num_trees() == base.booster_.num_trees() + 10
    assert model.encoding_ == base.encoding_
    X = dataset.X(valid)
    # the new trees learnt something: the scores moved, and they still load back the same
    assert not np.allclose(model.predict_raw(X), base.predict_raw(X))
    model.export(base_folder.parent / "continued")
    loaded = FraudModel.load(base_folder.parent / "continued")
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_continuing_takes_columns_in_any_order(dataset, fitted, base_folder: Path) -> None:  # noqa: ANN001
    _, _, valid = fitted
    model = _continued(dataset, valid, base_folder)
    X = dataset.X(valid)
    shuffled = X.loc[:, list(reversed(X.columns))]
    assert np.array_equal(model.predict_proba(shuffled), model.predict_proba(X))


def test_continuing_from_a_model_on_other_features_is_refused(
    dataset, fitted, base_folder: Path  # noqa: ANN001
) -> None:
    _, _, valid = fitted
    X = dataset.X(valid).drop(columns=[dataset.feature_names[0]])
    y = dataset.label[valid].fillna(0.0).to_numpy().astype(int)
    model = FraudModel(catalogue_kinds(list(X.columns)), n_estimators=5,
                       calibration_fraction=0.0, base_model=base_folder)
    with pytest.raises(ValueError, match=f"X lacks \\['{dataset.feature_names[0]}'\\]"):
        model.fit(X, y)


def test_train_command_continues_from_the_served_model_unless_told_from_scratch(
    fitted, sim_files, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: ANN001
) -> None:
    """What the bundled model knows is kept by default, said in the output and the card."""
    import json

    from typer.testing import CliRunner

    from fraud.cli import app
    from fraud.settings import get_settings

    base, _, _ = fitted
    served = tmp_path / "served"
    base.export(served / "base-v1")
    (served / "CURRENT").write_text("base-v1\n")
    monkeypatch.setenv("FRAUD_MODEL_DIR", str(served))
    get_settings.cache_clear()
    args = ["train", "--orders", str(sim_files["orders"]), "--outcomes",
            str(sim_files["outcomes"])]
    try:  # the same data makes the same version: one folder each
        continued = CliRunner().invoke(app, [*args, "--out-dir", str(tmp_path / "out")])
        scratch = CliRunner().invoke(app, [*args, "--out-dir", str(tmp_path / "scratch"),
                                           "--from-scratch"])
        both = CliRunner().invoke(app, [*args, "--from-scratch", "--base", "base-v1"])
    finally:
        get_settings.cache_clear()
    assert continued.exit_code == 0, continued.output
    assert "base: continued from the model base-v1" in continued.stdout
    card = json.loads((tmp_path / "out" / continued.stdout.split()[-1] / "card.json")
                      .read_text())
    assert card["model"]["base_model"] == "base-v1"
    assert card["model"]["trees"] > base.booster_.num_trees()
    assert scratch.exit_code == 0, scratch.output
    assert "base: trained from scratch" in scratch.stdout
    card = json.loads((tmp_path / "scratch" / scratch.stdout.split()[-1] / "card.json")
                      .read_text())
    assert card["model"]["base_model"] is None
    assert both.exit_code != 0 and "not both" in both.output


def test_a_base_trained_on_other_features_means_training_from_scratch_and_saying_why(
    base_folder: Path,
) -> None:
    """A base model from before the code gained a feature cannot take the new column:
    training starts from scratch and names the feature (retrain the bundled model first)."""
    from fraud.model.artifact import read_encoding
    from fraud.model.train import resolve_base

    kinds = {e.name: e.kind for e in read_encoding(base_folder)}
    same, note = resolve_base(base_folder, kinds)
    assert same == base_folder and note.startswith("continued from the model")
    other, note = resolve_base(base_folder, {**kinds, "logins_failed_24h": "num"})
    assert other is None
    assert note.startswith("trained from scratch") and "logins_failed_24h" in note
    assert resolve_base(None, kinds) == (None, "trained from scratch")
