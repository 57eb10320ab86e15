"""Labelled training data: orders and their late-arriving outcomes, turned into the
features online scoring computes and labels that respect time.

Two moments matter. Each order's *features* see history strictly before its own
``created_at`` (:class:`fraud.history.MemoryHistory` guarantees that). Its *label*
is what was known at the training cut-off: chargebacks arrive weeks after the
order, so a recent order with no fraud outcome yet is not "legitimate", it is
unknown. The :class:`LabelPolicy` says when silence counts as legitimate.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fraud.domain import Outcome
from fraud.events.schema import AccountEvent
from fraud.features import model_feature_names
from fraud.history import MemoryHistory, utc
from fraud.schema import Order
from fraud.settings import Settings

DEFAULT_MATURITY = timedelta(days=60)
"""Most chargebacks arrive within two months; an older order without one counts as good."""


@dataclass(frozen=True)
class OutcomeEvent:
    order_id: str
    outcome: Outcome
    at: datetime


@dataclass(frozen=True)
class RawData:
    """Orders in time order and their outcome events, as read from files or the store."""

    orders: tuple[Order, ...]
    outcomes: tuple[OutcomeEvent, ...]
    source: str
    skipped: tuple[str, ...] = ()  # "FILE:LINE: reason" of each bad record left out
    # the accounts' logins and changes, history for the account event features; None
    # when no events file was given (those features stay empty, as online without events)
    account_events: tuple[AccountEvent, ...] | None = None

    def last_event_time(self) -> datetime:
        """The latest order or outcome time: what "now" was when the data was taken."""
        times = [utc(o.created_at) for o in self.orders[-1:]] + [e.at for e in self.outcomes]
        if not times:
            raise ValueError("no orders in the data")
        return max(times)

    def as_of(self, cutoff: datetime) -> RawData:
        """What the shop had at ``cutoff``: orders created and outcomes reported by then."""
        cutoff = utc(cutoff)
        orders = tuple(o for o in self.orders if utc(o.created_at) <= cutoff)
        kept = {o.order_id for o in orders}
        events = tuple(e for e in self.outcomes if e.at <= cutoff and e.order_id in kept)
        account_events = None if self.account_events is None else tuple(
            e for e in self.account_events if utc(e.occurred_at) <= cutoff)
        return RawData(orders, events, self.source, account_events=account_events)


@dataclass(frozen=True)
class LabelPolicy:
    """How an order's label is read at ``cutoff``.

    1: a chargeback or confirmed fraud was known by the cut-off.
    0: no such outcome, and either legit_confirmed was known or the order is at
    least ``maturity`` older than the cut-off (late chargebacks have had time to come).
    Otherwise unlabelled, and left out of training and of the headline figures.
    """

    cutoff: datetime
    maturity: timedelta = DEFAULT_MATURITY

    def __post_init__(self) -> None:
        object.__setattr__(self, "cutoff", utc(self.cutoff))
        if self.maturity < timedelta(0):
            raise ValueError(f"maturity must not be negative, got {self.maturity}")

    def describe(self) -> dict[str, Any]:
        return {
            "cutoff": self.cutoff.isoformat(),
            "maturity_days": self.maturity.total_seconds() / 86400,
            "positive": "chargeback or fraud_confirmed known by the cut-off",
            "negative": "no fraud outcome, and legit_confirmed known or order older than "
            "the maturity before the cut-off",
            "unlabelled": "everything else; excluded from training and evaluation",
        }


@dataclass(frozen=True)
class TimeSplit:
    """Train on orders before ``train_end``; skip ``gap``; validate until ``valid_end``."""

    train_end: datetime
    gap: timedelta
    valid_end: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "train_end", utc(self.train_end))
        object.__setattr__(self, "valid_end", utc(self.valid_end))
        if self.gap < timedelta(0):
            raise ValueError(f"gap must not be negative, got {self.gap}")
        if self.valid_start >= self.valid_end:
            raise ValueError(
                f"empty validation window: train_end {self.train_end.isoformat()} + gap "
                f"{self.gap} is not before valid_end {self.valid_end.isoformat()}"
            )

    @property
    def valid_start(self) -> datetime:
        return self.train_end + self.gap

    def masks(self, created_at: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """Boolean (train, valid) arrays over orders with these creation times."""
        t = pd.to_datetime(created_at, utc=True)
        train = np.array(t < pd.Timestamp(self.train_end), dtype=bool)
        valid = (t >= pd.Timestamp(self.valid_start)) & (t < pd.Timestamp(self.valid_end))
        valid = np.array(valid, dtype=bool)
        return train, valid

    def describe(self) -> dict[str, str]:
        return {
            "train_end": self.train_end.isoformat(),
            "gap_days": str(self.gap.total_seconds() / 86400),
            "valid_start": self.valid_start.isoformat(),
            "valid_end": self.valid_end.isoformat(),
        }


def time_split(train_end: datetime, gap: timedelta, valid_end: datetime) -> TimeSplit:
    """The split by time used for every headline figure (never a random split)."""
    return TimeSplit(train_end, gap, valid_end)


def default_split(created_at: pd.Series, gap_days: float, valid_days: float) -> TimeSplit:
    """The last ``valid_days`` of orders validate; ``gap_days`` before them are skipped."""
    t = pd.to_datetime(created_at, utc=True)
    valid_end = t.max().to_pydatetime() + timedelta(seconds=1)
    train_end = valid_end - timedelta(days=valid_days + gap_days)
    return TimeSplit(train_end, timedelta(days=gap_days), valid_end)


FULL_WINDOWS = (7.0, 21.0)
"""(gap, validation) days when the matured weeks are long enough: 4 x (7 + 21) days or more."""


def default_windows(created_at: pd.Series, policy: LabelPolicy) -> tuple[float, float]:
    """(gap days, validation days) that fit the data: 7 and 21 when at least 112 days of
    orders have matured labels at the cut-off, else a tenth and a quarter of those days,
    so that a young shop keeps about two thirds of its matured weeks to train on."""
    t = pd.to_datetime(created_at, utc=True)
    if t.empty:
        raise ValueError("no orders before the cut-off")
    matured_end = min(t.max(), pd.Timestamp(policy.cutoff - policy.maturity))
    span = (matured_end - t.min()).total_seconds() / 86400
    if span <= 0:
        raise ValueError(
            f"at the cut-off {policy.cutoff.isoformat()} no order has matured labels (none "
            f"is older than the maturity, {policy.maturity.days} days): shorten "
            "--maturity-days or move the cut-off later"
        )
    gap, valid = FULL_WINDOWS
    if span >= 4 * (gap + valid):
        return gap, valid
    return round(span / 10, 1), round(span / 4, 1)


def recent_weights(created_at: pd.Series, label: pd.Series, policy: LabelPolicy) -> pd.Series:
    """How much each label counts when the model also learns from orders whose labels have
    not matured: a known outcome (fraud, or confirmed legitimate) and every matured label
    count 1; a young order's silence counts as good in proportion to its age over the
    maturity (a chargeback has had that share of its time to arrive)."""
    t = pd.to_datetime(created_at, utc=True)
    age = (pd.Timestamp(policy.cutoff) - t).dt.total_seconds() / policy.maturity.total_seconds() \
        if policy.maturity.total_seconds() > 0 else pd.Series(1.0, index=t.index)
    weight = age.clip(lower=1e-3, upper=1.0).to_numpy()
    return pd.Series(np.where(label.notna().to_numpy(), 1.0, weight), index=label.index)


def matured_split(
    created_at: pd.Series, policy: LabelPolicy, gap_days: float, valid_days: float
) -> TimeSplit:
    """Validate on the latest ``valid_days`` of orders whose labels have matured at the
    cut-off (created at least ``policy.maturity`` before it); train on the orders
    before them, ``gap_days`` earlier.

    Orders younger than the maturity have no label yet unless a fraud outcome came
    early: validating on them would count only the quickly caught fraud and no good
    orders at all. On data whose last order is older than the maturity (an export
    of the past) this is the plain "last ``valid_days`` of orders" split.
    """
    t = pd.to_datetime(created_at, utc=True)
    if t.empty:
        raise ValueError("no orders before the cut-off")
    matured = policy.cutoff - policy.maturity
    valid_end = min(t.max().to_pydatetime() + timedelta(seconds=1), matured + timedelta(seconds=1))
    train_end = valid_end - timedelta(days=valid_days + gap_days)
    if train_end <= t.min().to_pydatetime():
        raise ValueError(
            f"at the cut-off {policy.cutoff.isoformat()} only orders created by "
            f"{matured.isoformat()} have matured labels ({policy.maturity.days} days), and "
            f"{valid_days:g} validation days plus a {gap_days:g}-day gap before that leave no "
            f"orders to train on (the first is from {t.min().isoformat()}): shorten "
            "--maturity-days, --valid-days or --gap-days, or move the cut-off later"
        )
    return TimeSplit(train_end, timedelta(days=gap_days), valid_end)


@dataclass(frozen=True)
class Dataset:
    """Features (exactly as online scoring computes them) with labels, one row per order.

    ``label`` is 1.0, 0.0 or NaN (unlabelled). ``rules_score`` is the service's
    0-100 score with rules alone, when the dataset was built with a rule set.
    Rows are in time order.
    """

    features: pd.DataFrame
    created_at: pd.Series
    label: pd.Series
    amount_eur: pd.Series
    policy: LabelPolicy
    source: str
    rules_score: pd.Series | None = None
    feature_names: tuple[str, ...] = field(default_factory=tuple)

    def __len__(self) -> int:
        return len(self.features)

    @property
    def labelled(self) -> np.ndarray:
        return np.array(self.label.notna(), dtype=bool)

    def X(self, mask: np.ndarray | None = None) -> pd.DataFrame:
        """The model's input columns, rows under ``mask`` (all rows when ``None``)."""
        frame = self.features.loc[:, list(self.feature_names)]
        return frame if mask is None else frame.loc[mask]


# --- loading -----------------------------------------------------------------------------------


def _in_time_order(orders: Sequence[Order]) -> tuple[Order, ...]:
    return tuple(sorted(orders, key=lambda o: (utc(o.created_at), o.order_id)))


def load_files(
    orders_path: str | Path,
    outcomes_path: str | Path | None = None,
    *,
    source: str | None = None,
    skip_bad: bool = False,
    events_path: str | Path | None = None,
) -> RawData:
    """Orders from JSONL (.gz ok), Parquet or CSV and outcome events from JSONL or CSV,
    and account events (logins and changes) from JSONL when ``events_path`` is given.

    Outcomes for orders not in the file are ignored. ``source`` labels the data in
    the model version and card (default: the file name up to its first ``_`` or ``.``).
    A bad record raises :class:`fraud.records.BadRecord` naming file and line;
    with ``skip_bad`` it is left out and named in :attr:`RawData.skipped`.
    """
    from fraud.records import load_records, parse_order_record, parse_outcome_record
    from fraud.simulate import read_outcomes

    loaded = load_records(orders_path, parse_order_record, skip_bad=skip_bad)
    orders = _in_time_order(loaded.items)
    skipped = list(loaded.skipped)
    known = {o.order_id for o in orders}
    events = []
    if outcomes_path is not None:
        reported = load_records(
            outcomes_path, parse_outcome_record, skip_bad=skip_bad, read_table=read_outcomes
        )
        skipped += reported.skipped
        events = [
            OutcomeEvent(e.order_id, e.outcome, utc(e.at))
            for e in reported.items
            if e.order_id in known
        ]
    account_events = None
    if events_path is not None:
        from fraud.events.files import parse_event_record

        posted = load_records(events_path, parse_event_record, skip_bad=skip_bad)
        skipped += posted.skipped
        account_events = tuple(posted.items)
    label = source or Path(orders_path).name.split(".")[0].split("_")[0] or "files"
    return RawData(orders, tuple(sorted(events, key=lambda e: e.at)), label, tuple(skipped),
                   account_events)


def load_store(
    session: Any,
    since: datetime | None = None,
    until: datetime | None = None,
    *,
    source: str = "store",
) -> RawData:
    """Stored orders created in ``[since, until)`` with every outcome reported for them,
    and the stored account events (logins and changes) before ``until``."""
    from fraud.store.repository import iter_orders

    orders: list[Order] = []
    events: list[OutcomeEvent] = []
    for order, outcomes in iter_orders(session, since, until):
        orders.append(order)
        events.extend(OutcomeEvent(o.order_id, o.outcome, utc(o.at)) for o in outcomes)
    from fraud.store.event_store import iter_stored_events

    posted = tuple(iter_stored_events(session, until))  # the account events, as history
    return RawData(_in_time_order(orders), tuple(sorted(events, key=lambda e: e.at)), source,
                   account_events=posted)


# --- labels ------------------------------------------------------------------------------------


def label_orders(
    created_at: pd.Series, outcomes: Iterable[OutcomeEvent], policy: LabelPolicy
) -> pd.Series:
    """1.0 / 0.0 / NaN per order (index: order id), as known at ``policy.cutoff``."""
    fraud, legit = set(), set()
    for event in outcomes:
        if event.at > policy.cutoff:
            continue
        if event.outcome.is_fraud:
            fraud.add(event.order_id)
        elif event.outcome is Outcome.LEGIT_CONFIRMED:
            legit.add(event.order_id)
    t = pd.to_datetime(created_at, utc=True)
    ids = created_at.index
    is_fraud = ids.isin(list(fraud))
    mature = (t <= pd.Timestamp(policy.cutoff - policy.maturity)).to_numpy()
    known_good = ids.isin(list(legit)) & (t <= pd.Timestamp(policy.cutoff)).to_numpy()
    label = np.where(is_fraud, 1.0, np.where(mature | known_good, 0.0, np.nan))
    return pd.Series(label, index=ids, name="label")


def data_fingerprint(label: pd.Series) -> str:
    """SHA-256 of the sorted "order_id,label" lines of the labelled orders."""
    known = label.dropna()
    lines = sorted(f"{oid},{int(v)}" for oid, v in zip(known.index, known.to_numpy(), strict=True))
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


# --- features ----------------------------------------------------------------------------------


def build_dataset(
    raw: RawData,
    policy: LabelPolicy,
    settings: Settings,
    *,
    rules: Any | None = None,
    progress: Callable[[int], None] | None = None,
) -> Dataset:
    """Features for every order through the online pipeline, labelled by ``policy``.

    History holds every order and only the outcomes known by the cut-off; each
    order still sees only what happened strictly before its own time. With
    ``rules`` (a :class:`fraud.rules.RuleSet`) each order is scored by
    :func:`fraud.scoring.score_order` with no model (the features are the same
    ones that call computes), so ``rules_score`` is exactly what the service's
    rules alone would have said.
    """
    from fraud.batch import batch_context
    from fraud.features import build_features
    from fraud.money import amount_eur
    from fraud.scoring import score_order

    known = [e for e in raw.outcomes if e.at <= policy.cutoff]
    history = MemoryHistory.from_orders(
        raw.orders, ((e.order_id, e.outcome, e.at) for e in known), fx_rates=settings.fx_rates
    )
    ctx = batch_context(settings, history, events=raw.account_events)
    rows, scores = {}, {}
    for order in raw.orders:
        if progress is not None:  # e.g. a progress bar: one tick per order
            progress(1)
        if rules is not None:
            scored = score_order(order, ctx, rules)
            rows[order.order_id] = scored.features.values
            scores[order.order_id] = float(scored.decision.score)
        else:
            rows[order.order_id] = build_features(order, ctx).values
    features = pd.DataFrame.from_dict(rows, orient="index")
    features.index.name = "order_id"
    created = pd.Series(
        [utc(o.created_at) for o in raw.orders], index=features.index, name="created_at"
    )
    amounts = pd.Series(
        [_as_float(amount_eur(o, settings.fx_rates)) for o in raw.orders],
        index=features.index,
        name="amount_eur",
    )
    return Dataset(
        features=features,
        created_at=pd.to_datetime(created, utc=True),
        label=label_orders(created, raw.outcomes, policy),
        amount_eur=amounts,
        policy=policy,
        source=raw.source,
        rules_score=pd.Series(scores, name="rules_score") if rules is not None else None,
        feature_names=tuple(model_feature_names()),
    )


def _as_float(value: Any) -> float:
    return float("nan") if value is None else float(value)
