"""What a rule set did on a replay, and how two rule sets differ: pure functions over frames."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fraud.decision import Thresholds
from fraud.domain import Action
from fraud.replay.replay import Replay
from fraud.rules.ruleset import RuleSet
from fraud.scoring import judge


@dataclass(frozen=True, eq=False)
class RuleSetRun:
    """One rule set's decisions on a replay.

    ``decisions``: indexed by order id, columns ``score`` and ``action``
    (:class:`~fraud.domain.Action` as int). ``hits`` and ``errors``: boolean
    frames, one column per rule in file order.
    """

    ruleset: RuleSet
    thresholds: Thresholds
    decisions: pd.DataFrame
    hits: pd.DataFrame
    errors: pd.DataFrame


def run_rules(
    ruleset: RuleSet, replay: Replay, thresholds: Thresholds, max_reasons: int = 5
) -> RuleSetRun:
    """Decide every replayed order with ``ruleset``, as live scoring would
    (:func:`fraud.scoring.judge` on each order's assessment)."""
    n, ids = len(replay), ruleset.ids
    hits = np.zeros((n, len(ids)), dtype=bool)
    errors = np.zeros((n, len(ids)), dtype=bool)
    scores = np.zeros(n, dtype=np.int64)
    actions = np.zeros(n, dtype=np.int64)
    for i, assessment in enumerate(replay.orders["assessment"]):
        judgement = judge(assessment, ruleset, thresholds, max_reasons=max_reasons)
        for j, r in enumerate(judgement.results):
            if r.status == "hit":
                hits[i, j] = True
            elif r.status == "error":
                errors[i, j] = True
        scores[i], actions[i] = judgement.decision.score, int(judgement.decision.action)
    index = replay.orders.index
    return RuleSetRun(
        ruleset,
        thresholds,
        pd.DataFrame({"score": scores, "action": actions}, index=index),
        pd.DataFrame(hits, index=index, columns=list(ids)),
        pd.DataFrame(errors, index=index, columns=list(ids)),
    )


def _ratio(a: float, b: float) -> float:
    return float(a) / float(b) if b else float("nan")


def rule_stats(run: RuleSetRun, is_fraud: pd.Series) -> pd.DataFrame:
    """Per rule: effect, points, hits, hit rate, precision, recall, fraud caught,
    good orders hit and errors, in file order."""
    fraud = is_fraud.reindex(run.hits.index).to_numpy(dtype=bool)
    hits = run.hits.to_numpy()
    caught = hits[fraud].sum(axis=0)
    n_hits = hits.sum(axis=0)
    n, n_fraud = len(fraud), int(fraud.sum())
    rows = []
    for j, rule in enumerate(run.ruleset.rules):
        rows.append({
            "rule_id": rule.id,
            "effect": rule.effect,
            "points": rule.points,
            "hits": int(n_hits[j]),
            "hit_rate": _ratio(n_hits[j], n),
            "precision": _ratio(caught[j], n_hits[j]),
            "recall": _ratio(caught[j], n_fraud),
            "fraud_caught": int(caught[j]),
            "good_hit": int(n_hits[j] - caught[j]),
            "errors": int(run.errors.iloc[:, j].sum()),
        })
    return pd.DataFrame(rows)


def action_summary(run: RuleSetRun, is_fraud: pd.Series) -> dict[str, Any]:
    """Review and decline rates, and how well "not approved" separates fraud."""
    action = run.decisions["action"].to_numpy()
    fraud = is_fraud.reindex(run.decisions.index).to_numpy(dtype=bool)
    flagged = action != int(Action.APPROVE)
    n, n_fraud = len(action), int(fraud.sum())
    return {
        "rules_version": run.ruleset.version,
        "orders": n,
        "fraud": n_fraud,
        "review_rate": _ratio((action == int(Action.REVIEW)).sum(), n),
        "decline_rate": _ratio((action == int(Action.DECLINE)).sum(), n),
        "flagged_rate": _ratio(flagged.sum(), n),
        "fraud_flagged": int((flagged & fraud).sum()),
        "good_flagged": int((flagged & ~fraud).sum()),
        "recall": _ratio((flagged & fraud).sum(), n_fraud),
        "precision": _ratio((flagged & fraud).sum(), flagged.sum()),
    }


def _definition(ruleset: RuleSet, rule_id: str) -> tuple:
    rule = ruleset.rule(rule_id)
    lists = tuple((name, ruleset.lists[name].values, ruleset.lists[name].networks)
                  for name in rule.when.lists if name in ruleset.lists)
    return (rule.condition, rule.effect, rule.points, lists)


def membership(current: RuleSetRun, candidate: RuleSetRun) -> dict[str, str]:
    """For every rule id: ``both``, ``both, changed``, ``current only`` or ``candidate only``.

    A rule in both sets is *changed* when its condition, effect, points or the
    lists it reads differ, or when it hits different orders here.
    """
    cur, cand = current.ruleset, candidate.ruleset
    out: dict[str, str] = {}
    for rule_id in dict.fromkeys((*cur.ids, *cand.ids)):
        if rule_id not in cand.ids:
            out[rule_id] = "current only"
        elif rule_id not in cur.ids:
            out[rule_id] = "candidate only"
        else:
            same = _definition(cur, rule_id) == _definition(cand, rule_id) and bool(
                (current.hits[rule_id] == candidate.hits[rule_id]).all())
            out[rule_id] = "both" if same else "both, changed"
    return out


def changed_orders(
    current: RuleSetRun, candidate: RuleSetRun, replay: Replay, is_fraud: pd.Series
) -> pd.DataFrame:
    """Orders whose action differs between the sets, oldest first, with the rules that
    started or stopped hitting."""
    a, b = current.decisions, candidate.decisions
    moved = a.index[a["action"].to_numpy() != b["action"].to_numpy()]

    def hit_ids(run: RuleSetRun, order_id: str) -> set[str]:
        row = run.hits.loc[order_id]
        return set(row.index[row.to_numpy()])

    rows = []
    for order_id in moved:
        old, new = hit_ids(current, order_id), hit_ids(candidate, order_id)
        rows.append({
            "order_id": order_id,
            "created_at": replay.orders.at[order_id, "created_at"],
            "action_current": Action(int(a.at[order_id, "action"])).label,
            "action_candidate": Action(int(b.at[order_id, "action"])).label,
            "score_current": int(a.at[order_id, "score"]),
            "score_candidate": int(b.at[order_id, "score"]),
            "is_fraud": bool(is_fraud.get(order_id, False)),
            "hits_added": ",".join(sorted(new - old)),
            "hits_removed": ",".join(sorted(old - new)),
        })
    columns = ["order_id", "created_at", "action_current", "action_candidate", "score_current",
               "score_candidate", "is_fraud", "hits_added", "hits_removed"]
    return pd.DataFrame(rows, columns=columns)
