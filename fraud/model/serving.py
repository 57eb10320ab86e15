"""Serving a trained model: one order's features in, a calibrated fraud probability
and the feature contributions behind it out, without scikit-learn.

A model version is a folder (see docs/explanations.md and the artifact contract):
``model.txt`` (LightGBM Booster), ``encoding.json`` (how each feature becomes a
float), ``calibration.json`` (isotonic points for ``numpy.interp``) and the model
card ``card.json``. :meth:`ServedModel.load` refuses, with a :class:`ModelError`
naming the problem, a folder whose files are missing or corrupt, or whose feature
set is not the one the code computes today.

Speed: scoring one order must not pay LightGBM's Python ``Booster.predict`` per-call
overhead (~50-100 µs) or scikit-learn's ``predict_proba`` (~1.2 ms). We call
LightGBM's own single-row C entry point (``LGBM_BoosterPredictForMatSingleRowFast``)
through the library handle the ``lightgbm`` package already loaded: the same
predictor, so the same numbers, at a few µs. At load we check that path against
``Booster.predict`` and fall back to the latter if they ever disagree.
bench/bench_model.py prints the figures.

Missing values: ``None`` becomes NaN for every encoding (num, bool and cat alike);
an unseen category becomes the feature's ``default``. Training follows the same.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fraud.domain import Feature, FeatureValue, Reason
from fraud.errors import ModelError

if TYPE_CHECKING:
    import lightgbm
    import pandas as pd

MODEL_FILE = "model.txt"
ENCODING_FILE = "encoding.json"
CALIBRATION_FILE = "calibration.json"
CARD_FILE = "card.json"
REQUIRED_FILES = (MODEL_FILE, ENCODING_FILE, CALIBRATION_FILE)

ENCODINGS = ("float", "bool01", "target")
RAW_KINDS = ("probability", "margin")
NAN = math.nan

# LightGBM C API constants (c_api.h)
_PREDICT_NORMAL, _PREDICT_RAW, _PREDICT_CONTRIB = 0, 1, 3
_DTYPE_FLOAT64 = 1
PARITY_TOLERANCE = 1e-9


# --- the feature set --------------------------------------------------------------------


def code_feature_kinds(catalogue: Mapping[str, Feature] | None = None) -> dict[str, str]:
    """name -> kind of every feature the model may see, as the code defines them today."""
    from fraud.features import model_feature_names
    from fraud.signals import feature_catalogue

    catalogue = catalogue if catalogue is not None else feature_catalogue()
    return {name: catalogue[name].kind for name in model_feature_names(catalogue)}


def feature_set_digest(kinds: Mapping[str, str]) -> str:
    """SHA-256 (hex) of the sorted ``name:kind`` lines, joined by newlines.

    Training writes it into ``encoding.json``; serving compares it with the
    digest of the code's current model features.
    """
    text = "\n".join(sorted(f"{name}:{kind}" for name, kind in kinds.items()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- encoding and calibration -----------------------------------------------------------


@dataclass(frozen=True)
class FeatureEncoding:
    """How one feature value becomes the float the booster sees."""

    name: str
    kind: str
    encoding: str
    mapping: Mapping[str, float] = field(default_factory=dict)
    default: float = NAN

    def encoder(self) -> Callable[[FeatureValue], float]:
        """A fast function value -> float (``None`` -> NaN; unseen category -> default)."""
        if self.encoding == "float":
            return lambda v: NAN if v is None else float(v)
        # ``v != v`` catches a NaN standing for "missing" (a pandas row in a notebook).
        if self.encoding == "bool01":
            return lambda v: NAN if v is None or v != v else (1.0 if v else 0.0)
        mapping, default = dict(self.mapping), self.default
        return lambda v: (
            NAN
            if v is None or v != v
            else mapping.get(v if isinstance(v, str) else str(v), default)
        )


@dataclass(frozen=True)
class Calibration:
    """Isotonic calibration as points: ``p = numpy.interp(raw, x, y)``."""

    x: np.ndarray
    y: np.ndarray
    raw: str = "probability"

    def __call__(self, raw: Any) -> Any:
        return np.interp(raw, self.x, self.y)


def _float_or_nan(value: object, where: str) -> float:
    if value is None:
        return NAN
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ModelError(f"{where}: expected a number or null, got {value!r}")
    return float(value)


def parse_encoding(data: object, source: str) -> tuple[tuple[FeatureEncoding, ...], str]:
    """The feature encodings and the ``feature_set`` digest from ``encoding.json`` data."""
    if not isinstance(data, dict):
        raise ModelError(f"{source}: expected a JSON object")
    if data.get("format") != 1:
        raise ModelError(f"{source}: unsupported format {data.get('format')!r}; this code reads 1")
    features = data.get("features")
    digest = data.get("feature_set")
    if not isinstance(features, list) or not features:
        raise ModelError(f"{source}: 'features' must be a non-empty list")
    if not isinstance(digest, str):
        raise ModelError(f"{source}: 'feature_set' (SHA-256 of the feature set) is missing")
    out = []
    for i, f in enumerate(features):
        where = f"{source}: features[{i}]"
        if not isinstance(f, dict) or not isinstance(f.get("name"), str):
            raise ModelError(f"{where}: expected an object with a 'name'")
        encoding = f.get("encoding")
        if encoding not in ENCODINGS:
            raise ModelError(
                f"{where} ({f['name']}): encoding {encoding!r} unknown; "
                f"allowed: {', '.join(ENCODINGS)}"
            )
        mapping = f.get("mapping") or {}
        if not isinstance(mapping, dict):
            raise ModelError(f"{where} ({f['name']}): 'mapping' must be an object")
        out.append(
            FeatureEncoding(
                name=f["name"],
                kind=str(f.get("kind", "")),
                encoding=encoding,
                mapping={str(k): _float_or_nan(v, where) for k, v in mapping.items()},
                default=_float_or_nan(f.get("default"), where),
            )
        )
    names = [e.name for e in out]
    if len(set(names)) != len(names):
        raise ModelError(f"{source}: a feature is listed twice")
    return tuple(out), digest


def parse_calibration(data: object, source: str) -> Calibration:
    """Calibration points from ``calibration.json`` data, checked to be usable by interp."""
    if not isinstance(data, dict):
        raise ModelError(f"{source}: expected a JSON object")
    raw = data.get("raw", "probability")
    if raw not in RAW_KINDS:
        raise ModelError(f"{source}: raw {raw!r} unknown; allowed: {', '.join(RAW_KINDS)}")
    try:
        x = np.asarray(data["x"], dtype=np.float64)
        y = np.asarray(data["y"], dtype=np.float64)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{source}: 'x' and 'y' must be lists of numbers ({exc})") from None
    if x.ndim != 1 or x.shape != y.shape or len(x) < 1:
        raise ModelError(f"{source}: 'x' and 'y' must be non-empty lists of the same length")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ModelError(f"{source}: calibration points must be finite")
    if np.any(np.diff(x) < 0) or np.any(np.diff(y) < 0):
        raise ModelError(f"{source}: calibration points must be sorted and non-decreasing")
    if y.min() < 0 or y.max() > 1:
        raise ModelError(f"{source}: calibrated probabilities must lie in [0, 1]")
    return Calibration(x, y, raw)


def check_feature_set(
    encodings: Sequence[FeatureEncoding], digest: str, code_kinds: Mapping[str, str]
) -> None:
    """Refuse a model trained on another feature set than the code's (names and kinds)."""
    problems = []
    for e in encodings:
        if e.name not in code_kinds:
            problems.append(f"uses feature {e.name!r}, which the code no longer computes")
        elif e.kind and e.kind != code_kinds[e.name]:
            problems.append(
                f"takes {e.name!r} as {e.kind}, the code now makes it {code_kinds[e.name]}"
            )
    if not problems and digest != feature_set_digest(code_kinds):
        known = {e.name for e in encodings}
        added = sorted(set(code_kinds) - known)
        detail = (
            f"the code has features the model was not trained on: {', '.join(added)}"
            if added
            else ("feature names or kinds changed since training")
        )
        problems.append(f"was trained on another feature set ({detail})")
    if problems:
        raise ModelError(
            "model does not match the code's features: "
            + "; ".join(problems)
            + ". Retrain it with `fraud train` (the previous model stays in use)."
        )


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


def read_json(path: Path) -> object:
    """A JSON file's content; ModelError (naming the file) when missing or malformed."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path}: file missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: not readable JSON ({exc})") from None


def _load_booster(path: Path) -> lightgbm.Booster:
    import lightgbm

    if not path.is_file():
        raise ModelError(f"{path}: file missing")
    try:
        return lightgbm.Booster(model_file=str(path))
    except Exception as exc:  # LightGBMError, or worse, for a damaged file
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{path}: not a LightGBM model ({message})") from None


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
        self._fast: _SingleRow | None = _SingleRow(booster, self._raw_type, 1)
        self._contrib: _SingleRow | None = None
        if not self._fast_path_agrees():
            self._fast = None

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
        corrupt, or when the model's features are not the code's current model
        features (``catalogue`` defaults to the registered signals' features).
        """
        from fraud.signals import feature_catalogue

        path = Path(path)
        if not path.is_dir():
            raise ModelError(f"model folder {path} does not exist")
        encodings, digest = parse_encoding(
            read_json(path / ENCODING_FILE), str(path / ENCODING_FILE)
        )
        catalogue = catalogue if catalogue is not None else feature_catalogue()
        check_feature_set(encodings, digest, code_feature_kinds(catalogue))
        calibration = parse_calibration(
            read_json(path / CALIBRATION_FILE), str(path / CALIBRATION_FILE)
        )
        booster = _load_booster(path / MODEL_FILE)
        card_path = path / CARD_FILE
        card = read_json(card_path) if card_path.exists() else {}
        version = card.get("version") if isinstance(card, dict) else None
        return cls(
            version if isinstance(version, str) and version else path.name,
            booster,
            encodings,
            calibration,
            path=path,
            card=card if isinstance(card, dict) else {},
            max_reasons=max_reasons,
            min_points=min_points,
            descriptions={n: f.description for n, f in catalogue.items()},
        )

    def __repr__(self) -> str:
        return f"ServedModel(version={self.version!r}, features={len(self.feature_names)})"

    # -- one order ----------------------------------------------------------------------

    def encode_one(self, features: Mapping[str, FeatureValue]) -> list[float]:
        """The booster's input row for one order's feature values."""
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
        with self._lock:
            if self._contrib is None:
                self._contrib = _SingleRow(self.booster, _PREDICT_CONTRIB, len(row) + 1)
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
            points,
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
        missing = [n for n in self.feature_names if n not in frame.columns]
        if missing:
            raise ModelError(f"model {self.version}: the frame lacks features {', '.join(missing)}")
        matrix = np.empty((len(frame), len(self._encoders)), dtype=np.float64)
        for j, (name, enc) in enumerate(self._encoders):
            column = frame[name]
            values = column.astype(object).where(column.notna(), None).tolist()
            matrix[:, j] = [enc(v) for v in values]
        return matrix

    def predict_frame(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated fraud probabilities for every row of a feature frame."""
        return np.asarray(self.calibration(self._booster_raw(self.encode_frame(frame))))

    def _booster_raw(self, matrix: np.ndarray) -> np.ndarray:
        return self.booster.predict(matrix, raw_score=self._raw_type == _PREDICT_RAW, num_threads=1)

    def _fast_path_agrees(self) -> bool:
        """The C single-row path gives Booster.predict's numbers on a few probe rows."""
        n = self.booster.num_feature()
        probes = np.vstack([np.full(n, NAN), np.zeros(n), np.ones(n), np.linspace(-5, 500, n)])
        expected = self._booster_raw(probes)
        assert self._fast is not None
        for row, want in zip(probes, expected, strict=True):
            self._fast.row[:] = row
            if abs(float(self._fast()[0]) - float(want)) > PARITY_TOLERANCE:
                return False
        return True
