"""The model version format: one writer and one reader for training, serving and tests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from fraud.errors import ModelError
from fraud.model.artifact import (
    ENCODING_FILE,
    read_model,
    write_card,
    write_model,
)
from fraud.model.serving import ServedModel
from fraud.settings import BUNDLED_MODEL_DIR


def _rows(frame):  # noqa: ANN001, ANN202 - pandas
    """Each row as the pipeline hands it over: a dict with None for missing values."""
    return [
        {k: (None if v is None or (isinstance(v, float) and v != v) else v) for k, v in row.items()}
        for row in frame.astype(object).to_dict("records")
    ]


def test_the_bundled_model_loads_unchanged() -> None:
    version = (BUNDLED_MODEL_DIR / "CURRENT").read_text().strip()
    files = read_model(BUNDLED_MODEL_DIR / version)
    assert files.version == version
    assert files.booster.num_feature() == len(files.encodings) > 50
    served = ServedModel.load(BUNDLED_MODEL_DIR / version)
    assert served.version == version and served.fast_path


def test_a_trained_models_predict_proba_equals_the_served_predict_one(
    dataset, fitted, tmp_path: Path  # noqa: ANN001
) -> None:
    model, _, valid = fitted
    folder = model.export(tmp_path / "v1")
    served = ServedModel.load(folder)
    X = dataset.X(valid)
    trained = model.predict_proba(X)[:, 1]
    one_by_one = np.array([served.predict_one(row)[0] for row in _rows(X)])
    np.testing.assert_allclose(one_by_one, trained, rtol=0, atol=1e-9)
    np.testing.assert_allclose(served.predict_frame(X), trained, rtol=0, atol=1e-9)
    assert trained.max() > 0.2  # the comparison reaches orders the model flags


def test_what_training_writes_reads_back_as_written(fitted, tmp_path: Path) -> None:  # noqa: ANN001
    model, _, _ = fitted
    folder = model.export(tmp_path / "v1")
    write_card(folder, {"version": "v1-card", "metrics": {"roc_auc": float("nan")}}, "# v1\n")
    files = read_model(folder)
    assert [e.to_json() for e in files.encodings] == model.encoding_
    assert files.calibration_data == model.calibration_
    assert files.version == "v1-card"
    assert files.card["metrics"]["roc_auc"] is None  # NaN is written as null, never bare NaN
    assert (folder / "card.md").read_text() == "# v1\n"


def test_the_writer_refuses_a_calibration_serving_would_refuse(
    fitted, tmp_path: Path  # noqa: ANN001
) -> None:
    model, _, _ = fitted
    with pytest.raises(ModelError, match="non-decreasing"):
        write_model(tmp_path / "v1", model.booster_, model.encoding_, {"x": [0, 1], "y": [1, 0]})
    assert not (tmp_path / "v1").exists()


def test_an_encoding_whose_feature_set_digest_was_not_updated_is_refused(
    fitted, tmp_path: Path  # noqa: ANN001
) -> None:
    model, _, _ = fitted
    folder = model.export(tmp_path / "v1")
    encoding = json.loads((folder / ENCODING_FILE).read_text())
    encoding["features"] = encoding["features"][1:]  # edited by hand, digest left as it was
    (folder / ENCODING_FILE).write_text(json.dumps(encoding))
    with pytest.raises(ModelError, match="'feature_set' does not match the features listed"):
        read_model(folder)


def test_an_encoding_that_does_not_fit_its_kind_is_refused(tmp_path: Path) -> None:
    version = (BUNDLED_MODEL_DIR / "CURRENT").read_text().strip()
    folder = shutil.copytree(BUNDLED_MODEL_DIR / version, tmp_path / version)
    encoding = json.loads((folder / ENCODING_FILE).read_text())
    encoding["features"][0]["encoding"] = "target"
    (folder / ENCODING_FILE).write_text(json.dumps(encoding))
    with pytest.raises(ModelError, match="encoding 'target' does not fit kind 'num'"):
        read_model(folder)
