"""Backtests and shadow reports as readable text (pure), for the CLI and notebooks alike."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fraud.replay.backtest import BacktestResult
    from fraud.store.shadow import ShadowReport


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
