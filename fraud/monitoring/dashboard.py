"""The operations dashboard's figures: what the service decided, what came of it, how the
reviewers keep up, which rules still earn their keep, and whether the model drifts.

:func:`build_dashboard` reads everything from the store in a handful of aggregate
queries (:mod:`fraud.store.activity`) and returns frozen values; the review app only
renders them (:mod:`fraud.monitoring.charts` draws the charts). The drift panel is not
computed here: it shows the report of the service's own drift watch, the one ``/readyz``
summarises, so the two never disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from fraud.domain import Outcome
from fraud.model.dataset import LabelPolicy
from fraud.model.drift import DriftReport, Move
from fraud.monitoring.rule_performance import RuleWeek, from_store, share
from fraud.store.activity import (
    Backlog,
    backlog,
    decisions_by_day,
    outcomes_by_day,
    probability_counts,
    reviewer_decisions_by_day,
    score_counts,
)

ACTIONS = ("approve", "review", "decline")
SCORE_BIN = 10  # score histogram: 0-9, 10-19, ..., 90-100
PROBABILITY_BINS = 20
TOP_RULES = 15


@dataclass(frozen=True)
class Day:
    """One day of orders (by creation time) and what became of them so far."""

    day: str
    approve: int = 0
    review: int = 0
    decline: int = 0
    fraud_confirmed: int = 0
    chargeback: int = 0

    @property
    def orders(self) -> int:
        return self.approve + self.review + self.decline

    @property
    def review_rate(self) -> float | None:
        return share(self.review, self.orders)

    @property
    def fraud_confirmed_rate(self) -> float | None:
        return share(self.fraud_confirmed, self.orders)

    @property
    def chargeback_rate(self) -> float | None:
        return share(self.chargeback, self.orders)


@dataclass(frozen=True)
class Reviewer:
    name: str
    decided: int  # approved or cancelled in the window
    per_day: float  # over the days the window spans


@dataclass(frozen=True)
class RuleSummary:
    """One rule over the rule-performance window: hits, precision, share of reviews."""

    rule_id: str
    hits: int
    labelled: int
    fraud: int
    reviews_hit: int
    reviews: int

    @property
    def precision(self) -> float | None:
        return share(self.fraud, self.labelled)

    @property
    def review_share(self) -> float | None:
        return share(self.reviews_hit, self.reviews)


@dataclass(frozen=True)
class DriftPanel:
    """The drift watch's latest verdict (the ``/readyz`` line) and the report behind it."""

    status: str
    checked_at: datetime | None
    threshold: float
    moves: tuple[Move, ...] = ()

    @property
    def state(self) -> str:
        """``drifting``, ``ok`` or ``unknown`` (also: not checked, check switched off)."""
        head = self.status.split(":", 1)[0]
        return head if head in ("drifting", "ok") else "unknown"

    def top(self, n: int = 10) -> tuple[Move, ...]:
        return self.moves[:n]


def drift_panel(
    status: str | None, report: DriftReport | None, checked_at: datetime | None,
    threshold: float,
) -> DriftPanel:
    """The panel for a drift watch's state; ``status`` None: no watch runs in this process."""
    if status is None:
        return DriftPanel("unknown: the drift check is off (FRAUD_DRIFT_CHECK_SECONDS is 0); "
                          "run `fraud models drift`", None, threshold)
    moves = report.moves if report is not None else ()
    return DriftPanel(status, checked_at, report.threshold if report else threshold, moves)


@dataclass(frozen=True)
class Dashboard:
    now: datetime
    since: datetime  # start of the daily panels' window
    days: tuple[Day, ...]
    score_counts: tuple[int, ...]  # per SCORE_BIN points
    probability_counts: tuple[int, ...]  # per 1/PROBABILITY_BINS of probability
    backlog: Backlog
    reviewers: tuple[Reviewer, ...]
    decided_per_day: tuple[tuple[str, int], ...]  # reviewers' approvals + cancellations
    rules_since: datetime  # start of the rule-performance window (whole ISO weeks)
    rule_weeks: tuple[RuleWeek, ...]
    top_rules: tuple[RuleSummary, ...]
    drift: DriftPanel

    @property
    def total(self) -> Day:
        """The window's days added up (its ``day`` is the window's first and last day)."""
        label = f"{self.days[0].day} – {self.days[-1].day}" if self.days else "-"
        sums = {k: sum(getattr(d, k) for d in self.days)
                for k in ("approve", "review", "decline", "fraud_confirmed", "chargeback")}
        return Day(label, **sums)

    @property
    def weeks(self) -> tuple[date, ...]:
        return tuple(sorted({w.week for w in self.rule_weeks}))


def day_range(since: datetime, until: datetime) -> list[str]:
    """Every UTC day from ``since`` to ``until`` (inclusive), as ``YYYY-MM-DD``."""
    first, last = since.date(), until.date()
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def days_of(
    actions: Iterable[tuple[str, str, int]], results: Iterable[tuple[str, str, int]],
    every_day: Sequence[str],
) -> tuple[Day, ...]:
    """One :class:`Day` per day in ``every_day`` (quiet days as zeros)."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for day, action, n in actions:
        if action in ACTIONS:
            counts[day][action] = counts[day].get(action, 0) + n
    for day, outcome, n in results:
        if outcome in (Outcome.FRAUD_CONFIRMED.value, Outcome.CHARGEBACK.value):
            counts[day][outcome] = counts[day].get(outcome, 0) + n
    return tuple(Day(day, **counts.get(day, {})) for day in every_day)


def binned(counts: dict[int, int], width: int, bins: int) -> tuple[int, ...]:
    """Per-value counts into ``bins`` bins of ``width`` values (the top value in the last)."""
    out = [0] * bins
    for value, n in counts.items():
        out[min(max(value // width, 0), bins - 1)] += n
    return tuple(out)


def summarise_rules(weeks: Sequence[RuleWeek], top: int = TOP_RULES) -> tuple[RuleSummary, ...]:
    """Each rule over all ``weeks``, most hits first."""
    reviews_per_week = {w.week: w.reviews for w in weeks}
    reviews = sum(reviews_per_week.values())
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for w in weeks:
        t = totals[w.rule_id]
        t[0] += w.hits
        t[1] += w.labelled
        t[2] += w.fraud
        t[3] += w.reviews_hit
    rows = [RuleSummary(rule, t[0], t[1], t[2], t[3], reviews) for rule, t in totals.items()]
    rows.sort(key=lambda r: (-r.hits, r.rule_id))
    return tuple(rows[:top])


def reviewers_of(
    rows: Iterable[tuple[str, str, int]], span_days: int
) -> tuple[tuple[Reviewer, ...], dict[str, int]]:
    per_person: dict[str, int] = defaultdict(int)
    per_day: dict[str, int] = defaultdict(int)
    for day, actor, n in rows:
        per_person[actor] += n
        per_day[day] += n
    people = tuple(sorted(
        (Reviewer(name, n, n / max(span_days, 1)) for name, n in per_person.items()),
        key=lambda r: (-r.decided, r.name),
    ))
    return people, dict(per_day)


def build_dashboard(
    session: Session,
    *,
    now: datetime,
    days: int = 30,
    weeks: int = 8,
    maturity: timedelta = timedelta(days=60),
    drift: DriftPanel,
) -> Dashboard:
    """The figures of the last ``days`` days, and rule performance over ``weeks`` ISO weeks
    (labels as known now, the training's label policy)."""
    today = now.date()
    since = datetime.combine(today - timedelta(days=days - 1), datetime.min.time(), now.tzinfo)
    until = now + timedelta(seconds=1)
    every_day = day_range(since, now)
    day_rows = days_of(decisions_by_day(session, since, until),
                       outcomes_by_day(session, since, until), every_day)
    monday = today - timedelta(days=today.weekday())
    rules_since = datetime.combine(monday - timedelta(weeks=weeks - 1), datetime.min.time(),
                                   now.tzinfo)
    rule_weeks = tuple(from_store(session, rules_since, until,
                                  LabelPolicy(cutoff=now, maturity=maturity)))
    reviewers, decided = reviewers_of(reviewer_decisions_by_day(session, since, until), days)
    return Dashboard(
        now=now,
        since=since,
        days=day_rows,
        score_counts=binned(score_counts(session, since, until), SCORE_BIN, 100 // SCORE_BIN),
        probability_counts=binned(probability_counts(session, since, until, PROBABILITY_BINS),
                                  1, PROBABILITY_BINS),
        backlog=backlog(session, now),
        reviewers=reviewers,
        decided_per_day=tuple((d, decided.get(d, 0)) for d in every_day),
        rules_since=rules_since,
        rule_weeks=rule_weeks,
        top_rules=summarise_rules(rule_weeks),
        drift=drift,
    )
