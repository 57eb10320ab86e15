"""ServedModel: parity with the trained booster, refusal of wrong or broken models,
and use in the scoring pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tinymodel import reference_probabilities, shared_sample, write_model

from fraud.domain import Feature
from fraud.errors import ModelError
from fraud.model.artifact import feature_set_digest
from fraud.model.serving import ServedModel
from fraud.signals import feature_catalogue


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("models")
    sample = shared_sample()
    return {
        raw: write_model(root, sample, version=f"2026-11-25-test-{raw}", raw=raw)
        for raw in ("probability", "margin")
    }


def _rows(frame):  # noqa: ANN001, ANN202 - pandas
    """Each row as the pipeline hands it over: a dict with None for missing values."""
    return [
        {k: (None if v is None or (isinstance(v, float) and v != v) else v) for k, v in row.items()}
        for row in frame.astype(object).to_dict("records")
    ]


@pytest.mark.parametrize("raw", ["probability", "margin"])
def test_served_probabilities_equal_booster_predict_and_interp(models, raw) -> None:
    sample = shared_sample()
    model = ServedModel.load(models[raw])
    expected = reference_probabilities(models[raw], sample.frame)
    one_by_one = np.array([model.predict_one(row)[0] for row in _rows(sample.frame)])
    np.testing.assert_allclose(one_by_one, expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(model.predict_frame(sample.frame), expected, rtol=0, atol=1e-6)
    assert expected.min() < 0.05 < 0.5 < expected.max()  # the check spans real decisions


def test_served_model_reads_version_and_card(models) -> None:
    model = ServedModel.load(models["probability"])
    assert model.version == "2026-11-25-test-probability"
    assert model.card["metrics"]["roc_auc"] == 0.9
    assert len(model.feature_names) == len(set(model.feature_names)) > 50


def test_scoring_one_order_bypasses_the_python_predict_paths(models, monkeypatch) -> None:
    """No Booster.predict (nor scikit-learn's predict_proba, which calls it) per order."""
    import lightgbm

    model = ServedModel.load(models["probability"])
    expected = model.predict_frame(shared_sample().frame.iloc[:1])[0]

    def refuse(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("Booster.predict called for one order")

    monkeypatch.setattr(lightgbm.Booster, "predict", refuse)
    probability, _ = model.predict_one(_rows(shared_sample().frame.iloc[:1])[0])
    assert probability == pytest.approx(expected, abs=1e-12)


def test_missing_values_and_unseen_categories_follow_the_contract(models) -> None:
    model = ServedModel.load(models["probability"])
    payment = next(e for e in model.encodings if e.name == "payment_method")
    row = model.encode_one({"payment_method": "carrier-pigeon", "amount_eur": None})
    assert row[model.feature_names.index("payment_method")] == payment.default
    assert np.isnan(row[model.feature_names.index("amount_eur")])
    assert np.isnan(row[model.feature_names.index("phone_present")])  # absent key = None


def test_model_ignores_features_the_code_gained_since_training(models) -> None:
    catalogue = dict(feature_catalogue())
    catalogue["loyalty_points"] = Feature("loyalty_points", "num", "Loyalty points.", "loyalty")
    model = ServedModel.load(models["probability"], catalogue=catalogue)
    assert "loyalty_points" not in model.feature_names
    row = _rows(shared_sample().frame.iloc[:1])[0]
    without = model.predict_one(row)
    assert model.predict_one({**row, "loyalty_points": 12_000}) == without


def test_model_using_a_feature_the_code_dropped_is_refused(models) -> None:
    catalogue = {k: v for k, v in feature_catalogue().items() if k != "email_domain"}
    with pytest.raises(ModelError, match="'email_domain', which the code no longer computes"):
        ServedModel.load(models["probability"], catalogue=catalogue)


def test_model_whose_feature_changed_kind_is_refused(models) -> None:
    catalogue = dict(feature_catalogue())
    catalogue["is_guest"] = Feature("is_guest", "num", "Guest.", "basket")
    with pytest.raises(ModelError, match="'is_guest' as bool, the code now makes it num"):
        ServedModel.load(models["probability"], catalogue=catalogue)


def _broken_copy(models, tmp_path: Path, name: str, content: str | None) -> Path:  # noqa: ANN001
    import shutil

    folder = tmp_path / "broken"
    shutil.copytree(models["probability"], folder)
    if content is None:
        (folder / name).unlink()
    else:
        (folder / name).write_text(content)
    return folder


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("model.txt", None, "model.txt: file missing"),
        ("model.txt", "tree\nnonsense=1\n", "model.txt: not a LightGBM model"),
        ("encoding.json", None, "encoding.json: file missing"),
        ("encoding.json", "{not json", "encoding.json: not readable JSON"),
        ("encoding.json", json.dumps({"format": 2}), "unsupported format 2"),
        ("calibration.json", json.dumps({"x": [0, 1], "y": [1, 0]}), "non-decreasing"),
        ("calibration.json", json.dumps({"x": [0, 1], "y": [0, 1], "raw": "odds"}), "raw 'odds'"),
    ],
)
def test_missing_or_corrupt_files_are_refused_naming_the_file(
    models, tmp_path: Path, name: str, content: str | None, message: str
) -> None:
    with pytest.raises(ModelError, match=message):
        ServedModel.load(_broken_copy(models, tmp_path, name, content))


def test_encoding_that_disagrees_with_the_booster_is_refused(models, tmp_path: Path) -> None:
    folder = _broken_copy(models, tmp_path, "card.json", "{}")
    enc = json.loads((folder / "encoding.json").read_text())
    enc["features"] = enc["features"][:-1]
    enc["feature_set"] = feature_set_digest({f["name"]: f["kind"] for f in enc["features"]})
    (folder / "encoding.json").write_text(json.dumps(enc))
    with pytest.raises(ModelError, match="booster has \\d+ features, encoding.json lists"):
        ServedModel.load(folder, catalogue={**feature_catalogue()})


def test_predict_frame_names_missing_columns(models) -> None:
    model = ServedModel.load(models["probability"])
    frame = shared_sample().frame.drop(columns=["amount_eur"])
    with pytest.raises(ModelError, match="lacks features amount_eur"):
        model.predict_frame(frame)


def test_score_order_uses_the_served_model_probability_version_and_reasons(models) -> None:
    from fraud.batch import batch_context
    from fraud.history import MemoryHistory
    from fraud.rules import load_rules
    from fraud.scoring import score_order
    from fraud.settings import get_settings

    sample = shared_sample()
    model = ServedModel.load(models["probability"])
    probabilities = model.predict_frame(sample.frame)
    riskiest = sample.orders[int(np.argmax(probabilities))]
    settings = get_settings()
    history = MemoryHistory.from_orders(sample.orders, sample.outcomes)
    scored = score_order(
        riskiest, batch_context(settings, history), load_rules(settings.rules_path), model
    )
    decision = scored.decision
    assert decision.versions.model == model.version
    assert decision.model_probability == pytest.approx(probabilities.max(), abs=1e-12)
    assert any(r.source == "model" for r in decision.reasons)


def test_without_the_fast_path_the_public_predictor_gives_the_same_answers(
    models, monkeypatch
) -> None:
    """A lightgbm release without the private single-row entry points the fast path uses
    must not switch the model off: Booster.predict (and pred_contrib) take over."""
    import lightgbm.basic

    class WithoutSingleRowApi:
        def __init__(self, lib) -> None:  # noqa: ANN001 - ctypes.CDLL
            self._lib = lib

        def __getattr__(self, name: str):  # noqa: ANN204
            if "SingleRowFast" in name:
                raise AttributeError(name)
            return getattr(self._lib, name)

    sample = shared_sample()
    rows = _rows(sample.frame)
    fast = ServedModel.load(models["probability"])
    assert fast.fast_path
    monkeypatch.setattr(lightgbm.basic, "_LIB", WithoutSingleRowApi(lightgbm.basic._LIB))
    public = ServedModel.load(models["probability"])
    assert not public.fast_path
    expected = reference_probabilities(models["probability"], sample.frame)
    answers = [public.predict_one(row) for row in rows]
    np.testing.assert_allclose([p for p, _ in answers], expected, rtol=0, atol=1e-6)
    riskiest = int(np.argmax(expected))
    reasons = answers[riskiest][1]
    assert reasons and reasons == fast.predict_one(rows[riskiest])[1]
