"""FraudModel: scikit-learn conventions, leakage-free target encoding, calibration on the
latest rows, and an artifact that serving can apply without scikit-learn."""

from __future__ import annotations

import json
import math

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import check_estimator

from fraud.model.artifact import encode_value, feature_set_digest, model_feature_kinds
from fraud.model.estimator import FraudModel


def test_fraud_model_passes_scikit_learns_estimator_checks() -> None:
    check_estimator(FraudModel(n_estimators=2, calibration_fraction=0.0))


def test_predicting_before_fit_raises_not_fitted() -> None:
    with pytest.raises(NotFittedError):
        FraudModel().predict_proba(np.zeros((2, 3)))


def test_clone_keeps_parameters_and_drops_learned_state(fitted) -> None:  # noqa: ANN001
    model, _, _ = fitted
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert not hasattr(copy, "booster_")


def test_fit_refuses_more_than_two_classes_naming_them() -> None:
    X = pd.DataFrame({"a": np.arange(30.0)})
    with pytest.raises(ValueError, match="Only binary classification is supported"):
        FraudModel().fit(X, np.arange(30) % 3)


def test_encode_value_follows_the_artifact_contract() -> None:
    cat = {"name": "email_domain", "kind": "cat", "mapping": {"gmail.com": 0.01}, "default": 0.02}
    assert encode_value(cat, "gmail.com") == 0.01
    assert encode_value(cat, "unseen.example") == 0.02
    assert math.isnan(encode_value(cat, None))
    assert encode_value({"name": "is_guest", "kind": "bool"}, True) == 1.0
    assert math.isnan(encode_value({"name": "is_guest", "kind": "bool"}, None))
    assert math.isnan(encode_value({"name": "is_guest", "kind": "bool"}, pd.NA))
    assert encode_value({"name": "amount_eur", "kind": "num"}, 3) == 3.0


def test_target_encoding_of_training_rows_is_cross_fitted() -> None:
    # A category unique to each row is pure label leakage if a row sees its own label.
    rng = np.random.default_rng(0)
    n = 600
    y = (rng.random(n) < 0.2).astype(int)
    X = pd.DataFrame({"row_id": [f"r{i}" for i in range(n)], "noise": rng.random(n)})
    model = FraudModel({"row_id": "cat", "noise": "num"}, n_estimators=5)
    specs, matrix = model._fit_encoding(X, y, {"row_id": "cat", "noise": "num"})
    full_fit = np.array([specs[0]["mapping"][f"r{i}"] for i in range(n)])
    crossed = matrix[:, 0]
    # the exported table knows each row's label (fine: serving never sees these ids again)...
    assert full_fit[y == 1].mean() - full_fit[y == 0].mean() > 0.3
    # ...but the values the trees learned from did not
    assert abs(crossed[y == 1].mean() - crossed[y == 0].mean()) < 0.05


def test_calibration_is_fitted_on_the_latest_rows_and_matches_their_fraud_rate(
    dataset, fitted  # noqa: ANN001
) -> None:
    model, train, _ = fitted
    rows = train & dataset.labelled
    n_cal = int(round(rows.sum() * model.calibration_fraction))
    assert model.calibration_["rows"] == n_cal
    latest = dataset.X(rows).iloc[-n_cal:]
    observed = dataset.label[rows].iloc[-n_cal:].mean()
    # a logistic fit with an intercept preserves the mean on the slice it was fitted on
    # (up to the sigmoid's sampling into interp points)
    assert model.predict_proba(latest)[:, 1].mean() == pytest.approx(observed, rel=0.02)
    assert np.all(np.diff(model.calibration_["y"]) >= 0)


def test_calibration_keeps_the_boosters_ranking(dataset, fitted) -> None:  # noqa: ANN001
    """Calibrating must not tie orders the booster told apart: the map is strictly
    increasing (an isotonic staircase on few frauds put most orders on a handful of
    steps, and the top of the ranking became a lottery)."""
    model, _, valid = fitted
    X = dataset.X(valid)
    raw, p = model.predict_raw(X), model.predict_proba(X)[:, 1]
    order = np.argsort(raw, kind="stable")
    assert model.calibration_["method"] == "sigmoid" and model.calibration_["fitted"]
    assert np.all(np.diff(p[order]) >= 0)
    distinct_raw = len(np.unique(raw))
    assert len(np.unique(p)) == distinct_raw


def test_exported_model_loads_back_with_identical_probabilities(
    dataset, fitted, tmp_path  # noqa: ANN001
) -> None:
    model, _, valid = fitted
    model.export(tmp_path)
    loaded = FraudModel.load(tmp_path)
    X = dataset.X(valid)
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_artifact_is_enough_to_score_without_scikit_learn(
    dataset, fitted, tmp_path  # noqa: ANN001
) -> None:
    model, _, valid = fitted
    model.export(tmp_path)
    encoding = json.loads((tmp_path / "encoding.json").read_text())
    calibration = json.loads((tmp_path / "calibration.json").read_text())
    booster = lgb.Booster(model_file=str(tmp_path / "model.txt"))
    names = [f["name"] for f in encoding["features"]]
    assert booster.feature_name() == names
    assert encoding["format"] == 1
    assert encoding["feature_set"] == feature_set_digest(model_feature_kinds())
    assert calibration["method"] == "sigmoid" and calibration["raw"] == "probability"

    rows = dataset.X(valid).head(25)
    by_hand = []
    for _, row in rows.iterrows():
        x = [encode_value(f, row[f["name"]]) for f in encoding["features"]]
        raw = booster.predict(np.array([x]))[0]
        by_hand.append(np.interp(raw, calibration["x"], calibration["y"]))
    assert np.allclose(by_hand, model.predict_proba(rows)[:, 1])


def test_every_categorical_feature_has_a_mapping_and_a_default(fitted) -> None:  # noqa: ANN001
    model, _, _ = fitted
    cats = [f for f in model.encoding_ if f["kind"] == "cat"]
    assert cats, "the service has categorical features"
    for spec in cats:
        assert spec["encoding"] == "target"
        assert spec["mapping"] and 0 <= spec["default"] <= 1
    assert all(f.get("default") is None for f in model.encoding_ if f["kind"] != "cat")


def test_fraud_is_weighted_up_by_the_class_ratio(dataset, fitted) -> None:  # noqa: ANN001
    model, train, _ = fitted
    assert model.scale_pos_weight_ > 1


def test_sample_weights_of_one_change_nothing_and_bad_weights_are_refused() -> None:
    import numpy as np
    import pandas as pd

    from fraud.model.estimator import FraudModel

    rng = np.random.default_rng(0)
    x = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
    y = (x["a"] + rng.normal(scale=0.5, size=400) > 1.2).astype(int).to_numpy()
    plain = FraudModel(n_estimators=10).fit(x, y)
    ones = FraudModel(n_estimators=10).fit(x, y, sample_weight=np.ones(400))
    assert np.array_equal(plain.predict_proba(x), ones.predict_proba(x))
    light = np.where(y == 0, 0.1, 1.0)  # good labels that count little
    weighed = FraudModel(n_estimators=10).fit(x, y, sample_weight=light)
    fit = y[:300]  # the last quarter of rows calibrates
    assert weighed.scale_pos_weight_ == pytest.approx(0.1 * (fit == 0).sum() / fit.sum())
    with pytest.raises(ValueError, match="sample_weight has 3 values"):
        FraudModel().fit(x, y, sample_weight=[1, 1, 1])
    with pytest.raises(ValueError, match="not negative"):
        FraudModel().fit(x, y, sample_weight=-np.ones(400))
