"""The store's tables (SQLAlchemy Core). Rows never leave ``fraud/store/``.

Orders keep the validated JSON as received (canonical form) plus a few columns copied out of it
(amount in EUR, countries, linking keys) so history look-ups never parse JSON.
``order_keys`` has one row per (order, kind of key) for the indexed look-up
"orders sharing this IP / e-mail / card ... within a window".
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

# The evidence and case tables live in their own modules; imported here so that
# ``metadata`` (what migrations are compared with) holds every table of the store.
from fraud.store import case_tables, event_tables, evidence_tables  # noqa: F401, I001
from fraud.store.codecs import Json, UTCDateTime
from fraud.store.meta import metadata


def order_ref(*, index: bool = False) -> Column:
    """The ``order_id`` column of a table that records something about one stored order
    (deleted with it)."""
    return Column(
        "order_id",
        String(64),
        ForeignKey("orders.order_id", ondelete="CASCADE"),
        nullable=False,
        index=index or None,  # None, as a column without the argument
    )


KEY_KINDS = ("account", "ip", "email", "phone", "device", "address", "card")

orders = Table(
    "orders",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("account_id", String(64)),
    Column("order_json", Json, nullable=False),
    Column("amount_eur", Float),
    Column("currency", String(3), nullable=False),
    Column("billing_country", String(2), nullable=False),
    Column("shipping_country", String(2), nullable=False),
    Column("card_country", String(2)),
    # normalised linking keys (fraud.keys.order_keys), copied for history look-ups
    Column("ip_key", String(64), nullable=False),
    Column("email_key", String(320), nullable=False),
    Column("phone_key", String(64)),
    Column("device_key", String(64)),
    Column("address_key", String(400), nullable=False),
    Column("card_key", String(32)),
    Index(None, "account_id", "created_at"),
    Index(None, "created_at"),
)

order_keys = Table(
    "order_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    order_ref(index=True),
    Column("kind", String(16), nullable=False),
    Column("value", String(400), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # order_id last makes the index covering: look-ups never touch the table
    Index(None, "kind", "value", "created_at", "order_id"),
)

decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    order_ref(index=True),
    Column("score", Integer, nullable=False),
    Column("action", String(16), nullable=False),
    Column("reasons", Json, nullable=False),
    Column("rule_hits", Json, nullable=False),
    Column("signals_unavailable", Json, nullable=False),
    Column("features", Json, nullable=False),
    Column("rules_version", String(200), nullable=False),
    Column("model_version", String(200), nullable=False),
    Column("service_version", String(64), nullable=False),
    Column("model_probability", Float),
    Column("decided_at", UTCDateTime, nullable=False),
    # the review queue pages held orders newest or riskiest first (migration 0005)
    Index(None, "action", "decided_at", "id"),
    Index(None, "action", "score", "id"),
)

outcomes = Table(
    "outcomes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    order_ref(),
    Column("outcome", String(32), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("reported_at", UTCDateTime, nullable=False),
    Index(None, "order_id", "at"),
    # a report retried, or sent twice at once, is stored once (migration 0003)
    UniqueConstraint("order_id", "outcome", "at", name="uq_outcomes_order_id_outcome_at"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False, index=True),
    Column("secret_sha256", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
)


shadow_decisions = Table(
    "shadow_decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    order_ref(),
    Column("rules_version", String(200), nullable=False),
    Column("score", Integer, nullable=False),
    Column("action", String(16), nullable=False),
    Column("rule_hits", Json, nullable=False),
    Column("decided_at", UTCDateTime, nullable=False),
    # one shadow decision per order and candidate version: re-running is harmless
    UniqueConstraint(
        "order_id", "rules_version", name="uq_shadow_decisions_order_id_rules_version"
    ),
    Index(None, "decided_at"),
)
"""What a candidate rule set would have decided (:mod:`fraud.store.shadow`)."""
