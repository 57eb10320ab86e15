"""Serving a trained model: one order's features in, a calibrated fraud probability
and the feature contributions behind it out, without scikit-learn.

A model version is a folder in the format :mod:`fraud.model.artifact` defines.
:meth:`ServedModel.load` refuses, with a :class:`ModelError` naming the problem, a
folder whose files are missing or corrupt, or a model that needs a feature the code
no longer computes (or computes as another kind). Features the code gained since
training (a shop's own signal, say) are ignored by the model and used by rules.

Speed: scoring one order must not pay LightGBM's Python ``Booster.predict`` per-call
overhead (~50-100 µs) or scikit-learn's ``predict_proba`` (~1.2 ms). We call
LightGBM's own single-row C entry point (``LGBM_BoosterPredictForMatSingleRowFast``)
through the library handle the ``lightgbm`` package already loaded: the same
predictor, so the same numbers, at a few µs. That entry point is reached through
private names of the ``lightgbm`` package (pinned to one major version in
pyproject.toml): when it cannot start, or disagrees with ``Booster.predict`` on
probe rows at load, the model falls back to the public ``Booster.predict``
(``pred_contrib=True`` for reasons) and logs why.
bench/bench_model.py prints the figures.

Missing values: ``None`` becomes NaN for every encoding (num, bool and cat alike);
an unseen category becomes the feature's ``default``. Training follows the same.
"""

from __future__ import annotations

import ctypes
import logging
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fraud.domain import Feature, FeatureValue, Reason
from fraud.errors import ModelError
from fraud.model.artifact import (
    NAN,
    Calibration,
    FeatureEncoding,
    encode_frame,
    model_feature_kinds,
    read_model,
)

if TYPE_CHECKING:
    import lightgbm
    import pandas as pd

log = logging.getLogger(__name__)

# LightGBM C API constants (c_api.h)
_PREDICT_NORMAL, _PREDICT_RAW, _PREDICT_CONTRIB = 0, 1, 3
_DTYPE_FLOAT64 = 1
PARITY_TOLERANCE = 1e-9


def check_feature_set(
    encodings: Sequence[FeatureEncoding], code_kinds: Mapping[str, str]
) -> list[str]:
    """Refuse a model that needs a feature the code no longer computes, or computes as
    another kind. Returns the code's features the model was not trained on: the model
    ignores them (rules may use them), so a shop's new signal never switches it off."""
    problems = []
    for e in encodings:
        if e.name not in code_kinds:
            problems.append(f"uses feature {e.name!r}, which the code no longer computes")
        elif e.kind != code_kinds[e.name]:
            problems.append(
                f"takes {e.name!r} as {e.kind}, the code now makes it {code_kinds[e.name]}"
            )
    if problems:
        raise ModelError(
            "model does not match the code's features: "
            + "; ".join(problems)
            + ". Retrain it with `fraud train` (the previous model stays in use)."
        )
    known = {e.name for e in encodings}
    return [name for name in code_kinds if name not in known]


# --- LightGBM's single-row predictor ----------------------------------------------------


class _SingleRow:
    """LightGBM's fast single-row C predictor for one predict type (not thread-safe:
    LightGBM reuses buffers per booster, so callers hold ``ServedModel._lock``)."""

    def __init__(self, booster: lightgbm.Booster, predict_type: int, n_out: int) -> None:
        from lightgbm.basic import _LIB, _c_str, _safe_call

        self._lib = _LIB
        self._booster = booster  # keep alive as long as the handle
        self._handle = ctypes.c_void_p()
        ncol = booster.num_feature()
        _safe_call(
            _LIB.LGBM_BoosterPredictForMatSingleRowFastInit(
                booster._handle,
                ctypes.c_int(predict_type),
                ctypes.c_int(0),
                ctypes.c_int(-1),
                ctypes.c_int(_DTYPE_FLOAT64),
                ctypes.c_int32(ncol),
                _c_str("num_threads=1"),
                ctypes.byref(self._handle),
            )
        )
        self.row = np.zeros(ncol, dtype=np.float64)
        self.out = np.zeros(n_out, dtype=np.float64)
        self._row_ptr = self.row.ctypes.data_as(ctypes.c_void_p)
        self._out_ptr = self.out.ctypes.data_as(ctypes.POINTER(ctypes.c_double))
        self._out_len = ctypes.c_int64()
        self._call = _LIB.LGBM_BoosterPredictForMatSingleRowFast

    def __call__(self) -> np.ndarray:
        """Predict ``self.row`` into ``self.out`` (returned, reused on the next call)."""
        if self._call(self._handle, self._row_ptr, ctypes.byref(self._out_len), self._out_ptr):
            from lightgbm.basic import _LIB

            raise ModelError(f"LightGBM prediction failed: {_LIB.LGBM_GetLastError().decode()}")
        return self.out

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle is not None and handle.value:
            self._lib.LGBM_FastConfigFree(handle)


def sigmoid_of(booster: lightgbm.Booster) -> float:
    """The ``sigmoid`` parameter of a binary objective (LightGBM's default is 1)."""
    objective = booster.dump_model(num_iteration=0).get("objective", "")
    for part in str(objective).split():
        if part.startswith("sigmoid:"):
            return float(part.split(":", 1)[1])
    return 1.0


# --- the served model -------------------------------------------------------------------


class ServedModel:
    """A loaded model version, ready to score one order or a frame.

    Implements :class:`fraud.model.scorer.ModelScorer`. Thread-safe: one lock
    guards LightGBM's reused single-row buffers (a few µs per order).
    ``fast_path`` says whether the single-row C predictor is in use (``False``:
    the public ``Booster.predict``, same numbers, slower).
    """

    def __init__(
        self,
        version: str,
        booster: lightgbm.Booster,
        encodings: Sequence[FeatureEncoding],
        calibration: Calibration,
        *,
        path: Path | None = None,
        card: Mapping[str, Any] | None = None,
        max_reasons: int = 5,
        min_points: float = 1.0,
        descriptions: Mapping[str, str] | None = None,
    ) -> None:
        if booster.num_feature() != len(encodings):
            raise ModelError(
                f"model {version}: the booster has {booster.num_feature()} features, "
                f"encoding.json lists {len(encodings)}"
            )
        self.version = version
        self.path = path
        self.card: Mapping[str, Any] = card or {}
        self.booster = booster
        self.encodings = tuple(encodings)
        self.feature_names: list[str] = [e.name for e in encodings]
        self.calibration = calibration
        self.max_reasons = max_reasons
        self.min_points = min_points
        self.descriptions = dict(descriptions or {})
        self._encoders = tuple((e.name, e.encoder()) for e in encodings)
        self._raw_type = _PREDICT_RAW if calibration.raw == "margin" else _PREDICT_NORMAL
        self.sigmoid = sigmoid_of(booster)
        self._lock = threading.Lock()
        self._fast: _SingleRow | None
        self._contrib: _SingleRow | None
        self._fast, self._contrib = self._start_fast_path()

    @classmethod
    def load(
        cls,
        path: str | Path,
        *,
        catalogue: Mapping[str, Feature] | None = None,
        max_reasons: int = 5,
        min_points: float = 1.0,
    ) -> ServedModel:
        """Load the model version in folder ``path``.

        Raises :class:`ModelError` with a plain message when a file is missing or
        corrupt, or when the model needs a feature the code no longer computes or
        computes as another kind (``catalogue`` defaults to the registered
        signals' features). Features the code gained since training are ignored.
        """
        from fraud.signals import feature_catalogue

        catalogue = catalogue if catalogue is not None else feature_catalogue()
        files = read_model(path)
        ignored = check_feature_set(files.encodings, model_feature_kinds(catalogue))
        if ignored:
            log.info(
                "model %s was not trained on %s: the model ignores them, rules may use them",
                files.version,
                ", ".join(ignored),
            )
        return cls(
            files.version,
            files.booster,
            files.encodings,
            files.calibration,
            path=files.path,
            card=files.card,
            max_reasons=max_reasons,
            min_points=min_points,
            descriptions={n: f.description for n, f in catalogue.items()},
        )

    def __repr__(self) -> str:
        return f"ServedModel(version={self.version!r}, features={len(self.feature_names)})"

    @property
    def fast_path(self) -> bool:
        return self._fast is not None

    # -- one order ----------------------------------------------------------------------

    def encode_one(self, features: Mapping[str, FeatureValue]) -> list[float]:
        """The booster's input row for one order's feature values (others are ignored)."""
        get = features.get
        return [enc(get(name)) for name, enc in self._encoders]

    def raw_one(self, row: Sequence[float]) -> float:
        """The booster's output (probability or margin, as calibrated) for one encoded row."""
        if self._fast is None:
            return float(self._booster_raw(np.asarray([row], dtype=np.float64))[0])
        with self._lock:
            self._fast.row[:] = row
            return float(self._fast()[0])

    def predict_one(self, features: Mapping[str, FeatureValue]) -> tuple[float, list[Reason]]:
        """Calibrated fraud probability of one order, and the features that raised it.

        Reasons are computed (SHAP values) only when the model adds at least
        ``min_points`` to the score: below that no model reason would be listed
        anyway, and TreeSHAP costs far more than the prediction.
        """
        row = self.encode_one(features)
        probability = float(self.calibration(self.raw_one(row)))
        if 100.0 * probability < self.min_points:
            return probability, []
        return probability, self.explain_row(row, features)

    def contributions_one(self, row: Sequence[float]) -> np.ndarray:
        """SHAP values in margin space for one encoded row: one per feature, then the bias."""
        if self._contrib is None:
            matrix = np.asarray([row], dtype=np.float64)
            return np.asarray(self.booster.predict(matrix, pred_contrib=True, num_threads=1))[0]
        with self._lock:
            self._contrib.row[:] = row
            return self._contrib().copy()

    def explain_row(
        self, row: Sequence[float], features: Mapping[str, FeatureValue]
    ) -> list[Reason]:
        """The top reasons (see :mod:`fraud.model.explain`) for one encoded row."""
        from fraud.model.explain import model_reasons, points_from_contributions

        contrib = self.contributions_one(row)
        points = points_from_contributions(contrib[:-1], float(contrib[-1]), self.link)
        return model_reasons(
            self.feature_names,
            [features.get(name) for name in self.feature_names],
            points.tolist(),
            top=self.max_reasons,
            min_points=self.min_points,
            descriptions=self.descriptions,
            features=features,
        )

    def link(self, margin: Any) -> Any:
        """Calibrated probability as a function of the booster's margin (log-odds)."""
        margin = np.asarray(margin, dtype=np.float64)
        raw = (
            margin
            if self.calibration.raw == "margin"
            else 1.0 / (1.0 + np.exp(-self.sigmoid * margin))
        )
        return self.calibration(raw)

    # -- batch --------------------------------------------------------------------------

    def encode_frame(self, frame: pd.DataFrame) -> np.ndarray:
        """The booster's input matrix for a feature frame (as :func:`fraud.features.build_frame`
        makes it), encoded value by value with the same functions as :meth:`encode_one`."""
        try:
            return encode_frame(self.encodings, frame)
        except ModelError as exc:
            raise ModelError(f"model {self.version}: {exc.message}") from None

    def predict_frame(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated fraud probabilities for every row of a feature frame."""
        return np.asarray(self.calibration(self._booster_raw(self.encode_frame(frame))))

    def _booster_raw(self, matrix: np.ndarray) -> np.ndarray:
        raw = self.booster.predict(matrix, raw_score=self._raw_type == _PREDICT_RAW, num_threads=1)
        return np.asarray(raw)

    # -- the fast path ------------------------------------------------------------------

    def _start_fast_path(self) -> tuple[_SingleRow, _SingleRow] | tuple[None, None]:
        """LightGBM's single-row C predictors (probability and contributions), or ``None``
        (use ``Booster.predict``, with ``pred_contrib`` for reasons) when they
        cannot start (it reaches into lightgbm's private names, which a release may
        rename) or disagrees with ``Booster.predict`` on a few probe rows."""
        try:
            fast = _SingleRow(self.booster, self._raw_type, 1)
            contrib = _SingleRow(self.booster, _PREDICT_CONTRIB, self.booster.num_feature() + 1)
        except Exception as exc:  # ImportError, AttributeError, LightGBMError, ctypes errors
            log.warning(
                "model %s: LightGBM's single-row predictor did not start (%s: %s); "
                "using Booster.predict",
                self.version,
                type(exc).__name__,
                exc,
            )
            return None, None
        n = self.booster.num_feature()
        probes = np.vstack([np.full(n, NAN), np.zeros(n), np.ones(n), np.linspace(-5, 500, n)])
        expected = self._booster_raw(probes)
        for row, want in zip(probes, expected, strict=True):
            fast.row[:] = row
            if abs(float(fast()[0]) - float(want)) > PARITY_TOLERANCE:
                log.warning(
                    "model %s: LightGBM's single-row predictor disagrees with "
                    "Booster.predict; using Booster.predict",
                    self.version,
                )
                return None, None
        return fast, contrib
