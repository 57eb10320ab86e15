"""Replay tools: orders decided again, by rule sets other than the live one.

They sit above the pipeline (:mod:`fraud.scoring`) and call its two steps only:
every order is assessed once (:func:`~fraud.scoring.assess`) and each rule set
decides on the assessment (:func:`~fraud.scoring.decide_on` /
:func:`~fraud.scoring.judge`), exactly as live scoring does.

* :mod:`fraud.replay.replay`: orders (files or the store) assessed once;
* :mod:`fraud.replay.labels`: which replayed orders count as fraud;
* :mod:`fraud.replay.metrics`: one rule set's run, per-rule and per-action figures;
* :mod:`fraud.replay.backtest`: two rule sets compared (``fraud rules backtest``);
* :mod:`fraud.replay.cache`: a replay kept on disk;
* :mod:`fraud.replay.shadow`: a candidate rule set beside the live one on live traffic.
"""

from fraud.replay.backtest import SET_NAMES, BacktestResult, backtest, compare_runs
from fraud.replay.cache import load_replay, replay_fingerprint, save_replay
from fraud.replay.labels import FRAUD_OUTCOMES, Labels, labels_for
from fraud.replay.metrics import (
    RuleSetRun,
    action_summary,
    changed_orders,
    membership,
    rule_stats,
    run_rules,
)
from fraud.replay.replay import (
    Replay,
    outcomes_frame,
    read_order_file,
    replay_files,
    replay_orders,
    replay_store,
)
from fraud.replay.shadow import ShadowRunner

__all__ = [
    "FRAUD_OUTCOMES",
    "SET_NAMES",
    "BacktestResult",
    "Labels",
    "Replay",
    "RuleSetRun",
    "ShadowRunner",
    "action_summary",
    "backtest",
    "changed_orders",
    "compare_runs",
    "labels_for",
    "load_replay",
    "membership",
    "outcomes_frame",
    "read_order_file",
    "replay_files",
    "replay_fingerprint",
    "replay_orders",
    "replay_store",
    "rule_stats",
    "run_rules",
    "save_replay",
]
