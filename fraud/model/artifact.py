"""The on-disk format of a model version, written by training and read by serving.

A model version is one folder (docs/model.md, "The artifact")::

    <version>/model.txt         LightGBM booster (save_model); columns in encoding.json order
    <version>/encoding.json     how each feature value becomes the float the booster sees
    <version>/calibration.json  isotonic points: p = numpy.interp(raw, x, y)
    <version>/card.json         the model card (card.md: the same for people)

``encoding.json``::

    {"format": 1, "feature_set": "<sha256>",
     "features": [{"name", "kind", "encoding", "mapping"?, "default"}, ...]}

num -> ``float(v)``; bool -> 1.0/0.0; cat -> ``mapping[str(v)]``, an unseen
category -> ``default``. A missing value (``None``, NaN) is NaN for every kind:
LightGBM's missing value. ``feature_set`` is :func:`feature_set_digest` of the
model's own ``name: kind`` pairs.

Everything that reads or writes these files goes through this module, so the
format is defined once: :class:`fraud.model.estimator.FraudModel` (training),
:class:`fraud.model.serving.ServedModel` and the registry (serving), and the
test helpers. Readers raise :class:`ModelError` naming the file and the problem.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fraud.domain import Feature, FeatureValue
from fraud.errors import ModelError
from fraud.jsonable import json_safe

if TYPE_CHECKING:
    import lightgbm
    import pandas as pd

MODEL_FILE = "model.txt"
ENCODING_FILE = "encoding.json"
CALIBRATION_FILE = "calibration.json"
CARD_FILE = "card.json"
CARD_MD_FILE = "card.md"

ENCODING_FORMAT = 1
ENCODING_OF_KIND = {"num": "float", "bool": "bool01", "cat": "target"}
KINDS = tuple(ENCODING_OF_KIND)
RAW_KINDS = ("probability", "margin")
MISSING_RULE = "None -> NaN for every kind; unseen category -> default"
NAN = math.nan


# --- the feature set ----------------------------------------------------------------------


def model_feature_kinds(
    catalogue: Mapping[str, Feature] | None = None, names: Sequence[str] | None = None
) -> dict[str, str]:
    """name -> kind of the features a model may see (default: every non-text feature the
    registered signals fill today; ``names`` picks some of them)."""
    from fraud.features import model_feature_names
    from fraud.signals import feature_catalogue

    catalogue = catalogue if catalogue is not None else feature_catalogue()
    names = model_feature_names(catalogue) if names is None else names
    return {name: catalogue[name].kind for name in names}


def feature_set_digest(kinds: Mapping[str, str]) -> str:
    """SHA-256 (hex) of the sorted ``name:kind`` lines, joined by newlines."""
    text = "\n".join(sorted(f"{name}:{kind}" for name, kind in kinds.items()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- encoding -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FeatureEncoding:
    """How one feature value becomes the float the booster sees (one ``encoding.json`` entry)."""

    name: str
    kind: str
    mapping: Mapping[str, float] = field(default_factory=dict)
    default: float = NAN

    @property
    def encoding(self) -> str:
        return ENCODING_OF_KIND[self.kind]

    def encoder(self) -> Callable[[FeatureValue], float]:
        """A fast function value -> float (``None`` -> NaN; unseen category -> default)."""
        if self.kind == "num":
            return lambda v: NAN if v is None else float(v)
        # ``v != v`` catches a NaN standing for "missing" (a pandas row in a notebook).
        if self.kind == "bool":
            return lambda v: NAN if v is None or v != v else (1.0 if v else 0.0)
        mapping, default = dict(self.mapping), self.default
        return lambda v: (
            NAN
            if v is None or v != v
            else mapping.get(v if isinstance(v, str) else str(v), default)
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "encoding": self.encoding}
        if self.kind == "cat":
            out["mapping"] = dict(self.mapping)
        out["default"] = None if math.isnan(self.default) else self.default
        return out


def _float_or_nan(value: object, where: str) -> float:
    if value is None:
        return NAN
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ModelError(f"{where}: expected a number or null, got {value!r}")
    return float(value)


def as_encoding(
    entry: FeatureEncoding | Mapping[str, Any], where: str = "encoding"
) -> FeatureEncoding:
    """An ``encoding.json`` entry (or a FraudModel ``encoding_`` item) as a FeatureEncoding."""
    if isinstance(entry, FeatureEncoding):
        return entry
    if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
        raise ModelError(f"{where}: expected an object with a 'name'")
    name, kind = entry["name"], entry.get("kind")
    if kind not in KINDS:
        raise ModelError(f"{where} ({name}): kind {kind!r} unknown; allowed: {', '.join(KINDS)}")
    encoding = entry.get("encoding", ENCODING_OF_KIND[kind])
    if encoding != ENCODING_OF_KIND[kind]:
        raise ModelError(
            f"{where} ({name}): encoding {encoding!r} does not fit kind {kind!r} "
            f"(expected {ENCODING_OF_KIND[kind]!r})"
        )
    mapping = entry.get("mapping") or {}
    if not isinstance(mapping, Mapping):
        raise ModelError(f"{where} ({name}): 'mapping' must be an object")
    return FeatureEncoding(
        name=name,
        kind=kind,
        mapping={str(k): _float_or_nan(v, where) for k, v in mapping.items()},
        default=_float_or_nan(entry.get("default"), where),
    )


def encode_value(entry: FeatureEncoding | Mapping[str, Any], value: Any) -> float:
    """One feature value as the booster sees it (``None``, NaN and ``pd.NA`` -> NaN)."""
    if value is None or _is_na(value):
        return NAN
    return as_encoding(entry).encoder()(value)


def _is_na(value: Any) -> bool:
    try:
        return bool(value != value)
    except TypeError:  # pandas.NA refuses to be a bool: it is missing
        return True


def encode_frame(
    encodings: Sequence[FeatureEncoding | Mapping[str, Any]], frame: pd.DataFrame
) -> np.ndarray:
    """A feature frame (columns by name) as the booster's float matrix, one value at a time
    with the same functions as one order, so batch and online cannot drift apart."""
    specs = [as_encoding(e) for e in encodings]
    missing = [e.name for e in specs if e.name not in frame.columns]
    if missing:
        raise ModelError(f"the frame lacks features {', '.join(missing)}")
    matrix = np.empty((len(frame), len(specs)), dtype=np.float64)
    for j, spec in enumerate(specs):
        column = frame[spec.name]
        values = column.astype(object).where(column.notna(), None).tolist()
        encode = spec.encoder()
        matrix[:, j] = [encode(v) for v in values]
    return matrix


def parse_encoding(data: object, source: str) -> tuple[tuple[FeatureEncoding, ...], str]:
    """The feature encodings and the ``feature_set`` digest from ``encoding.json`` data."""
    if not isinstance(data, dict):
        raise ModelError(f"{source}: expected a JSON object")
    if data.get("format") != ENCODING_FORMAT:
        raise ModelError(
            f"{source}: unsupported format {data.get('format')!r}; this code reads "
            f"{ENCODING_FORMAT}"
        )
    features = data.get("features")
    digest = data.get("feature_set")
    if not isinstance(features, list) or not features:
        raise ModelError(f"{source}: 'features' must be a non-empty list")
    if not isinstance(digest, str):
        raise ModelError(f"{source}: 'feature_set' (SHA-256 of the feature set) is missing")
    out = tuple(as_encoding(f, f"{source}: features[{i}]") for i, f in enumerate(features))
    names = [e.name for e in out]
    if len(set(names)) != len(names):
        raise ModelError(f"{source}: a feature is listed twice")
    if digest != feature_set_digest({e.name: e.kind for e in out}):
        raise ModelError(f"{source}: 'feature_set' does not match the features listed")
    return out, digest


# --- calibration --------------------------------------------------------------------------


@dataclass(frozen=True)
class Calibration:
    """Isotonic calibration as points: ``p = numpy.interp(raw, x, y)``."""

    x: np.ndarray
    y: np.ndarray
    raw: str = "probability"

    def __call__(self, raw: Any) -> Any:
        return np.interp(raw, self.x, self.y)


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


# --- one folder ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelFiles:
    """A model version folder, read and checked."""

    path: Path
    booster: lightgbm.Booster
    encodings: tuple[FeatureEncoding, ...]
    calibration: Calibration
    calibration_data: Mapping[str, Any]
    card: Mapping[str, Any]

    @property
    def version(self) -> str:
        """The card's version, else the folder's name."""
        version = self.card.get("version")
        return version if isinstance(version, str) and version else self.path.name


def read_json(path: Path) -> object:
    """A JSON file's content; ModelError (naming the file) when missing or malformed."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path}: file missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: not readable JSON ({exc})") from None


def read_encoding(folder: Path) -> tuple[FeatureEncoding, ...]:
    path = folder / ENCODING_FILE
    return parse_encoding(read_json(path), str(path))[0]


def read_card(folder: Path) -> dict[str, Any]:
    """``card.json`` (an empty card when there is none)."""
    path = folder / CARD_FILE
    card = read_json(path) if path.exists() else {}
    return card if isinstance(card, dict) else {}


def load_booster(path: Path) -> lightgbm.Booster:
    import lightgbm

    if not path.is_file():
        raise ModelError(f"{path}: file missing")
    try:
        return lightgbm.Booster(model_file=str(path))
    except Exception as exc:  # LightGBMError, or worse, for a damaged file
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{path}: not a LightGBM model ({message})") from None


def read_model(folder: str | Path) -> ModelFiles:
    """Read the model version in ``folder``; ModelError names a missing or corrupt file."""
    path = Path(folder)
    if not path.is_dir():
        raise ModelError(f"model folder {path} does not exist")
    encodings = read_encoding(path)
    calibration_data = read_json(path / CALIBRATION_FILE)
    calibration = parse_calibration(calibration_data, str(path / CALIBRATION_FILE))
    booster = load_booster(path / MODEL_FILE)
    if booster.num_feature() != len(encodings):
        raise ModelError(
            f"model {path.name}: the booster has {booster.num_feature()} features, "
            f"{ENCODING_FILE} lists {len(encodings)}"
        )
    assert isinstance(calibration_data, dict)
    return ModelFiles(path, booster, encodings, calibration, calibration_data, read_card(path))


def write_json(data: Any, path: Path) -> Path:
    """``data`` as indented JSON; NaN becomes null (bare NaN is not JSON)."""
    path.write_text(json.dumps(json_safe(data), indent=1, allow_nan=False) + "\n",
                    encoding="utf-8")
    return path


def write_model(
    folder: str | Path,
    booster: lightgbm.Booster,
    encodings: Sequence[FeatureEncoding | Mapping[str, Any]],
    calibration: Mapping[str, Any],
) -> Path:
    """Write ``model.txt``, ``encoding.json`` and ``calibration.json`` into ``folder``.

    Both JSON files are checked with the readers first, so no file is written
    that serving would refuse.
    """
    path = Path(folder)
    specs = [as_encoding(e, f"{ENCODING_FILE}: features[{i}]") for i, e in enumerate(encodings)]
    kinds = {e.name: e.kind for e in specs}
    encoding = {
        "format": ENCODING_FORMAT,
        "features": [e.to_json() for e in specs],
        "feature_set": feature_set_digest(kinds),
        "missing": MISSING_RULE,
    }
    parse_encoding(encoding, ENCODING_FILE)
    parse_calibration(dict(calibration), CALIBRATION_FILE)
    if booster.num_feature() != len(specs):
        raise ModelError(
            f"the booster has {booster.num_feature()} features, the encoding lists {len(specs)}"
        )
    path.mkdir(parents=True, exist_ok=True)
    booster.save_model(str(path / MODEL_FILE))
    write_json(encoding, path / ENCODING_FILE)
    write_json(dict(calibration), path / CALIBRATION_FILE)
    return path


def write_card(folder: str | Path, card: Mapping[str, Any], markdown: str | None = None) -> None:
    """Write the model card: ``card.json``, and ``card.md`` when given."""
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    write_json(card, path / CARD_FILE)
    if markdown is not None:
        (path / CARD_MD_FILE).write_text(markdown, encoding="utf-8")
