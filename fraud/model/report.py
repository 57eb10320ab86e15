"""The evaluation as files: ``metrics.json``, four PNG charts (ROC, precision-recall,
calibration, cost by review rate) and ``report.html`` tying them together.

Every text that reaches the HTML is escaped: scorer names, patterns and the
context come from data and settings, not from us.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from fraud.jsonable import json_safe
from fraud.model.artifact import write_json
from fraud.model.evaluate import Costs, Evaluation, cost_curve

CHARTS = ("roc", "pr", "calibration", "cost")


def _figure():  # noqa: ANN202 - matplotlib objects
    import matplotlib

    matplotlib.use("Agg")  # no display, ever: this runs in CI and on servers
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(5.2, 4.2), dpi=90)


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_roc(evaluation: Evaluation, path: Path) -> Path:
    from sklearn.metrics import roc_curve

    fig, ax = _figure()
    for s in evaluation.score_sets:
        if len(np.unique(evaluation.y)) == 2:
            fpr, tpr, _ = roc_curve(evaluation.y, s.scores)
            ax.plot(fpr, tpr, label=s.name)
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
    ax.set(xlabel="false positive rate", ylabel="recall (true positive rate)", title="ROC")
    ax.legend(loc="lower right")
    return _save(fig, path)


def plot_pr(evaluation: Evaluation, path: Path) -> Path:
    from sklearn.metrics import precision_recall_curve

    fig, ax = _figure()
    for s in evaluation.score_sets:
        if len(np.unique(evaluation.y)) == 2:
            precision, recall, _ = precision_recall_curve(evaluation.y, s.scores)
            ax.plot(recall, precision, label=s.name)
    ax.axhline(evaluation.y.mean() if len(evaluation.y) else 0, color="grey", lw=0.8, ls="--")
    ax.set(xlabel="recall", ylabel="precision", title="Precision-recall")
    ax.legend(loc="upper right")
    return _save(fig, path)


def plot_calibration(evaluation: Evaluation, path: Path, bins: int = 10) -> Path:
    from sklearn.calibration import calibration_curve

    fig, ax = _figure()
    for s in evaluation.score_sets:
        if s.probability and len(np.unique(evaluation.y)) == 2:
            observed, predicted = calibration_curve(
                evaluation.y, np.clip(s.scores, 0, 1), n_bins=bins, strategy="quantile"
            )
            # log axes: fraud is rare, so nearly every bin sits below a few percent
            ax.plot(np.clip(predicted, 1e-4, 1), np.clip(observed, 1e-4, 1), marker="o", ms=3,
                    label=s.name)
    ax.plot([1e-4, 1], [1e-4, 1], color="grey", lw=0.8, ls="--")
    ax.set(xscale="log", yscale="log", xlabel="predicted fraud probability",
           ylabel="observed fraud rate (0 drawn at 1e-4)", title="Calibration (quantile bins)")
    ax.set_xlim(1e-4, 1)
    ax.set_ylim(1e-4, 1)
    ax.legend(loc="upper left")
    return _save(fig, path)


def plot_cost(evaluation: Evaluation, path: Path, costs: Costs) -> Path:
    fig, ax = _figure()
    for s in evaluation.score_sets:
        curve = cost_curve(evaluation.y, evaluation.amount, s.scores, costs)
        ax.plot([100 * r for r, _ in curve], [c for _, c in curve], label=s.name)
    ax.set(xlabel="orders held for review (%)", ylabel="expected cost (EUR)",
           title="Cost by review rate")
    ax.legend(loc="upper right")
    return _save(fig, path)


# --- HTML --------------------------------------------------------------------------------------


def _fmt(value: Any, percent: bool = False) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if percent:
        return f"{100 * value:.1f} %"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.0f}"
    return html.escape(str(value))


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def overall_rows(metrics: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    rates = [f"{r:g}" for r in metrics["review_rates"]]
    header = ["scorer", "ROC-AUC", "PR-AUC"]
    header += [f"recall @{float(r) * 100:g}%" for r in rates]
    header += [f"precision @{float(r) * 100:g}%" for r in rates]
    header += ["cost @staffed rate (EUR)", "cost @service thresholds (EUR)"]
    rows = []
    for name, m in metrics["scorers"].items():
        at = m["at_review_rate"]
        rows.append(
            [html.escape(name), _fmt(m["roc_auc"]), _fmt(m["pr_auc"])]
            + [_fmt(at[r]["recall"], percent=True) for r in rates]
            + [_fmt(at[r]["precision"], percent=True) for r in rates]
            + [_fmt(at[m["at_staffed_rate"]]["cost"]["cost_eur"]),
               _fmt(m["at_service_thresholds"]["cost_eur"])]
        )
    return header, rows


def pattern_rows(metrics: Mapping[str, Any], rate: str) -> tuple[list[str], list[list[str]]]:
    by_scorer = metrics.get("patterns") or {}
    scorers = list(by_scorer)
    if not scorers:
        return [], []
    header = ["pattern", "orders"] + [f"{s} recall @{float(rate) * 100:g}%" for s in scorers]
    rows = []
    for pattern, first in by_scorer[scorers[0]].items():
        rows.append([html.escape(pattern), str(first["orders"])]
                    + [_fmt(by_scorer[s][pattern][f"recall@{rate}"], percent=True)
                       for s in scorers])
    return header, rows


_STYLE = """body{font-family:system-ui,sans-serif;margin:2em;max-width:75em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;
text-align:right}td:first-child,th:first-child{text-align:left}img{margin:.5em}
.note{color:#555;font-size:.9em}"""


def render_html(metrics: Mapping[str, Any], title: str, context: Mapping[str, Any]) -> str:
    """The report page; charts are referenced by file name next to it."""
    staffed = next(iter(metrics["scorers"].values()))["at_staffed_rate"]
    header, rows = overall_rows(metrics)
    parts = [
        "<!doctype html><html lang='en'><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style>",
        f"<h1>{html.escape(title)}</h1>",
        _table(["", ""], [[html.escape(str(k)), html.escape(str(v))] for k, v in context.items()]),
        f"<p>{metrics['orders']} labelled orders, {metrics['fraud']} fraud "
        f"({_fmt(metrics['fraud_rate'], percent=True)}). Costs per event: "
        + html.escape(", ".join(f"{k} {v:.2f}" for k, v in metrics["costs"].items()))
        + ".</p>",
        "<h2>Overall</h2>",
        _table(header, rows),
        "<p class='note'>Recall and precision when the shop reviews the given share of orders "
        "(ties at the boundary count fractionally). Cost: missed fraud (amount + chargeback "
        "fee) + reviewer time + margin of declined good orders.</p>",
    ]
    p_header, p_rows = pattern_rows(metrics, staffed)
    if p_rows:
        parts += ["<h2>Fraud patterns (ground truth)</h2>", _table(p_header, p_rows),
                  "<p class='note'>For <code>none</code> (honest orders) this is the share "
                  "held for review.</p>"]
    parts.append("<h2>Charts</h2><div>")
    parts += [f"<img src='{name}.png' alt='{name} chart' width='468'>" for name in CHARTS]
    parts.append("</div></html>")
    return "\n".join(parts)


def write_report(
    evaluation: Evaluation,
    out_dir: str | Path,
    costs: Costs,
    *,
    title: str = "Fraud model evaluation",
    context: Mapping[str, Any] | None = None,
) -> dict[str, Path]:
    """Write ``metrics.json``, ``report.html`` and the PNG charts into ``out_dir``."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    context = dict(context or {})
    files = {
        "metrics": write_json({"context": context, **evaluation.metrics}, folder / "metrics.json"),
        "roc": plot_roc(evaluation, folder / "roc.png"),
        "pr": plot_pr(evaluation, folder / "pr.png"),
        "calibration": plot_calibration(evaluation, folder / "calibration.png"),
        "cost": plot_cost(evaluation, folder / "cost.png", costs),
    }
    page = render_html(json_safe(evaluation.metrics), title, context)
    (folder / "report.html").write_text(page, encoding="utf-8")
    files["html"] = folder / "report.html"
    return files


def summary_text(metrics: Mapping[str, Any]) -> str:
    """The overall and per-pattern tables as plain text, for the terminal."""
    metrics = json_safe(metrics)
    lines = [f"{metrics['orders']} labelled orders, {metrics['fraud']} fraud"]
    if not metrics["fraud"]:  # dashes below would otherwise pass for figures
        lines.append(
            "warning: no fraud among these orders, so recall and ROC-AUC cannot be measured; "
            "judge this model on a longer window (e.g. more --valid-days) before serving it"
        )
    for header, rows in (overall_rows(metrics),
                         pattern_rows(metrics, next(iter(metrics["scorers"].values()))
                                      ["at_staffed_rate"])):
        if not rows:
            continue
        cells = [header] + [[html.unescape(c) for c in row] for row in rows]
        widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
        lines.append("")
        for row in cells:
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)
