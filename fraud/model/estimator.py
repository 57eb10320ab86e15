"""``FraudModel``: gradient-boosted trees on the service's features, calibrated.

A scikit-learn estimator (``__init__`` stores parameters, ``fit`` returns
``self``, learned state ends in ``_``), so ``clone`` and ``Pipeline`` work.
Inside: categorical features are target-encoded (scikit-learn ``TargetEncoder``,
cross-fitted so a row's own label never leaks into its encoding), LightGBM
learns with the rare fraud class up-weighted, and a sigmoid (Platt) map fitted on
the *latest* rows turns its output into probabilities. The map is strictly
increasing, so calibrating never changes how orders rank.

With ``base_model`` (an exported model's folder) the trees are not learnt from
scratch: boosting continues from that model's trees on the new rows, with its
encoding tables, so a shop with a handful of known frauds keeps what the base
model knows and adds what its own orders teach.

The encoding is kept as plain tables (``encoding_``), the same tables
:meth:`FraudModel.export` writes to ``encoding.json``: :meth:`predict_proba`
applies exactly what serving applies, with no scikit-learn at prediction time.

The files it exports, and the encoding rules both sides apply, are defined once in
:mod:`fraud.model.artifact`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from fraud.model.artifact import (
    ENCODING_OF_KIND,
    KINDS,
    encode_frame,
    load_booster,
    model_feature_kinds,
    read_encoding,
    read_json,
    write_model,
)

_MISSING = "\x00missing"  # stands for None while fitting the encoder; never in a mapping


def catalogue_kinds(names: Sequence[str] | None = None) -> dict[str, str]:
    """The kind (num, bool, cat) of each model feature, from the signal catalogue."""
    return model_feature_kinds(names=names)


def _check_weights(sample_weight: Any, n_rows: int) -> np.ndarray:
    """One weight per row, not negative, not all zero (1 when none are given)."""
    if sample_weight is None:
        return np.ones(n_rows)
    weights = np.asarray(sample_weight, dtype=float).reshape(-1)
    if len(weights) != n_rows:
        raise ValueError(f"X has {n_rows} rows but sample_weight has {len(weights)} values")
    if not np.all(np.isfinite(weights)) or weights.min() < 0:
        raise ValueError("sample_weight must be finite and not negative")
    if weights.sum() <= 0:
        raise ValueError("sample_weight must not be all zero")
    return weights


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def _infer_kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_numeric_dtype(series):
        return "num"
    present = [v for v in series.tolist() if not _is_missing(v)]
    if present and all(isinstance(v, bool | np.bool_) for v in present):
        return "bool"
    if present and all(isinstance(v, int | float | np.number) for v in present):
        return "num"
    return "cat"


def _as_frame(X: Any) -> pd.DataFrame:
    """A DataFrame as given (feature values may be text or None); arrays are checked."""
    from sklearn.utils.validation import check_array

    if isinstance(X, pd.DataFrame):
        if X.shape[0] == 0 or X.shape[1] == 0:
            raise ValueError(f"Found array with shape {X.shape}: need at least 1 sample and "
                             "1 feature")
        return X.set_axis([str(c) for c in X.columns], axis=1)
    array = check_array(X, dtype=None, ensure_all_finite="allow-nan")
    return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(np.asarray(p, dtype=float), 1e-15, 1 - 1e-15)
    return np.log(q) - np.log1p(-q)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)), without overflow and exact far into the tails."""
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


_GRID = np.linspace(-25.0, 25.0, 501)
"""Logits at which the sigmoid map is written out; beyond them interp is linear to 0 and 1."""


def sigmoid_points(a: float, b: float) -> dict[str, list[float]]:
    """Points (x = raw probability, y = calibrated) of ``sigmoid(a * logit(x) + b)``, from
    x = 0 to x = 1, strictly increasing where floats can tell the values apart."""
    x = np.concatenate([[0.0], _sigmoid(_GRID), [1.0]])
    y = np.concatenate([[0.0], _sigmoid(a * _GRID + b), [1.0]])
    keep = np.concatenate([[True], np.diff(x) > 0])  # sigmoid(25) rounds to 1.0
    y = np.maximum.accumulate(y[keep])
    return {"x": x[keep].tolist(), "y": y.tolist()}


class FraudModel(ClassifierMixin, BaseEstimator):
    """Calibrated LightGBM fraud classifier over the service's feature vector.

    Parameters
    ----------
    kinds : mapping of column name to "num", "bool" or "cat", optional
        Kind of each input column; columns not listed are inferred from their
        values (text -> cat). Use :func:`catalogue_kinds` for the service's features.
    n_estimators, learning_rate, num_leaves, min_child_samples : LightGBM settings
        Kept modest: the artifact stays small and loads fast.
    scale_pos_weight : float, optional
        Weight of a fraud row against a good one. ``None`` (default): the ratio
        of good to fraud rows in the fitting slice, so both classes weigh the same.
    calibration_fraction : float
        Share of rows, the *last* ones, held out to fit the calibration.
        Rows must come in time order so this slice is the latest.
    target_smooth : "auto" or float
        ``TargetEncoder`` smoothing (shrinks rare categories to the mean).
    cv : int
        Folds of the encoder's cross-fitting.
    random_state : int
    n_jobs : int
        LightGBM threads (0: its default).
    base_model : str or Path, optional
        Folder of an exported model to continue from: its encoding tables are kept and
        ``n_estimators`` trees are added to its booster, fitted on these rows. The rows
        must hold exactly the base model's features (any order).

    Attributes
    ----------
    booster_ : lightgbm.Booster
    encoding_ : list of dict
        One entry per input feature, in booster column order (``encoding.json``).
    calibration_ : dict
        ``{"method": "sigmoid", "x": [...], "y": [...], "raw": "probability", ...}``.
    scale_pos_weight_ : float
    classes_ : ndarray of shape (2,)
    feature_names_in_ : ndarray of str
    n_features_in_ : int
    """

    # learned in fit (or load); declared for type checkers only, so check_is_fitted still works
    feature_names_in_: np.ndarray
    encoding_: list[dict[str, Any]]
    booster_: Any

    def __init__(
        self,
        kinds: Mapping[str, str] | None = None,
        *,
        n_estimators: int = 150,
        learning_rate: float = 0.05,
        num_leaves: int = 15,
        min_child_samples: int = 20,
        scale_pos_weight: float | None = None,
        calibration_fraction: float = 0.25,
        target_smooth: str | float = "auto",
        cv: int = 5,
        random_state: int = 0,
        n_jobs: int = 0,
        base_model: str | Path | None = None,
    ) -> None:
        self.kinds = kinds
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.scale_pos_weight = scale_pos_weight
        self.calibration_fraction = calibration_fraction
        self.target_smooth = target_smooth
        self.cv = cv
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.base_model = base_model

    def __sklearn_tags__(self):  # noqa: ANN204 - sklearn.utils.Tags
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        return tags

    # --- fitting --------------------------------------------------------------------------------

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> FraudModel:
        """Fit on rows in time order: the earlier rows train, the last ones calibrate.

        ``X``: a DataFrame of feature values (None for missing) or a 2-D array;
        ``y``: 0 (good) or 1 (fraud) per row, both present; ``sample_weight``: how much
        each row's label counts (a good label not yet matured counts less), default 1.
        """
        frame = _as_frame(X)
        labels = self._check_target(y, len(frame))
        self._check_params()
        base = self._load_base(frame)
        if base is not None:
            frame = frame.loc[:, list(base.feature_names_in_)]
        self.feature_names_in_ = np.asarray([str(c) for c in frame.columns], dtype=object)
        self.n_features_in_ = frame.shape[1]
        kinds = self._resolve_kinds(frame)
        weights = _check_weights(sample_weight, len(frame))

        n_cal = int(round(len(frame) * self.calibration_fraction))
        fit_rows, cal_rows = frame.iloc[: len(frame) - n_cal], frame.iloc[len(frame) - n_cal :]
        y_fit, y_cal = labels[: len(fit_rows)], labels[len(fit_rows) :]
        w_fit, w_cal = weights[: len(fit_rows)], weights[len(fit_rows) :]
        if len(np.unique(y_fit)) < 2:
            raise ValueError(  # check_estimator expects "1 class" in this message
                "1 class only: "
                "the fitting slice (all but the last calibration_fraction of rows) must hold "
                "both fraud (1) and good (0) rows"
            )
        if base is not None:  # the base's trees split on its own encodings: keep them
            self.encoding_ = [dict(spec) for spec in base.encoding_]
            fit_matrix = encode_frame(self.encoding_, fit_rows)
        else:
            self.encoding_, fit_matrix = self._fit_encoding(fit_rows, y_fit, kinds)
        self.booster_ = self._fit_booster(fit_matrix, y_fit, w_fit,
                                          None if base is None else base.booster_)
        self.calibration_ = self._fit_calibration(cal_rows, y_cal, w_cal)
        return self

    def _check_params(self) -> None:
        if not 0 <= self.calibration_fraction < 1:
            raise ValueError(
                f"calibration_fraction must be in [0, 1), got {self.calibration_fraction!r}"
            )
        if self.n_estimators < 1 or self.num_leaves < 2:
            raise ValueError(
                f"need n_estimators >= 1 and num_leaves >= 2, got {self.n_estimators!r} "
                f"and {self.num_leaves!r}"
            )

    def _load_base(self, frame: pd.DataFrame) -> FraudModel | None:
        """The model to continue from, checked to take exactly these columns and kinds."""
        if self.base_model is None:
            return None
        base = FraudModel.load(self.base_model)
        names = set(map(str, base.feature_names_in_))
        if names != set(frame.columns):
            lacking = sorted(names - set(frame.columns))
            extra = sorted(set(frame.columns) - names)
            raise ValueError(
                f"the base model {self.base_model} takes other features than X: X lacks "
                f"{lacking[:5]} and has {extra[:5]} it does not know; train from scratch"
            )
        given = self._resolve_kinds(frame)
        changed = [s["name"] for s in base.encoding_ if given[s["name"]] != s["kind"]]
        if changed:
            raise ValueError(f"the base model {self.base_model} has other kinds for {changed[:5]}")
        return base

    def _check_target(self, y: Any, n_rows: int) -> np.ndarray:
        """0/1 per row, 1 for ``classes_[1]`` (the larger label: fraud when y is 0/1)."""
        from sklearn.utils.multiclass import check_classification_targets
        from sklearn.utils.validation import column_or_1d

        if y is None:
            raise ValueError("requires y to be passed, but the target y is None")
        labels = column_or_1d(y, warn=True)
        if len(labels) != n_rows:
            raise ValueError(f"X has {n_rows} rows but y has {len(labels)} values")
        check_classification_targets(labels)
        self.classes_ = np.unique(labels)
        if len(self.classes_) != 2:
            raise ValueError(
                "Only binary classification is supported: y must hold 2 classes (good and "
                f"fraud), got {len(self.classes_)} class(es)"
            )
        return (labels == self.classes_[1]).astype(np.int64)

    def _resolve_kinds(self, frame: pd.DataFrame) -> dict[str, str]:
        given = dict(self.kinds or {})
        kinds = {}
        for column in frame.columns:
            kind = given.get(str(column)) or _infer_kind(frame[column])
            if kind not in KINDS:
                raise ValueError(f"feature {column!r} has kind {kind!r}; allowed: {KINDS}")
            kinds[str(column)] = kind
        return kinds

    def _fit_encoding(
        self, frame: pd.DataFrame, y: np.ndarray, kinds: Mapping[str, str]
    ) -> tuple[list[dict[str, Any]], np.ndarray]:
        """Encoding tables, and the fitting rows encoded with *cross-fitted* target means."""
        from sklearn.model_selection import StratifiedKFold
        from sklearn.preprocessing import TargetEncoder

        specs: list[dict[str, Any]] = [
            {"name": name, "kind": kind, "encoding": ENCODING_OF_KIND[kind], "default": None}
            for name, kind in kinds.items()
        ]
        renamed = frame.set_axis(list(kinds), axis=1)
        matrix = encode_frame(specs, renamed.assign(
            **{s["name"]: None for s in specs if s["kind"] == "cat"}
        ))
        cat_positions = [j for j, s in enumerate(specs) if s["kind"] == "cat"]
        if not cat_positions:
            return specs, matrix
        cats = renamed.iloc[:, cat_positions]
        missing = cats.map(_is_missing).to_numpy()
        text = cats.astype(object).where(~missing, _MISSING).astype(str)
        encoder = TargetEncoder(
            target_type="binary",
            smooth=self.target_smooth,
            cv=StratifiedKFold(
                n_splits=min(self.cv, max(2, int(min(np.bincount(y))))),
                shuffle=True,
                random_state=self.random_state,
            ),
        )
        crossed = encoder.fit_transform(text, y)
        crossed[missing] = np.nan
        matrix[:, cat_positions] = crossed
        default = float(encoder.target_mean_)
        for j, categories, values in zip(
            cat_positions, encoder.categories_, encoder.encodings_, strict=True
        ):
            specs[j]["mapping"] = {
                str(c): float(v) for c, v in zip(categories, values, strict=True) if c != _MISSING
            }
            specs[j]["default"] = default
        return specs, matrix

    def _fit_booster(
        self, matrix: np.ndarray, y: np.ndarray, weights: np.ndarray, init: Any = None
    ) -> Any:
        """LightGBM trees; with ``init`` (a base booster) boosting continues from its output
        and the result holds its trees followed by the new ones."""
        import lightgbm as lgb

        pos, neg = float(weights[y == 1].sum()), float(weights[y == 0].sum())
        self.scale_pos_weight_ = (
            float(self.scale_pos_weight)
            if self.scale_pos_weight is not None
            else neg / pos if pos > 0 and neg > 0 else 1.0
        )
        params = {
            "objective": "binary",
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_child_samples": min(self.min_child_samples, max(1, len(y) // 4)),
            "scale_pos_weight": self.scale_pos_weight_,
            "feature_fraction": 0.8,
            "lambda_l2": 1.0,
            "seed": self.random_state,
            "deterministic": True,
            "force_row_wise": True,
            "num_threads": self.n_jobs,
            "verbosity": -1,
        }
        names = [s["name"] for s in self.encoding_]
        data = lgb.Dataset(matrix, label=y, weight=weights, feature_name=names,
                           free_raw_data=True)
        return lgb.train(params, data, num_boost_round=self.n_estimators, init_model=init)

    def _fit_calibration(
        self, frame: pd.DataFrame, y: np.ndarray, weights: np.ndarray
    ) -> dict[str, Any]:
        """Sigmoid (Platt) map from the booster's output to a probability, fitted on later
        rows: ``p = 1 / (1 + exp(-(a * logit(raw) + b)))``, written as points for
        ``numpy.interp`` (the artifact's format).

        Why not isotonic regression: with the few dozen frauds a shop knows, it is a
        staircase of a handful of steps, and every order on one step gets the same
        probability. Orders the booster ranked apart then tie, and the top 2 % become a
        lottery (on held-out simulated shops it cost a third of the frauds caught at a 2 %
        review rate: docs/model.md). Two parameters fit on few frauds, and the map is
        strictly increasing, so the ranking stays the booster's.

        Without both classes in the calibration slice the map is the identity, and
        says so (``fitted: false``): up-weighted fraud then inflates probabilities.
        """
        from sklearn.linear_model import LogisticRegression

        identity = {"method": "sigmoid", "x": [0.0, 1.0], "y": [0.0, 1.0],
                    "raw": "probability", "fitted": False}
        if len(frame) == 0 or len(np.unique(y)) < 2:
            return identity
        z = _logit(self._raw(frame)).reshape(-1, 1)
        fit = LogisticRegression(C=1e3).fit(z, y, sample_weight=weights)
        a, b = float(fit.coef_[0, 0]), float(fit.intercept_[0])
        if not a > 0:  # the booster's order says nothing on these rows: keep its output
            return {**identity, "rows": int(len(y)), "positives": int(y.sum())}
        return {"method": "sigmoid", **sigmoid_points(a, b), "raw": "probability",
                "fitted": True, "slope": a, "intercept": b,
                "rows": int(len(y)), "positives": int(y.sum())}

    # --- predicting ----------------------------------------------------------------------------

    def _frame_for(self, X: Any) -> pd.DataFrame:
        frame = _as_frame(X)
        if frame.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {frame.shape[1]} features, but FraudModel is expecting "
                f"{self.n_features_in_} features as input"
            )
        if isinstance(X, pd.DataFrame):
            missing = [n for n in self.feature_names_in_ if n not in frame.columns]
            if missing:
                raise ValueError(f"X lacks the fitted features {missing[:5]}")
            return frame.loc[:, list(self.feature_names_in_)]
        return frame.set_axis(list(self.feature_names_in_), axis=1)

    def _raw(self, frame: pd.DataFrame) -> np.ndarray:
        return self.booster_.predict(encode_frame(self.encoding_, frame))

    def predict_raw(self, X: Any) -> np.ndarray:
        """The booster's uncalibrated output (the ``raw`` of ``calibration.json``)."""
        check_is_fitted(self, "booster_")
        return self._raw(self._frame_for(X))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Calibrated probabilities, shape (n, 2): column 1 is fraud."""
        p = np.interp(self.predict_raw(X), self.calibration_["x"], self.calibration_["y"])
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        """1 where the calibrated fraud probability is at least one half."""
        fraud = self.predict_proba(X)[:, 1] >= 0.5  # checks fitted before classes_ is read
        return self.classes_[fraud.astype(int)]

    # --- the artifact --------------------------------------------------------------------------

    def export(self, path: str | Path) -> Path:
        """Write ``model.txt``, ``encoding.json`` and ``calibration.json`` into folder ``path``
        (the format of :mod:`fraud.model.artifact`)."""
        check_is_fitted(self, "booster_")
        return write_model(path, self.booster_, self.encoding_, self.calibration_)

    @classmethod
    def load(cls, path: str | Path) -> FraudModel:
        """A fitted model from an exported folder (predictions equal the exported model's)."""
        from fraud.model.artifact import CALIBRATION_FILE, MODEL_FILE, parse_calibration

        folder = Path(path)
        encodings = read_encoding(folder)
        calibration = read_json(folder / CALIBRATION_FILE)
        parse_calibration(calibration, str(folder / CALIBRATION_FILE))
        assert isinstance(calibration, dict)
        model = cls(kinds={e.name: e.kind for e in encodings})
        model.booster_ = load_booster(folder / MODEL_FILE)
        model.encoding_ = [e.to_json() for e in encodings]
        model.calibration_ = calibration
        model.feature_names_in_ = np.asarray([e.name for e in encodings], dtype=object)
        model.n_features_in_ = len(encodings)
        model.classes_ = np.array([0, 1])
        return model
