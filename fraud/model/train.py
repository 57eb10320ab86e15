"""Train a model end to end: data -> time-aware labels -> split by time -> fit ->
evaluate against the rules and a baseline -> ``models/<version>/`` with a model card.

The split is by time, never random: the model learns from earlier weeks
(its last quarter calibrates the probabilities), a gap of days is skipped for
label delay, and the figures come from the weeks after. Those figures, measured
on orders the model never saw, go into the model card of the very model that
is saved.
"""

from __future__ import annotations

import platform
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fraud.model.artifact import feature_set_digest, write_card
from fraud.model.dataset import (
    DEFAULT_MATURITY,
    Dataset,
    LabelPolicy,
    RawData,
    TimeSplit,
    build_dataset,
    data_fingerprint,
    default_windows,
    matured_split,
    recent_weights,
)
from fraud.model.estimator import FraudModel, catalogue_kinds
from fraud.model.evaluate import Evaluation, compare_on_dataset, headline
from fraud.model.reference import reference_mask, training_profile, write_reference
from fraud.settings import Settings

INTENDED_USE = (
    "Ranks new web-shop orders by fraud risk for the order fraud scoring service: its "
    "calibrated probability adds 100 x p points to the rule points, and the top orders are "
    "held for a reviewer. A decision aid for staffed review, not an automatic verdict."
)
LIMITS = (
    "Trained on the data named below only; fraud patterns that data lacks are not learned. "
    "Labels are chargebacks and confirmed fraud known at the cut-off: fraud never reported "
    "counts as good, so recall is measured against caught fraud. Probabilities are calibrated "
    "on the latest training weeks and drift as traffic changes: retrain and compare regularly. "
    "Not for decisions about people beyond the order in front of the reviewer."
)


TRAIN_MODEL_PARAMS: Mapping[str, Any] = {"scale_pos_weight": 1.0}
"""What ``fraud train`` changes from :class:`FraudModel`'s defaults. Fraud is not up-weighted
by the good/fraud ratio: on held-out simulated shops with a few dozen known frauds
(shop seeds 940-942) the up-weighted trees caught fewer of the next month's frauds at a
2 % review rate (docs/model.md); calibration makes the probabilities honest either way."""


@dataclass(frozen=True)
class TrainConfig:
    """What to train on. ``cutoff`` defaults to the latest order or outcome in the data;
    ``gap_days`` and ``valid_days`` to what fits the matured weeks
    (:func:`fraud.model.dataset.default_windows`). With ``recent_labels`` the model also
    learns from the orders after the validation window, whose labels have not matured:
    their known fraud counts fully, their silence as good weighed by age
    (:func:`fraud.model.dataset.recent_weights`); the validation orders are never trained on.
    """

    cutoff: datetime | None = None
    maturity: timedelta = DEFAULT_MATURITY
    gap_days: float | None = None
    valid_days: float | None = None
    recent_labels: bool = True
    model_params: Mapping[str, Any] = field(default_factory=dict)
    base: Path | None = None
    """Folder of a model to continue boosting from (``fraud train``: the served one); None:
    learn from scratch. Used only when it was trained on the same features as the code
    computes now (else training starts from scratch and :attr:`TrainResult.base_note` says
    why)."""


@dataclass(frozen=True)
class TrainResult:
    version: str
    path: Path
    model: FraudModel
    evaluation: Evaluation
    card: dict[str, Any]
    dataset: Dataset
    split: TimeSplit
    recent_orders: int = 0
    """Orders after the validation window the model also learnt from (young labels)."""
    base_version: str | None = None
    """The model boosting continued from, or None when trained from scratch."""
    base_note: str = "trained from scratch"
    """One line on the base model: continued from which, or why from scratch."""


def model_version_of(folder: Path) -> str:
    """A model folder's version: its card's, else the folder's name."""
    from fraud.model.artifact import read_json

    card = folder / "card.json"
    data = read_json(card) if card.exists() else {}
    return str(data.get("version") or folder.name) if isinstance(data, dict) else folder.name


def resolve_base(base: Path | None, kinds: Mapping[str, str]) -> tuple[Path | None, str]:
    """The base folder to continue from, or None; and a line saying which, or why not."""
    from fraud.model.artifact import read_encoding

    if base is None:
        return None, "trained from scratch"
    version = model_version_of(base)
    theirs = {e.name: e.kind for e in read_encoding(base)}
    if theirs != dict(kinds):
        differ = sorted(set(theirs.items()) ^ set(kinds.items()))
        return None, (
            f"trained from scratch: the base model {version} was trained on other features "
            f"than the code computes now ({', '.join(n for n, _ in differ[:5])}"
            f"{', ...' if len(differ) > 5 else ''}), so boosting cannot continue from it"
        )
    return base, (
        f"continued from the model {version}: its trees and encodings are kept and new trees "
        "are boosted from its scores on this data, so what it knows is not thrown away "
        "(--from-scratch: learn from this data alone)"
    )


def make_version(created: datetime, source: str, fingerprint: str) -> str:
    """``2026-11-25-sim-a1b2c3d4``: day, data label, first 8 hex of the data fingerprint."""
    label = "".join(c if c.isalnum() else "-" for c in source.lower()).strip("-") or "data"
    return f"{created.astimezone(UTC):%Y-%m-%d}-{label}-{fingerprint[:8]}"


def library_versions() -> dict[str, str]:
    import lightgbm
    import numpy
    import pandas
    import sklearn

    return {"python": platform.python_version(), "lightgbm": lightgbm.__version__,
            "scikit-learn": sklearn.__version__, "numpy": numpy.__version__,
            "pandas": pandas.__version__}


def _window(times: pd.Series) -> dict[str, str | None]:
    if times.empty:
        return {"first": None, "last": None}
    return {"first": times.min().isoformat(), "last": times.max().isoformat()}


def _slice_counts(dataset: Dataset, mask: np.ndarray) -> dict[str, Any]:
    rows = mask & dataset.labelled
    fraud = int(dataset.label[rows].sum())
    return {"orders": int(mask.sum()), "labelled": int(rows.sum()), "fraud": fraud,
            "fraud_rate": fraud / int(rows.sum()) if rows.sum() else None,
            **_window(dataset.created_at[rows])}


def model_card(
    *,
    version: str,
    created: datetime,
    dataset: Dataset,
    split: TimeSplit,
    train_mask: np.ndarray,
    valid_mask: np.ndarray,
    model: FraudModel,
    evaluation: Evaluation,
    fingerprint: str,
    rules_version: str | None,
    windows: str = "given",
    recent_orders: int = 0,
    base: str | None = None,
    base_note: str = "trained from scratch",
    drift_reference: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything a reader needs to trust (or distrust) the model, as JSON-ready data."""
    from fraud.signals import feature_catalogue

    catalogue = feature_catalogue()
    train_rows = train_mask & dataset.labelled
    comparison = {name: headline(evaluation, name) for name in evaluation.metrics["scorers"]}
    return {
        "version": version,
        "created_at": created.isoformat(),
        "intended_use": INTENDED_USE,
        "limits": LIMITS,
        "features": [
            {"name": s["name"], "kind": s["kind"], "encoding": s["encoding"],
             "signal": catalogue[s["name"]].signal if s["name"] in catalogue else "",
             "description": catalogue[s["name"]].description if s["name"] in catalogue else ""}
            for s in model.encoding_
        ],
        "feature_set": feature_set_digest({s["name"]: s["kind"] for s in model.encoding_}),
        "training_window": _window(dataset.created_at[train_rows]),
        "drift_reference": dict(drift_reference) if drift_reference is not None else None,
        "label_policy": dataset.policy.describe(),
        "split": {**split.describe(), "method": "by time; the last "
                  f"{model.calibration_fraction:.0%} of training rows (by time) calibrate",
                  "windows": windows, "recent_orders_trained_on": recent_orders},
        "data": {
            "source": dataset.source,
            "fingerprint": fingerprint,
            "fingerprint_of": "SHA-256 of the sorted 'order_id,label' lines of the labelled "
            "orders in the training and validation slices",
            "orders": len(dataset),
            "labelled": int(dataset.labelled.sum()),
            "train": _slice_counts(dataset, train_mask),
            "validation": _slice_counts(dataset, valid_mask),
        },
        "model": {
            "kind": "LightGBM gradient-boosted trees, target-encoded categories, sigmoid "
            "calibration",
            "base_model": base,
            "base_note": base_note,
            "params": {k: v for k, v in model.get_params().items()
                       if k not in ("kinds", "base_model")},
            "scale_pos_weight": model.scale_pos_weight_,
            "trees": model.booster_.num_trees(),
            "calibration": {k: v for k, v in model.calibration_.items() if k not in ("x", "y")},
        },
        "metrics": {"validation": comparison["model"], "comparison": comparison,
                    "rules_version": rules_version},
        "library_versions": library_versions(),
    }


def _pct(value: Any) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def _num(value: Any) -> str:
    return "–" if value is None else f"{value:.3f}"


def card_markdown(card: Mapping[str, Any]) -> str:
    """The model card for people (``card.md``)."""
    data, split, metrics = card["data"], card["split"], card["metrics"]
    lines = [
        f"# Model card: {card['version']}", "",
        f"Created {card['created_at']}.", "",
        "## Intended use", "", card["intended_use"], "",
        "## Limits", "", card["limits"], "",
        "## Data", "",
        f"- Source: `{data['source']}`; fingerprint `{data['fingerprint']}` "
        f"({data['fingerprint_of']}).",
        f"- {data['orders']} orders, {data['labelled']} labelled.",
        f"- Training window: {card['training_window']['first']} to "
        f"{card['training_window']['last']} ({data['train']['labelled']} labelled, "
        f"{data['train']['fraud']} fraud, {_pct(data['train']['fraud_rate'])}).",
        f"- Validation: {split['valid_start']} to {split['valid_end']} after a "
        f"{split['gap_days']}-day gap ({data['validation']['labelled']} labelled, "
        f"{data['validation']['fraud']} fraud).",
        f"- Split: {split['method']}.",
        *([f"- Drift reference: {ref['window']}, {ref['first']} to {ref['last']} "
           f"({ref['orders']} orders)."] if (ref := card.get("drift_reference")) else []),
        "",
        "## Label policy", "",
        *[f"- {k}: {v}" for k, v in card["label_policy"].items()], "",
        "## Metrics on the validation weeks", "",
        "| scorer | ROC-AUC | PR-AUC | "
        + " | ".join(f"recall @{float(r) * 100:g}%" for r in metrics["validation"]["recall_at"])
        + " | cost @staffed rate (EUR) |",
        "|---|---|---|" + "---|" * len(metrics["validation"]["recall_at"]) + "---|",
    ]
    for name, m in metrics["comparison"].items():
        lines.append(
            f"| {name} | {_num(m['roc_auc'])} | {_num(m['pr_auc'])} | "
            + " | ".join(_pct(v) for v in m["recall_at"].values())
            + f" | {m['cost_at_staffed_rate_eur']:,.0f} |"
        )
    lines += ["", f"Rules compared: version `{metrics['rules_version']}`.", "",
              "## Model", "", f"{card['model']['kind']}; {card['model']['trees']} trees, "
              f"scale_pos_weight {card['model']['scale_pos_weight']:.1f}.", "",
              f"Base model: {card['model'].get('base_note', 'trained from scratch')}.", "",
              "## Library versions", "",
              ", ".join(f"{k} {v}" for k, v in card["library_versions"].items()), "",
              "## Features", "", "| feature | kind | description |", "|---|---|---|"]
    lines += [f"| `{f['name']}` | {f['kind']} | {f['description']} |" for f in card["features"]]
    return "\n".join(lines) + "\n"


def unused_version(model_dir: Path, version: str) -> str:
    """``version``, or ``version-2``, ``-3``... when a folder of that name exists.

    The name's fingerprint covers the labelled orders only: a retrain the same day on the
    same labels (new unlabelled orders, other features, another base) would otherwise
    overwrite a model that may be the one in use.
    """
    candidate, n = version, 1
    while (model_dir / candidate).exists():
        n += 1
        candidate = f"{version}-{n}"
    return candidate


def promote(model_dir: str | Path, version: str) -> None:
    """Make ``version`` the one the service uses: ``CURRENT``, and a line in ``HISTORY``
    (:meth:`fraud.model.registry.ModelRegistry.promote`: checked to load, written atomically)."""
    from fraud.model.registry import ModelRegistry

    ModelRegistry(model_dir).promote(version)


def train(
    raw: RawData,
    settings: Settings,
    config: TrainConfig | None = None,
    *,
    out_dir: str | Path | None = None,
    truth: pd.DataFrame | None = None,
    promote_version: bool = False,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> TrainResult:
    """Train, evaluate and write ``<out_dir>/<version>/``; returns the version and figures.

    ``out_dir`` defaults to ``settings.model_dir``. ``truth`` (the simulator's
    ground truth) only adds per-pattern recall to the figures; it never trains.
    ``progress`` is called once per order whose features are computed.
    """
    from fraud.rules import load_rules

    config = config or TrainConfig()
    created = now or datetime.now(UTC)
    policy = LabelPolicy(config.cutoff or raw.last_event_time(), config.maturity)
    raw = raw.as_of(policy.cutoff)  # as the shop stood then: no later order or outcome
    rules = load_rules(settings.rules_path)
    order_times = pd.Series([o.created_at for o in raw.orders], dtype=object)
    gap, valid = default_windows(order_times, policy)
    split = matured_split(
        order_times, policy,
        gap if config.gap_days is None else config.gap_days,
        valid if config.valid_days is None else config.valid_days,
    )
    dataset = build_dataset(raw, policy, settings, rules=rules, progress=progress)
    train_mask, valid_mask = split.masks(dataset.created_at)
    _require_both_classes(dataset, train_mask & dataset.labelled, "training")
    fit_rows, weights = fitting_rows(dataset, split, train_mask, config.recent_labels)

    kinds = catalogue_kinds(dataset.feature_names)
    base, base_note = resolve_base(config.base, kinds)
    model = FraudModel(kinds, **{**TRAIN_MODEL_PARAMS, "base_model": base,
                                 **dict(config.model_params)})
    model.fit(dataset.X(fit_rows), dataset.label[fit_rows].fillna(0.0).to_numpy().astype(int),
              sample_weight=weights[fit_rows].to_numpy())
    evaluation = compare_on_dataset(dataset, model, train_mask, valid_mask, settings,
                                    truth=truth, kinds=kinds)

    fingerprint = data_fingerprint(dataset.label[(train_mask | valid_mask) & dataset.labelled])
    version = unused_version(Path(out_dir if out_dir is not None else settings.model_dir),
                             make_version(created, dataset.source, fingerprint))
    folder = Path(out_dir if out_dir is not None else settings.model_dir) / version
    model.export(folder)
    # Drift checks compare recent orders with the latest orders the model learnt from (the
    # training weeks and, by default, the young-label orders after validation), not all.
    ref_rows, reference = reference_mask(dataset.created_at, train_mask | fit_rows)
    ref_X = dataset.X(ref_rows)
    write_reference(folder, training_profile(
        ref_X, kinds, model.predict_proba(ref_X)[:, 1],
        source=f"training rows {reference['first']} to {reference['last']} "
        f"({reference['window']})"))
    card = model_card(version=version, created=created, dataset=dataset, split=split,
                      train_mask=train_mask, valid_mask=valid_mask, model=model,
                      evaluation=evaluation, fingerprint=fingerprint, rules_version=rules.version,
                      windows="given" if config.gap_days is not None or config.valid_days
                      is not None else "fitted to the matured weeks",
                      recent_orders=int((fit_rows & ~train_mask).sum()),
                      base=None if base is None else model_version_of(base), base_note=base_note,
                      drift_reference=reference)
    write_card(folder, card, card_markdown(card))
    if promote_version:
        promote(folder.parent, version)
    recent = int((fit_rows & ~train_mask).sum())
    return TrainResult(version, folder, model, evaluation, card, dataset, split, recent,
                       card["model"]["base_model"], base_note)


def recent_mask(dataset: Dataset, split: TimeSplit) -> np.ndarray:
    """Orders after the validation window and its gap: their labels are young."""
    t = dataset.created_at
    return np.array(t >= pd.Timestamp(split.valid_end + split.gap), dtype=bool)


def fitting_rows(dataset: Dataset, split: TimeSplit, train_mask: np.ndarray, recent: bool
                 ) -> tuple[np.ndarray, pd.Series]:
    """The rows the model fits on (in time order) and each label's weight: the labelled
    training weeks, plus with ``recent`` every order after the validation window (an
    unmatured silence counts as good, weighed by age)."""
    rows = train_mask & dataset.labelled
    if recent:
        rows = rows | recent_mask(dataset, split)
    return rows, recent_weights(dataset.created_at, dataset.label, dataset.policy)


def split_explanation(result: TrainResult) -> str:
    """The cut-off and the split in words, for the command's output."""
    policy, split = result.dataset.policy, result.split
    maturity = policy.maturity.total_seconds() / 86400
    recent_from = split.valid_end + split.gap
    gap = split.gap.total_seconds() / 86400
    valid = (split.valid_end - split.valid_start).total_seconds() / 86400
    given = result.card.get("split", {}).get("windows") == "given"
    return (
        f"cut-off {policy.cutoff.isoformat()}: {len(result.dataset)} orders created by then, "
        "labels as known then (later orders and outcomes unused)\n"
        f"train: orders before {split.train_end.isoformat()}"
        + (f", and the {result.recent_orders} orders from {recent_from.isoformat()} on, whose "
           "labels are young: their known fraud counts fully, their silence as good weighed "
           f"by age over the {maturity:g}-day maturity (validation orders are never trained "
           "on)\n" if result.recent_orders else "\n")
        + f"windows: {gap:g}-day gap and {valid:g} validation days, "
        + ("as given\n" if given else "chosen to fit the matured weeks (7 and 21 days from "
           "112 matured days on, else a tenth and a quarter of them)\n")
        + f"validate: orders from {split.valid_start.isoformat()} to "
        f"{split.valid_end.isoformat()}, the latest whose labels have matured "
        f"({maturity:g} days before the cut-off: later orders may still get chargebacks, so "
        "their figures would count only the fraud caught early)\n"
        f"base: {result.base_note}"
    )


def _require_both_classes(dataset: Dataset, rows: np.ndarray, what: str) -> None:
    labels = dataset.label[rows]
    if labels.empty or labels.nunique() < 2:
        raise ValueError(
            f"the {what} slice has {int(rows.sum())} labelled orders and "
            f"{int(labels.sum()) if not labels.empty else 0} fraud: it needs both fraud and good "
            "orders (move the cut-off later, shorten the maturity or the validation window)"
        )
