"""Backtests: replay labelled orders through two rule sets and compare them.

An analyst writes a new rule (or a new version of a rule set) and asks what it
would have done to the orders the shop already has, next to the rules running
now: which rules hit, how precise they are, how much fraud they catch, how the
review and decline rates move, and which orders change action.

The expensive part, every order's features, is computed **once** by the real
pipeline (:func:`fraud.features.build_features`, with a
:class:`~fraud.history.MemoryHistory` holding every order and outcome, so each
order sees history as of its own time). Any number of rule sets are then
evaluated against those features with :func:`fraud.rules.evaluate` and decided
with :func:`fraud.decision.decide`, exactly as live scoring does. Everything
after the replay is pure functions over pandas frames.

    >>> replay = replay_files("orders.jsonl.gz", "outcomes.jsonl.gz")
    >>> labels = labels_for(replay)                       # outcomes known by the last event
    >>> result = backtest(replay, load_rules("new.yaml"), labels=labels)
    >>> result.summary, result.rules, result.changes
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from fraud.decision import Thresholds, decide
from fraud.domain import Action, Outcome, Versions
from fraud.features import build_features
from fraud.history import MemoryHistory
from fraud.keys import order_keys
from fraud.model.scorer import RULES_ONLY, ModelScorer
from fraud.rules.engine import evaluate
from fraud.rules.ruleset import RuleSet, load_rules
from fraud.schema import Order
from fraud.settings import Settings, get_settings
from fraud.signals import Context

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

FRAUD_OUTCOMES = frozenset(o.value for o in Outcome if o.is_fraud)
SET_NAMES = ("current", "candidate")


# --- replay: features once ---------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Replay:
    """Orders with their features computed once, ready for any number of rule sets.

    ``orders`` is indexed by ``order_id`` in time order, with columns
    ``created_at`` (UTC timestamp), ``features`` (the feature dict),
    ``keys`` (:class:`~fraud.keys.OrderKeys`, for list rules),
    ``signals_unavailable`` (tuple), ``model_probability`` (float or ``None``)
    and ``model_reasons`` (tuple of :class:`~fraud.domain.Reason`).
    ``outcomes`` has one row per reported outcome: ``order_id``, ``outcome``,
    ``at`` (UTC timestamp). ``model_version`` names the model whose
    probabilities were used (``RULES_ONLY`` when none).
    """

    orders: pd.DataFrame
    outcomes: pd.DataFrame
    model_version: str = RULES_ONLY

    def __len__(self) -> int:
        return len(self.orders)

    def with_probabilities(
        self, probabilities: Mapping[str, float] | pd.Series, model_version: str
    ) -> Replay:
        """The same replay with model probabilities from elsewhere (e.g. a notebook's model).

        Orders missing from ``probabilities`` get ``None`` (decided on rules alone).
        """
        series = pd.Series(probabilities, dtype=object).reindex(self.orders.index)
        frame = self.orders.assign(
            model_probability=[None if pd.isna(p) else float(p) for p in series],
            model_reasons=[()] * len(self.orders),
        )
        return replace(self, orders=frame, model_version=model_version)


def outcomes_frame(events: Iterable[Mapping[str, Any] | Sequence[Any]]) -> pd.DataFrame:
    """Outcome events (dicts with order_id/outcome/at, or tuples) as a frame with UTC times."""
    rows = [
        (e["order_id"], str(e["outcome"]), e["at"]) if isinstance(e, Mapping) else tuple(e)
        for e in events
    ]
    frame = pd.DataFrame(rows, columns=["order_id", "outcome", "at"])
    frame["outcome"] = frame["outcome"].map(lambda o: Outcome(o).value)
    frame["at"] = pd.to_datetime(frame["at"], utc=True, format="ISO8601")
    return frame


def _predict(model: ModelScorer, features: Mapping[str, Any]) -> tuple[float | None, tuple]:
    try:
        probability, reasons = model.predict_one(features)
        return float(probability), tuple(reasons)
    except Exception:  # as in score_order: a broken model leaves the decision to the rules
        return None, ()


def _featurize(order: Order, context: Context, model: ModelScorer | None) -> tuple:
    vector = build_features(order, context)
    unavailable = vector.signals_unavailable
    probability, reasons = None, ()
    if model is not None:
        probability, reasons = _predict(model, vector.values)
        if probability is None:
            unavailable = (*unavailable, "model")
    return (order.order_id, order.created_at, vector.values, order_keys(order),
            unavailable, probability, reasons)


MIN_PARALLEL = 1000
"""Fewer orders than this are not worth forking for."""

_JOB: tuple = ()  # (orders, context, model), inherited by forked workers


def _featurize_slice(bounds: tuple[int, int]) -> list[tuple]:
    orders, context, model = _JOB
    return [_featurize(o, context, model) for o in orders[bounds[0]:bounds[1]]]


def _featurize_all(
    orders: list[Order], context: Context, model: ModelScorer | None, n_jobs: int
) -> list[tuple]:
    """Features of every order, in order; forked workers share the history by copy-on-write."""
    import multiprocessing as mp

    from fraud.places import warm_up

    warm_up()  # load postal tables once, before forking, so no worker pays for them
    if n_jobs <= 1 or len(orders) < MIN_PARALLEL or "fork" not in mp.get_all_start_methods():
        return [_featurize(o, context, model) for o in orders]
    global _JOB
    step = -(-len(orders) // (n_jobs * 4))  # a few slices per worker evens out the load
    slices = [(lo, min(lo + step, len(orders))) for lo in range(0, len(orders), step)]
    # the model stays in this process: thread pools (OpenMP) do not survive a fork
    _JOB = (orders, context, None)
    try:
        with mp.get_context("fork").Pool(n_jobs) as pool:
            rows = [row for part in pool.map(_featurize_slice, slices) for row in part]
    finally:
        _JOB = ()
    if model is None:
        return rows
    out = []
    for order_id, created, values, keys, unavailable, _, _ in rows:
        probability, reasons = _predict(model, values)
        if probability is None:
            unavailable = (*unavailable, "model")
        out.append((order_id, created, values, keys, unavailable, probability, reasons))
    return out


def replay_orders(
    orders: Iterable[Order],
    outcomes: pd.DataFrame | Iterable[Any] = (),
    *,
    settings: Settings | None = None,
    context: Context | None = None,
    model: ModelScorer | None = None,
    n_jobs: int = 1,
) -> Replay:
    """Compute every order's features once, with the real pipeline.

    History holds all ``orders`` and ``outcomes``; each order sees only what
    happened strictly before its own ``created_at``, as it would have online.
    ``context`` supplies the geo database and settings (its history is replaced);
    by default it is built from ``settings`` as batch scoring does. With a
    ``model``, each order's fraud probability is computed once too, so both
    rule sets of a backtest are decided with the same model points.
    ``n_jobs`` > 1 splits the orders over that many forked processes (each sees
    the whole history; the result is identical, only faster).
    """
    settings = settings or (context.settings if context is not None else get_settings())
    orders = sorted(orders, key=lambda o: (o.created_at, o.order_id))
    if isinstance(outcomes, pd.DataFrame):  # e.g. Simulation.outcomes, with ISO text times
        outcomes = outcomes[["order_id", "outcome", "at"]].itertuples(index=False)
    events = outcomes_frame(outcomes)
    known = {o.order_id for o in orders}
    events = events[events["order_id"].isin(known)]
    history = MemoryHistory.from_orders(
        orders,
        zip(events["order_id"], events["outcome"].map(Outcome), events["at"], strict=True),
        fx_rates=settings.fx_rates,
    )
    if context is None:
        from fraud.batch import batch_context

        context = batch_context(settings, history)
    else:
        context = replace(context, history=history)

    rows = _featurize_all(orders, context, model, n_jobs)
    frame = pd.DataFrame(rows, columns=["order_id", "created_at", "features", "keys",
                                        "signals_unavailable", "model_probability",
                                        "model_reasons"])
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    frame = frame.set_index("order_id")
    return Replay(frame, events.reset_index(drop=True),
                  model.version if model is not None else RULES_ONLY)


def read_order_file(path: str | Path) -> Iterator[Order]:
    """Validated orders from JSONL (.gz ok), Parquet or CSV (as :mod:`fraud.simulate` writes)."""
    from fraud.simulate import read_orders
    from fraud.simulate.io import detect_format, open_binary

    path = Path(path)
    if detect_format(path) != "jsonl":
        for data in read_orders(path):
            yield Order.model_validate_json(json.dumps(data))
        return
    with open_binary(path, "r") as fh:  # JSON lines straight into pydantic: no dict round trip
        for line in fh:
            if line.strip():
                yield Order.model_validate_json(line)


def replay_files(
    orders_path: str | Path,
    outcomes_path: str | Path | None = None,
    *,
    settings: Settings | None = None,
    model: ModelScorer | None = None,
    n_jobs: int = 1,
) -> Replay:
    """:func:`replay_orders` over an orders file (JSONL(.gz), Parquet or CSV) and an
    optional outcomes file (JSONL(.gz) or CSV), as :mod:`fraud.simulate` writes them."""
    from fraud.simulate import read_outcomes

    orders = list(read_order_file(orders_path))
    events = outcomes_frame(read_outcomes(outcomes_path)) if outcomes_path else outcomes_frame([])
    return replay_orders(orders, events, settings=settings, model=model, n_jobs=n_jobs)


def replay_store(
    session: Session,
    since: datetime | None = None,
    until: datetime | None = None,
    *,
    settings: Settings | None = None,
    model: ModelScorer | None = None,
    n_jobs: int = 1,
) -> Replay:
    """:func:`replay_orders` over the stored orders created in ``[since, until)``
    and their reported outcomes."""
    from fraud.store.repository import iter_orders

    orders: list[Order] = []
    events: list[tuple[str, str, datetime]] = []
    for order, stored in iter_orders(session, since, until):
        orders.append(order)
        events.extend((o.order_id, o.outcome.value, o.at) for o in stored)
    return replay_orders(orders, outcomes_frame(events), settings=settings, model=model,
                         n_jobs=n_jobs)


# --- a replay kept on disk ---------------------------------------------------------------

# Code whose change changes features: a cached replay made before such a change is stale.
_FEATURE_CODE = ("features.py", "history.py", "keys.py", "geo.py", "places.py", "signals")


def replay_fingerprint(
    inputs: Iterable[str | Path], settings: Settings, model_version: str = RULES_ONLY
) -> str:
    """SHA-256 over the input files, the feature code, the settings features read
    and the model version whose probabilities the replay holds.

    Two replays with the same fingerprint have the same features, so a cached
    one can stand in for computing them again.
    """
    import hashlib

    import fraud

    digest = hashlib.sha256(f"{fraud.__version__}\n{model_version}\n".encode())
    for path in inputs:
        with Path(path).open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    root = Path(fraud.__file__).parent
    for name in _FEATURE_CODE:
        for source in sorted((root / name).rglob("*.py")) if (root / name).is_dir() else [
                root / name]:
            digest.update(source.read_bytes())
    relevant = settings.model_dump(mode="json", include={
        "geoip_city_path", "geoip_asn_path", "geoip_anonymous_path", "forwarders_path",
        "fx_rates"})
    digest.update(json.dumps(relevant, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def save_replay(replay: Replay, path: str | Path, fingerprint: str) -> None:
    """Keep a replay on disk (pickle: load only files you wrote yourself)."""
    import pickle

    Path(path).write_bytes(pickle.dumps((fingerprint, replay), protocol=5))


def load_replay(path: str | Path, fingerprint: str) -> Replay | None:
    """The replay saved at ``path`` if it was made from the same inputs and code, else ``None``."""
    import pickle

    path = Path(path)
    if not path.exists():
        return None
    try:
        saved, replay = pickle.loads(path.read_bytes())  # noqa: S301 - the user's own file
    except Exception:  # unreadable or from an older layout: compute again
        log.warning("ignoring unreadable replay cache %s", path)
        return None
    return replay if saved == fingerprint and isinstance(replay, Replay) else None


# --- labels ------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Labels:
    """Which replayed orders count as fraud, and where that knowledge came from.

    ``is_fraud`` is a boolean series indexed like the replay. ``source`` is
    ``"truth"`` (a ground-truth file) or ``"outcomes"`` (chargeback or confirmed
    fraud reported by ``cutoff``; every other order counts as good).
    """

    is_fraud: pd.Series
    source: str
    cutoff: pd.Timestamp | None = None

    def describe(self) -> str:
        if self.source == "truth":
            return "ground truth file"
        when = self.cutoff.isoformat() if self.cutoff is not None else "never"
        return f"chargeback or confirmed fraud reported by {when}"


def labels_for(
    replay: Replay,
    cutoff: datetime | str | pd.Timestamp | None = None,
    truth: pd.DataFrame | None = None,
) -> Labels:
    """Labels for every replayed order.

    With ``truth`` (``order_id``, ``is_fraud``, as :func:`fraud.simulate.read_truth`
    returns it) the truth decides, and every replayed order must be in it.
    Otherwise an order is fraud when a chargeback or confirmed fraud was
    reported by ``cutoff`` (default: the last reported outcome, i.e. everything
    known); fraud not yet reported counts as good, as it would in production.
    """
    index = replay.orders.index
    if truth is not None:
        table = truth.set_index(truth["order_id"].astype(str))["is_fraud"]
        missing = index.difference(table.index)
        if len(missing):
            raise ValueError(
                f"{len(missing)} replayed orders are not in the truth file, e.g. {missing[0]!r}"
            )
        return Labels(table.reindex(index).astype(bool).rename("is_fraud"), "truth")
    events = replay.outcomes
    if cutoff is None:
        stamp = events["at"].max() if len(events) else None
    else:
        stamp = pd.Timestamp(cutoff)
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    if stamp is None or pd.isna(stamp):
        return Labels(pd.Series(False, index=index, name="is_fraud"), "outcomes", None)
    known = events[(events["at"] <= stamp) & events["outcome"].isin(FRAUD_OUTCOMES)]
    is_fraud = pd.Series(index.isin(known["order_id"]), index=index, name="is_fraud")
    return Labels(is_fraud, "outcomes", stamp)


# --- rule sets against the replay ----------------------------------------------------------


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
    """Evaluate and decide every replayed order with ``ruleset``, as live scoring would."""
    from fraud import __version__

    n, ids = len(replay), ruleset.ids
    hits = np.zeros((n, len(ids)), dtype=bool)
    errors = np.zeros((n, len(ids)), dtype=bool)
    scores = np.zeros(n, dtype=np.int64)
    actions = np.zeros(n, dtype=np.int64)
    versions = Versions(ruleset.version, replay.model_version, __version__)
    o = replay.orders
    columns = zip(o.index, o["features"], o["keys"], o["signals_unavailable"],
                  o["model_probability"], o["model_reasons"], strict=True)
    for i, (order_id, features, keys, unavailable, probability, reasons) in enumerate(columns):
        results = evaluate(ruleset, features, keys)
        for j, r in enumerate(results):
            if r.status == "hit":
                hits[i, j] = True
            elif r.status == "error":
                errors[i, j] = True
        decision = decide(order_id, results, thresholds, versions,
                          model_probability=None if pd.isna(probability) else probability,
                          model_reasons=reasons, signals_unavailable=unavailable,
                          max_reasons=max_reasons)
        scores[i], actions[i] = decision.score, int(decision.action)
    index = replay.orders.index
    return RuleSetRun(
        ruleset,
        thresholds,
        pd.DataFrame({"score": scores, "action": actions}, index=index),
        pd.DataFrame(hits, index=index, columns=list(ids)),
        pd.DataFrame(errors, index=index, columns=list(ids)),
    )


# --- metrics: pure functions over frames -------------------------------------------------


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


# --- the backtest ----------------------------------------------------------------------


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


def thresholds_from_settings(settings: Settings) -> Thresholds:
    """The thresholds live scoring uses (see :func:`fraud.scoring.thresholds_from`)."""
    return Thresholds(settings.review_threshold, settings.decline_threshold,
                      settings.unavailable_points)


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
    thresholds = thresholds_from_settings(settings)
    runs = [run_rules(r, replay, thresholds, settings.max_reasons) for r in (current, candidate)]
    return compare_runs(runs[0], runs[1], replay, labels)


__all__ = [
    "BacktestResult",
    "Labels",
    "Replay",
    "RuleSetRun",
    "action_summary",
    "backtest",
    "changed_orders",
    "compare_runs",
    "labels_for",
    "membership",
    "outcomes_frame",
    "load_replay",
    "read_order_file",
    "replay_files",
    "replay_fingerprint",
    "replay_orders",
    "replay_store",
    "rule_stats",
    "save_replay",
    "run_rules",
    "thresholds_from_settings",
]
