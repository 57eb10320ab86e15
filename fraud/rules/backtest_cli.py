"""``fraud rules backtest`` and ``fraud rules shadow-report``: thin CLI over
:mod:`fraud.rules.backtest` and :mod:`fraud.store.shadow`.

The command functions carry typer ``Annotated`` options and are registered on
the ``rules`` sub-app in :mod:`fraud.cli`. Formatting is plain aligned text
from pure functions (:func:`format_backtest`, :func:`format_shadow_report`), so
notebooks can print the same tables.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from fraud.errors import FraudError

if TYPE_CHECKING:
    from fraud.rules.backtest import BacktestResult
    from fraud.store.shadow import ShadowReport


# --- formatting (pure) -------------------------------------------------------------------


def _pct(x: Any) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.1%}"


def _pp(x: float) -> str:
    return "–" if math.isnan(x) else f"{x * 100:+.2f} pp"


def _num(x: Any) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{int(x):,}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    """Aligned text columns; ``right`` holds the indexes of right-aligned columns."""
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        parts = [str(c).rjust(w) if i in right else str(c).ljust(w)
                 for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return "  ".join(parts).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def _pair(cur: str | None, cand: str | None) -> str:
    """``12`` when both sets agree or only one has the rule, ``12 → 15`` when they differ."""
    if cur is None or cand is None:  # the "in sets" column says which set has the rule
        return str(cur if cand is None else cand)
    return cur if cur == cand else f"{cur} → {cand}"


def format_backtest(result: BacktestResult, max_changes: int = 20) -> str:
    """The backtest as readable text: summary, per-rule table, changed orders."""
    s = result.summary
    cur, cand, change = s.loc["current"], s.loc["candidate"], s.loc["change"]
    out = [
        f"current   {result.current_version}",
        f"candidate {result.candidate_version}",
        f"{int(cur['orders']):,} orders, {int(cur['fraud']):,} fraud "
        f"(labels: {result.labels}); review at {result.thresholds.review}, "
        f"decline at {result.thresholds.decline}",
        "",
    ]
    rows = [
        ["review rate", _pct(cur["review_rate"]), _pct(cand["review_rate"]),
         _pp(change["review_rate"])],
        ["decline rate", _pct(cur["decline_rate"]), _pct(cand["decline_rate"]),
         _pp(change["decline_rate"])],
        ["not approved", _pct(cur["flagged_rate"]), _pct(cand["flagged_rate"]),
         _pp(change["flagged_rate"])],
        ["fraud not approved (recall)", _pct(cur["recall"]), _pct(cand["recall"]),
         _pp(change["recall"])],
        ["fraud among not approved (precision)", _pct(cur["precision"]),
         _pct(cand["precision"]), _pp(change["precision"])],
        ["fraud orders not approved", _num(cur["fraud_flagged"]), _num(cand["fraud_flagged"]),
         f"{int(change['fraud_flagged']):+,}"],
        ["good orders not approved", _num(cur["good_flagged"]), _num(cand["good_flagged"]),
         f"{int(change['good_flagged']):+,}"],
    ]
    out += _table(["", "current", "candidate", "change"], rows, {1, 2, 3})
    out += ["", "Per rule (current → candidate where they differ):"]
    out += _table(["rule", "in sets", "hits", "hit rate", "precision", "recall", "fraud",
                   "good"], _rule_rows(result), {2, 3, 4, 5, 6, 7})
    out += ["", *_change_lines(result, max_changes)]
    return "\n".join(out)


def _rule_rows(result: BacktestResult) -> list[list[str]]:
    by_set = {name: frame.set_index("rule_id") for name, frame in result.rules.groupby("rule_set")}
    cur, cand = by_set.get("current"), by_set.get("candidate")
    rows = []
    for rule_id in dict.fromkeys(result.rules["rule_id"]):
        a = cur.loc[rule_id] if cur is not None and rule_id in cur.index else None
        b = cand.loc[rule_id] if cand is not None and rule_id in cand.index else None
        in_sets = a["in_sets"] if a is not None else b["in_sets"]  # type: ignore[index]

        def cell(metric: str, fmt: Any, a: Any = a, b: Any = b) -> str:
            return _pair(None if a is None else fmt(a[metric]),
                         None if b is None else fmt(b[metric]))

        rows.append([rule_id, in_sets, cell("hits", _num), cell("hit_rate", _pct),
                     cell("precision", _pct), cell("recall", _pct),
                     cell("fraud_caught", _num), cell("good_hit", _num)])
    return rows


def _change_lines(result: BacktestResult, max_changes: int) -> list[str]:
    changes = result.changes
    if changes.empty:
        return ["No order changes action."]
    lines = [f"{len(changes):,} orders change action:"]
    moves = changes.groupby(["action_current", "action_candidate"]).agg(
        orders=("order_id", "size"), fraud=("is_fraud", "sum"))
    for (old, new), row in moves.iterrows():
        lines.append(f"  {old} → {new}: {int(row['orders']):,} "
                     f"({int(row['fraud']):,} fraud, {int(row['orders'] - row['fraud']):,} good)")
    if max_changes > 0:
        shown = changes.head(max_changes)
        rows = [[r.order_id, r.created_at.strftime("%Y-%m-%d %H:%M"),
                 f"{r.action_current} → {r.action_candidate}",
                 f"{r.score_current} → {r.score_candidate}",
                 "fraud" if r.is_fraud else "good",
                 " ".join([f"+{h}" for h in r.hits_added.split(",") if h]
                          + [f"-{h}" for h in r.hits_removed.split(",") if h])]
                for r in shown.itertuples()]
        lines += ["", *_table(["order", "created (UTC)", "action", "score", "label", "rules"],
                              rows, set())]
        if len(changes) > max_changes:
            lines.append(f"... and {len(changes) - max_changes:,} more (write them all with --out)")
    return lines


def format_shadow_report(report: ShadowReport, max_disagreements: int = 20) -> str:
    """The shadow report as readable text, one block per candidate version."""
    since = report.since.isoformat() if report.since else "the start"
    if not report.versions:
        return f"No shadow decisions since {since}."
    out: list[str] = []
    for v in report.versions:
        out += [
            f"shadow rules {v.rules_version}: {v.orders:,} orders since {since}, "
            f"{v.agreement:.1%} same action as live",
            *_table(["", "live", "shadow", "change"], [
                ["review rate", _pct(v.live_review_rate), _pct(v.shadow_review_rate),
                 _pp(v.review_rate_change)],
                ["decline rate", _pct(v.live_decline_rate), _pct(v.shadow_decline_rate),
                 _pp(v.decline_rate_change)],
                [f"known fraud not approved (of {v.known_fraud:,})", _num(v.live_fraud_flagged),
                 _num(v.shadow_fraud_flagged),
                 f"{v.shadow_fraud_flagged - v.live_fraud_flagged:+,}"],
            ], {1, 2, 3}),
            "",
            "live → shadow: " + ", ".join(
                f"{a.label} → {b.label} {n:,}" for a, b, n in v.transitions),
            "rule hits: " + (", ".join(f"{rule} {n:,}" for rule, n in v.rule_hits) or "none"),
        ]
        shown = v.disagreements[:max_disagreements]
        if shown:
            out += ["", *_table(
                ["order", "live", "shadow", "score", "known fraud"],
                [[d.order_id, d.live_action.label, d.shadow_action.label,
                  f"{d.live_score} → {d.shadow_score}", "yes" if d.known_fraud else ""]
                 for d in shown], set())]
        out.append("")
    return "\n".join(out).rstrip()


# --- commands ----------------------------------------------------------------------------


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def _moment(text: str | None, what: str) -> datetime | None:
    """An ISO date or time; a date or a time without zone is read as UTC."""
    if text is None:
        return None
    import pandas as pd

    try:
        stamp = pd.Timestamp(text)
    except ValueError:
        raise _fail(f"{what} {text!r} is not an ISO date or time (e.g. 2025-11-30)") from None
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    return stamp.to_pydatetime()


def _existing(path: Path | None, what: str) -> Path | None:
    if path is not None and not path.exists():
        raise _fail(f"{what} {path}: no such file")
    return path


def backtest_command(
    rules: Annotated[Path, typer.Option(help="The candidate rules YAML file.")],
    against: Annotated[Path | None, typer.Option(
        help="Rules to compare with (default: the configured rules, FRAUD_RULES_PATH).")] = None,
    orders: Annotated[Path | None, typer.Option(
        help="Orders file: JSONL (.gz ok), Parquet or CSV.")] = None,
    outcomes: Annotated[Path | None, typer.Option(
        help="Outcome events (JSONL .gz ok, or CSV): history for features, and labels.")] = None,
    truth: Annotated[Path | None, typer.Option(
        help="Ground-truth CSV (order_id, is_fraud): labels from it instead of outcomes.")] = None,
    from_store: Annotated[bool, typer.Option(
        "--from-store", help="Replay the stored orders and outcomes instead of files.")] = False,
    since: Annotated[str | None, typer.Option(
        help="With --from-store: only orders created at or after this date/time.")] = None,
    until: Annotated[str | None, typer.Option(
        help="With --from-store: only orders created before this date/time.")] = None,
    cutoff: Annotated[str | None, typer.Option(
        help="Count chargebacks/confirmed fraud reported by this date/time "
             "(default: every outcome known).")] = None,
    out: Annotated[Path | None, typer.Option(
        help="Also write the result: .json (everything) or .csv (rules; summary and "
             "changed orders beside it).")] = None,
    show: Annotated[int, typer.Option(help="How many changed orders to list.")] = 20,
    with_model: Annotated[bool, typer.Option(
        "--with-model", help="Add the current model's probability (FRAUD_MODEL_DIR, "
        "FRAUD_MODEL_VERSION) to both sets' scores, as live scoring does.")] = False,
    cache: Annotated[Path | None, typer.Option(
        help="Keep the computed features in this file and reuse them while the orders, "
             "outcomes, feature code and settings are unchanged (files only).")] = None,
    jobs: Annotated[int, typer.Option(
        help="Processes computing features (default: one per CPU, at most 4).")] = 0,
) -> None:
    """Backtest a rules file against the current rules on labelled orders: per-rule hits,
    precision and recall, review and decline rates, and the orders that change action."""
    from fraud.rules import load_rules
    from fraud.rules.backtest import backtest, labels_for, replay_store
    from fraud.settings import get_settings
    from fraud.simulate import read_truth

    if (orders is None) == (not from_store):
        raise _fail("give either --orders FILE or --from-store")
    settings = get_settings()
    n_jobs = jobs if jobs > 0 else min(os.cpu_count() or 1, 4)
    try:
        candidate = load_rules(_existing(rules, "rules"))
        current = load_rules(_existing(against, "rules") or settings.rules_path)
        truth_frame = read_truth(truth) if truth and _existing(truth, "truth") else None
        model = _current_model(settings) if with_model else None
        if from_store:
            replay = _replay_from_store(settings, _moment(since, "--since"),
                                        _moment(until, "--until"), replay_store, n_jobs, model)
        else:
            replay = _replay_files_cached(_existing(orders, "orders"),
                                          _existing(outcomes, "outcomes"), settings, n_jobs,
                                          cache, model)
        if len(replay) == 0:
            raise _fail("no orders to replay")
        labels = labels_for(replay, _moment(cutoff, "--cutoff"), truth_frame)
        result = backtest(replay, candidate, current, labels=labels, settings=settings)
    except FraudError as exc:
        raise _fail(exc.message) from None
    except ValueError as exc:
        raise _fail(str(exc)) from None
    typer.echo(format_backtest(result, show))
    if out is not None:
        try:
            written = result.write(out)
        except ValueError as exc:
            raise _fail(str(exc)) from None
        typer.echo(f"\nwritten: {', '.join(str(p) for p in written)}")


def _current_model(settings: Any) -> Any:
    """The model the service would serve; refuses to go on without one."""
    from fraud.model.registry import ModelRegistry

    model = ModelRegistry(settings.model_dir).load(settings.model_version)
    if model is None:
        raise _fail(f"--with-model: no current model in {settings.model_dir}")
    return model


def _replay_files_cached(
    orders: Any, outcomes: Any, settings: Any, n_jobs: int, cache: Path | None, model: Any
) -> Any:
    from fraud.model.scorer import RULES_ONLY
    from fraud.rules.backtest import load_replay, replay_files, replay_fingerprint, save_replay

    if cache is None:
        return replay_files(orders, outcomes, settings=settings, n_jobs=n_jobs, model=model)
    fingerprint = replay_fingerprint([p for p in (orders, outcomes) if p], settings,
                                     model.version if model is not None else RULES_ONLY)
    replay = load_replay(cache, fingerprint)
    if replay is not None:
        typer.echo(f"features from {cache}", err=True)
        return replay
    replay = replay_files(orders, outcomes, settings=settings, n_jobs=n_jobs, model=model)
    save_replay(replay, cache, fingerprint)
    return replay


def _replay_from_store(
    settings: Any, since: Any, until: Any, replay_store: Any, n_jobs: int, model: Any
) -> Any:
    from sqlalchemy.orm import Session

    from fraud.store.db import make_engine

    engine = make_engine(settings.resolved_database_url)
    try:
        with Session(engine) as session:
            return replay_store(session, since, until, settings=settings, n_jobs=n_jobs,
                                model=model)
    finally:
        engine.dispose()


def shadow_report_command(
    since: Annotated[str | None, typer.Option(
        help="Only shadow decisions made at or after this date/time (default: all).")] = None,
    rules_version: Annotated[str | None, typer.Option(
        help="Only this candidate rules version.")] = None,
    show: Annotated[int, typer.Option(help="How many disagreeing orders to list.")] = 20,
) -> None:
    """Compare shadow (candidate) decisions with the live ones: rates, agreement,
    known fraud caught, and the orders they disagree on."""
    from sqlalchemy.orm import Session

    from fraud.settings import get_settings
    from fraud.store.db import make_engine, upgrade_database
    from fraud.store.shadow import shadow_report

    settings = get_settings()
    url = settings.resolved_database_url
    if url.startswith("sqlite:///"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_database(url)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            report = shadow_report(session, _moment(since, "--since"),
                                   rules_version=rules_version)
    finally:
        engine.dispose()
    typer.echo(format_shadow_report(report, show))
