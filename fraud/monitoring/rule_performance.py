"""Rule performance over time: per rule and week, hits, precision on labelled orders and
the share of reviews it took part in, so an analyst sees which rule has gone stale.

* **hits**: decided orders of the week on which the rule hit;
* **labelled / fraud**: of those, how many have a label at the cut-off, and how many are
  fraud (labels as in training, :class:`fraud.model.dataset.LabelPolicy`: a chargeback
  or confirmed fraud known by the cut-off is fraud; no such outcome and either a
  confirmed-legitimate outcome or an order older than the maturity is good; anything
  else is not labelled yet and left out of precision);
* **precision**: fraud / labelled (none when nothing is labelled);
* **review share**: of the week's orders held for review, the share on which the rule hit.

:func:`weekly_rule_performance` is pure (rows in, rows out); :func:`from_store` reads the
decisions and outcomes it needs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy.orm import Session

from fraud.domain import Outcome
from fraud.model.dataset import LabelPolicy, OutcomeEvent, label_orders
from fraud.store.activity import decisions_by_day, rule_hits_between
from fraud.store.decided import outcomes_between


@dataclass(frozen=True)
class DecidedOrder:
    order_id: str
    created_at: datetime
    action: str
    rules_hit: tuple[str, ...]


def share(part: int, whole: int) -> float | None:
    """``part / whole``; None when there is no whole (no orders: no rate, rather than 0 %)."""
    return part / whole if whole else None


@dataclass(frozen=True)
class RuleWeek:
    week: date  # the Monday the ISO week starts on
    rule_id: str
    hits: int
    labelled: int
    fraud: int
    reviews: int  # orders held for review that week, all rules
    reviews_hit: int  # of those, the ones this rule hit

    @property
    def precision(self) -> float | None:
        return share(self.fraud, self.labelled)

    @property
    def review_share(self) -> float | None:
        return share(self.reviews_hit, self.reviews)


def week_of(moment: datetime) -> date:
    day = moment.date()
    return day - timedelta(days=day.weekday())


def weekly_rule_performance(
    orders: Sequence[DecidedOrder], labels: Mapping[str, float],
    reviews_per_week: Mapping[date, int] | None = None,
) -> list[RuleWeek]:
    """One row per (week, rule) with at least one hit, oldest week first, then by hits.

    ``labels`` maps order ids to 1.0 (fraud), 0.0 (good) or NaN / absent (not known yet).
    ``reviews_per_week``: the orders held for review each week, when ``orders`` are not
    all the week's orders (only those that hit a rule); default: counted from ``orders``.
    """
    reviews: dict[date, int] = defaultdict(int)
    counts: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for order in orders:
        week = week_of(order.created_at)
        held = order.action == "review"
        reviews[week] += held
        label = labels.get(order.order_id)
        known = label is not None and label == label  # NaN: not labelled yet
        for rule_id in set(order.rules_hit):
            c = counts[(week, rule_id)]
            c[0] += 1
            c[1] += known
            c[2] += bool(known and label == 1.0)
            c[3] += held
    if reviews_per_week is not None:
        reviews = defaultdict(int, reviews_per_week)
    rows = [RuleWeek(week, rule, c[0], c[1], c[2], reviews[week], c[3])
            for (week, rule), c in counts.items()]
    rows.sort(key=lambda r: (r.week, -r.hits, r.rule_id))
    return rows


def hits_of(rule_hits: Iterable[Mapping[str, object]]) -> tuple[str, ...]:
    """The ids of the rules that hit, from a stored decision's ``rule_hits``."""
    return tuple(str(h["rule_id"]) for h in rule_hits if h.get("status", "hit") == "hit")


def from_store(
    session: Session, since: datetime, until: datetime, policy: LabelPolicy
) -> list[RuleWeek]:
    """:func:`weekly_rule_performance` of the orders created in ``[since, until)``, labelled
    as known at ``policy.cutoff``."""
    # the lean read: only decisions with a rule result, without their stored features
    # (most of a decision's bytes); the weeks' reviews are counted by the database
    rows = list(rule_hits_between(session, since, until, only_hits=True))
    orders = [DecidedOrder(r.order_id, r.created_at, r.action, hits_of(r.rule_hits))
              for r in rows]
    reviews: dict[date, int] = defaultdict(int)
    for day, action, n in decisions_by_day(session, since, until):
        if action == "review":
            reviews[week_of(datetime.fromisoformat(day))] += n
    created = pd.Series([r.created_at for r in rows], index=[r.order_id for r in rows],
                        dtype=object)
    wanted = set(created.index)
    events = [OutcomeEvent(order_id, Outcome(outcome), at)
              for order_id, outcome, at in outcomes_between(session, since, until)
              if order_id in wanted]
    labels = label_orders(created, events, policy) if rows else pd.Series(dtype=float)
    return weekly_rule_performance(orders, labels.to_dict(), reviews)
