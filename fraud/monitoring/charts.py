"""The dashboard's charts, drawn on the server as SVG with matplotlib.

Each function takes a :class:`~fraud.monitoring.dashboard.Dashboard` and returns the SVG
text. matplotlib's SVG holds paths, text and styles, never a script; text (rule ids,
feature names) is XML-escaped by matplotlib. The review app serves these under its own
Content-Security-Policy as images, so nothing is fetched from elsewhere.

Figures are made with :class:`matplotlib.figure.Figure` directly, not ``pyplot``: no
global state, so two requests may draw at once.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on a server; before anything imports pyplot

from matplotlib.figure import Figure  # noqa: E402 - after choosing the backend

from fraud.monitoring.dashboard import ACTIONS, PROBABILITY_BINS, SCORE_BIN, Dashboard  # noqa: E402

COLOURS = {"approve": "#3a7d44", "review": "#d19a00", "decline": "#b3261e"}
RULE_LINES = 6  # rules drawn in the weekly charts: the most hit ones
RC: dict[Any, Any] = {  # matplotlib types its keys as a Literal of every name
    "svg.fonttype": "none",  # text as text: smaller, selectable, screen-reader friendly
    "svg.hashsalt": "fraud-dashboard",  # stable ids: the same figures give the same bytes
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return buf.getvalue()


def _figure(width: float = 7.5, height: float = 2.8) -> Figure:
    with matplotlib.rc_context(RC):
        return Figure(figsize=(width, height), layout="constrained")


def _short_days(days: list[str]) -> list[str]:
    return [d[5:] for d in days]  # MM-DD


def _every(ticks: int, n: int) -> int:
    return max(1, n // ticks)


def actions_per_day(board: Dashboard) -> str:
    fig = _figure()
    with matplotlib.rc_context(RC):
        ax = fig.add_subplot()
        labels = _short_days([d.day for d in board.days])
        x = range(len(labels))
        bottom = [0] * len(labels)
        for action in ACTIONS:
            values = [getattr(d, action) for d in board.days]
            ax.bar(x, values, bottom=bottom, color=COLOURS[action], label=action, width=0.8)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        step = _every(10, len(labels))
        ax.set_xticks(list(x)[::step], labels[::step])
        ax.set_ylabel("orders")
        ax.legend(loc="upper left", frameon=False, ncols=3)
    return _svg(fig)


def rates_per_day(board: Dashboard) -> str:
    fig = _figure()
    with matplotlib.rc_context(RC):
        ax = fig.add_subplot()
        labels = _short_days([d.day for d in board.days])
        x = list(range(len(labels)))
        for name, attr, colour in (("review rate", "review_rate", COLOURS["review"]),
                                   ("confirmed fraud", "fraud_confirmed_rate", "#6a1b9a"),
                                   ("chargebacks", "chargeback_rate", COLOURS["decline"])):
            values = [getattr(d, attr) for d in board.days]
            ax.plot(x, [100 * v if v is not None else float("nan") for v in values],
                    marker=".", label=name, color=colour)
        step = _every(10, len(labels))
        ax.set_xticks(x[::step], labels[::step])
        ax.set_ylabel("% of the day's orders")
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper left", frameon=False, ncols=3)
    return _svg(fig)


def score_distribution(board: Dashboard) -> str:
    fig = _figure(height=2.6)
    with matplotlib.rc_context(RC):
        left, right = fig.subplots(1, 2)
        bins = len(board.score_counts)
        left.bar([i * SCORE_BIN for i in range(bins)], board.score_counts, width=SCORE_BIN * 0.9,
                 align="edge", color="#455a64")
        left.set_xlabel("score (0–100)")
        left.set_ylabel("orders")
        width = 1 / PROBABILITY_BINS
        right.bar([i * width for i in range(PROBABILITY_BINS)], board.probability_counts,
                  width=width * 0.9, align="edge", color="#1565c0")
        right.set_xlabel("model fraud probability")
        right.set_yscale("symlog")
    return _svg(fig)


def reviewer_throughput(board: Dashboard) -> str:
    fig = _figure(height=2.6)
    with matplotlib.rc_context(RC):
        left, right = fig.subplots(1, 2, width_ratios=(2, 1))
        labels = _short_days([d for d, _ in board.decided_per_day])
        x = list(range(len(labels)))
        left.bar(x, [n for _, n in board.decided_per_day], color="#3a7d44")
        step = _every(8, len(labels))
        left.set_xticks(x[::step], labels[::step])
        left.set_ylabel("held orders decided")
        ages = board.backlog.by_age
        right.bar(range(len(ages)), [n for _, n in ages], color=COLOURS["review"])
        right.set_xticks(range(len(ages)), [label for label, _ in ages])
        right.set_title("backlog by age", fontsize=9)
    return _svg(fig)


def _weekly(board: Dashboard, value: Callable[..., float | None], ylabel: str) -> str:
    fig = _figure()
    with matplotlib.rc_context(RC):
        ax = fig.add_subplot()
        weeks = list(board.weeks)
        rules = [r.rule_id for r in board.top_rules[:RULE_LINES]]
        for rule in rules:
            by_week = {w.week: w for w in board.rule_weeks if w.rule_id == rule}
            ys = []
            for week in weeks:
                got = value(by_week[week]) if week in by_week else None
                ys.append(100 * got if got is not None else float("nan"))
            ax.plot(range(len(weeks)), ys, marker="o", label=rule)
        ax.set_xticks(range(len(weeks)), [w.isoformat()[5:] for w in weeks])
        ax.set_xlabel("week starting (MM-DD)")
        ax.set_ylabel(ylabel)
        ax.set_ylim(bottom=0)
        if rules:
            ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    return _svg(fig)


def rule_precision_per_week(board: Dashboard) -> str:
    return _weekly(board, lambda w: w.precision, "precision on labelled hits (%)")


def rule_review_share_per_week(board: Dashboard) -> str:
    return _weekly(board, lambda w: w.review_share, "share of the week's reviews (%)")


def drift_psi(board: Dashboard) -> str:
    moves = list(board.drift.top(15))[::-1]  # largest at the top
    fig = _figure(height=max(1.6, 0.22 * len(moves) + 0.8))
    with matplotlib.rc_context(RC):
        ax = fig.add_subplot()
        threshold = board.drift.threshold
        colours = ["#b3261e" if m.psi > threshold else "#455a64" for m in moves]
        ax.barh([m.name for m in moves], [m.psi for m in moves], color=colours)
        ax.axvline(threshold, color="#b3261e", linestyle="--", linewidth=1)
        ax.set_xlabel(f"PSI (dashed: threshold {threshold:g})")
        if not moves:
            ax.text(0.5, 0.5, "no drift report yet", ha="center", va="center",
                    transform=ax.transAxes)
    return _svg(fig)


CHARTS: dict[str, Callable[[Dashboard], str]] = {
    "actions": actions_per_day,
    "rates": rates_per_day,
    "scores": score_distribution,
    "reviewers": reviewer_throughput,
    "rule-precision": rule_precision_per_week,
    "rule-reviews": rule_review_share_per_week,
    "drift": drift_psi,
}
"""Every chart by the name the page asks for it."""
