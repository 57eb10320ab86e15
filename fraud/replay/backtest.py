"""Backtests: replay labelled orders through two rule sets and compare them.

An analyst writes a new rule (or a new version of a rule set) and asks what it
would have done to the orders the shop already has, next to the rules running
now: which rules hit, how precise they are, how much fraud they catch, how the
review and decline rates move, and which orders change action.

Every order is assessed once (:mod:`fraud.replay.replay`); each rule set is
then decided on those assessments by :func:`fraud.scoring.judge`, the same
step live scoring takes (:mod:`fraud.replay.metrics`).

    >>> replay = replay_files("orders.jsonl.gz", "outcomes.jsonl.gz")
    >>> labels = labels_for(replay)                       # outcomes known by the last event
    >>> result = backtest(replay, load_rules("new.yaml"), labels=labels)
    >>> result.summary, result.rules, result.changes
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from fraud.decision import Thresholds
from fraud.replay.labels import Labels, labels_for
from fraud.replay.metrics import (
    RuleSetRun,
    action_summary,
    changed_orders,
    membership,
    rule_stats,
    run_rules,
)
from fraud.replay.replay import Replay
from fraud.rules.ruleset import RuleSet, load_rules
from fraud.scoring import thresholds_from
from fraud.settings import Settings, get_settings

SET_NAMES = ("current", "candidate")


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """Two rule sets compared on the same labelled orders.

    ``rules``: one row per (``rule_set``, ``rule_id``) with ``in_sets`` and the
    columns of :func:`rule_stats`. ``summary``: one row per set (``current``,
    ``candidate``) plus ``change`` (candidate minus current), columns of
    :func:`action_summary`. ``changes``: the orders whose action changes
    (:func:`changed_orders`).
    """

    current_version: str
    candidate_version: str
    labels: str
    label_source: str
    thresholds: Thresholds
    rules: pd.DataFrame
    summary: pd.DataFrame
    changes: pd.DataFrame

    @property
    def review_rate_change(self) -> float:
        return float(self.summary.at["change", "review_rate"])

    @property
    def decline_rate_change(self) -> float:
        return float(self.summary.at["change", "decline_rate"])

    def rules_side_by_side(self) -> pd.DataFrame:
        """One row per rule id, each set's hits, precision and recall next to each other."""
        wide = self.rules.pivot(index="rule_id", columns="rule_set",
                                values=["hits", "precision", "recall", "fraud_caught",
                                        "good_hit"])
        wide.columns = [f"{metric}_{name}" for metric, name in wide.columns]
        counts = [c for c in wide.columns if not c.startswith(("precision", "recall"))]
        wide[counts] = wide[counts].astype("Int64")  # pivot made them floats (NaN = absent)
        order = list(dict.fromkeys(self.rules["rule_id"]))
        wide = wide.reindex(order)
        in_sets = self.rules.drop_duplicates("rule_id").set_index("rule_id")["in_sets"]
        return wide.assign(in_sets=in_sets.reindex(order)).reset_index()

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: every table as a list of records (NaN as ``None``, times as ISO)."""
        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return json.loads(frame.to_json(orient="records", date_format="iso"))

        return {
            "current_version": self.current_version,
            "candidate_version": self.candidate_version,
            "labels": self.labels,
            "label_source": self.label_source,
            "thresholds": {"review": self.thresholds.review,
                           "decline": self.thresholds.decline},
            "summary": records(self.summary.reset_index(names="rule_set")),
            "rules": records(self.rules),
            "changes": records(self.changes),
        }

    def write(self, path: str | Path) -> list[Path]:
        """Write the result: ``.json`` holds everything; ``.csv`` writes the per-rule
        table there, and the summary and changed orders beside it
        (``NAME.summary.csv``, ``NAME.changes.csv``). Returns the files written."""
        path = Path(path)
        if path.suffix.lower() == ".json":
            path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
            return [path]
        if path.suffix.lower() != ".csv":
            raise ValueError(f"unknown output format {path.suffix!r}; use .json or .csv")
        summary = path.with_name(f"{path.stem}.summary.csv")
        changes = path.with_name(f"{path.stem}.changes.csv")
        self.rules.to_csv(path, index=False)
        self.summary.to_csv(summary, index_label="rule_set")
        self.changes.to_csv(changes, index=False)
        return [path, summary, changes]


def compare_runs(
    current: RuleSetRun, candidate: RuleSetRun, replay: Replay, labels: Labels
) -> BacktestResult:
    """The comparison of two runs on the same replay (pure)."""
    is_fraud = labels.is_fraud
    in_sets = membership(current, candidate)
    per_set = []
    for name, run in zip(SET_NAMES, (current, candidate), strict=True):
        stats = rule_stats(run, is_fraud)
        stats.insert(0, "rule_set", name)
        stats.insert(2, "in_sets", stats["rule_id"].map(in_sets))
        per_set.append(stats)
    summary = pd.DataFrame(
        [action_summary(current, is_fraud), action_summary(candidate, is_fraud)],
        index=list(SET_NAMES),
    )
    numeric = summary.columns.drop("rules_version")
    change = summary.loc["candidate", numeric] - summary.loc["current", numeric]
    summary.loc["change", numeric] = change
    summary.loc["change", "rules_version"] = ""
    return BacktestResult(
        current_version=current.ruleset.version,
        candidate_version=candidate.ruleset.version,
        labels=labels.describe(),
        label_source=labels.source,
        thresholds=current.thresholds,
        rules=pd.concat(per_set, ignore_index=True),
        summary=summary,
        changes=changed_orders(current, candidate, replay, is_fraud),
    )


def backtest(
    replay: Replay,
    candidate: RuleSet,
    current: RuleSet | None = None,
    *,
    labels: Labels | None = None,
    settings: Settings | None = None,
) -> BacktestResult:
    """Compare ``candidate`` with ``current`` (default: the configured rules) on a replay.

    Both sets are decided with the settings' thresholds and, if the replay
    carries them, the same model probabilities. ``labels`` default to
    :func:`labels_for` with everything the replay's outcomes know.
    """
    settings = settings or get_settings()
    current = current or load_rules(settings.rules_path)
    labels = labels if labels is not None else labels_for(replay)
    thresholds = thresholds_from(settings)
    runs = [run_rules(r, replay, thresholds, settings.max_reasons) for r in (current, candidate)]
    return compare_runs(runs[0], runs[1], replay, labels)
