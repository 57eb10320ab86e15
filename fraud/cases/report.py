"""The case report a police officer reads: one self-contained HTML page (Jinja2,
autoescaped: names, addresses and e-mails come from fraudsters)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from fraud.evidence.reading import Record
from fraud.keys import order_keys
from fraud.store.case_store import CaseRow
from fraud.store.repository import StoredOrder, order_from_json

GEO_FEATURE_MARKERS = ("ip_", "distance", "country")


@dataclass(frozen=True)
class OrderView:
    stored: StoredOrder
    geo: list[tuple[str, Any]]
    reasons: list[tuple[str, str]]


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("fraud.cases", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )


def order_view(stored: StoredOrder) -> OrderView:
    features = stored.features or {}
    geo = sorted(
        (k, v) for k, v in features.items() if any(m in k for m in GEO_FEATURE_MARKERS)
    )
    reasons = [(r.code, r.message) for r in stored.decision.reasons] if stored.decision else []
    return OrderView(stored, geo, reasons)


def shared_keys(stored: Sequence[StoredOrder]) -> list[tuple[str, str, list[str]]]:
    """(kind, key, order ids) for every linking key two or more of the orders share."""
    seen: dict[tuple[str, str], list[str]] = {}
    for s in stored:
        try:
            keys = order_keys(order_from_json(s.order)).linked()
        except ValueError:  # an order pseudonymised by retention: its keys are gone
            continue
        for kind, value in keys.items():
            seen.setdefault((kind, value), []).append(s.order_id)
    return [(k, v, ids) for (k, v), ids in sorted(seen.items()) if len(ids) > 1]


def timeline_line(record: Record) -> str:
    """One line in words for a record of the timeline."""
    data = record.data
    kind = record.kind
    if kind == "decision":
        result = data.get("result", {})
        return f"scored {result.get('score')}: {result.get('action')}"
    if kind == "outcome":
        return f"outcome reported: {data.get('outcome')} (at {data.get('at')})"
    if kind == "case_status":
        ref = data.get("authority_ref")
        return f"status {data.get('from')} → {data.get('to')}" + (f" (ref {ref})" if ref else "")
    if kind == "case_order_added":
        return f"order {data.get('order_id')} added to the case"
    if kind == "case_export":
        return f"case exported (reason: {data.get('reason')})"
    return kind.replace("_", " ")


def render_report(
    case: CaseRow,
    stored: Sequence[StoredOrder],
    records: Sequence[Record],
    exported_at: datetime,
    exported_by: str,
) -> str:
    template = _environment().get_template("report.html")
    views = [order_view(s) for s in stored]
    amounts = [
        (s.order.get("payment", {}).get("amount"), s.order.get("payment", {}).get("currency"))
        for s in stored
    ]
    return template.render(
        case=case,
        orders=views,
        amounts=amounts,
        shared=shared_keys(stored),
        timeline=[(r, timeline_line(r)) for r in sorted(records, key=lambda r: (r.at, r.seq))],
        exported_at=exported_at,
        exported_by=exported_by,
        pretty=lambda v: json.dumps(v, ensure_ascii=False, indent=1),
    )
