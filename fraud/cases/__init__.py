"""Cases: orders grouped as one fraud, and their export for the authorities
(docs/evidence.md)."""

from fraud.cases.bundle import BundleReport, verify_bundle
from fraud.cases.cases import (
    add_note,
    add_orders,
    get_case,
    list_cases,
    open_case,
    set_owner,
    set_status,
)
from fraud.cases.export import Exported, export_case
from fraud.cases.links import Suggestion, suggest_orders

__all__ = [
    "BundleReport",
    "Exported",
    "Suggestion",
    "add_note",
    "add_orders",
    "export_case",
    "get_case",
    "list_cases",
    "open_case",
    "set_owner",
    "set_status",
    "suggest_orders",
    "verify_bundle",
]
