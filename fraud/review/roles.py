"""Roles and what each may do. One table, read by the pages and by :func:`act`, so the
buttons a page shows and the actions the library accepts cannot disagree."""

from __future__ import annotations

from enum import StrEnum

from fraud.review.errors import Forbidden


class Role(StrEnum):
    REVIEWER = "reviewer"
    ANALYST = "analyst"
    ADMIN = "admin"

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls(text.strip().lower())
        except ValueError:
            allowed = ", ".join(r.value for r in cls)
            raise ValueError(f"unknown role {text!r}; allowed: {allowed}") from None


class Permission(StrEnum):
    READ = "read"  # the queue, order pages, the audit log
    ACT = "act"  # claim, release, approve, cancel, escalate, note
    DECIDE_ESCALATED = "decide_escalated"  # approve or cancel an order escalated to a senior
    TAKE_OVER = "take_over"  # act on an order another reviewer has claimed
    MANAGE_USERS = "manage_users"  # the users page
    EXPORT_CASES = "export_cases"  # download a case's bundle for the authorities
    ERASE_DATA = "erase_data"  # erase a customer's personal data on request
    # the operations dashboard: rates, reviewers' throughput, rule precision, drift.
    # Reviewers work the queue and do not see their colleagues' counts.
    SEE_DASHBOARD = "see_dashboard"


GRANTS: dict[Role, frozenset[Permission]] = {
    # analysts read everything and act on nothing
    Role.ANALYST: frozenset({Permission.READ, Permission.SEE_DASHBOARD}),
    Role.REVIEWER: frozenset({Permission.READ, Permission.ACT}),
    Role.ADMIN: frozenset(Permission),
}


def can(role: Role, permission: Permission) -> bool:
    return permission in GRANTS[role]


def require(role: Role, permission: Permission) -> None:
    """Raise :class:`Forbidden` unless ``role`` has ``permission``."""
    if not can(role, permission):
        raise Forbidden(f"a {role.value} may not {permission.value.replace('_', ' ')}")
