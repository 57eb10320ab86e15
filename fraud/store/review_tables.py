"""The review pages' tables: people who sign in, their sessions, the state of each held
order in the queue (with a version for optimistic locking), and the append-only audit log.

They share the store's :data:`~fraud.store.tables.metadata`, so migrations and the
schema check see them; migration 0005 creates them.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text

from fraud.store.codecs import UTCDateTime
from fraud.store.tables import metadata, order_ref

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # lock-out: failures since the last success, and until when sign-in is refused
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until", UTCDateTime),
)

review_sessions = Table(
    "review_sessions",
    metadata,
    # SHA-256 of the cookie's token: a leaked table does not sign anybody in
    Column("token_sha256", String(64), primary_key=True),
    Column(
        "user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

review_states = Table(
    "review_states",
    metadata,
    Column(
        "order_id",
        String(64),
        ForeignKey("orders.order_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("status", String(16), nullable=False),
    Column("claimed_by", String(64)),
    # optimistic locking: every change sets version + 1 where version is what the actor saw
    Column("version", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index(None, "status"),
)

review_audit = Table(
    "review_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    order_ref(index=True),
    Column("action", String(16), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("reason", Text),
    Column("old_status", String(16), nullable=False),
    Column("new_status", String(16), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index(None, "at"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    order_ref(index=True),
    Column("event", String(32), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("result", String(16), nullable=False),  # delivered | failed (will retry) | gave_up
    Column("http_status", Integer),
    Column("error", String(300)),
    Column("at", UTCDateTime, nullable=False),
    Index(None, "at"),
)
"""One row per attempt to tell the order service about a reviewer's final decision."""

verification_contacts = Table(
    "verification_contacts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    order_ref(),
    # the customer's account id, or "email:<normalised e-mail>" for a guest checkout
    Column("customer_key", String(330), nullable=False),
    Column("channel", String(8), nullable=False),
    Column("result", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("contacted_at", UTCDateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Index(None, "customer_key", "contacted_at"),
)
"""The customer's contact log: a reviewer's verification calls and e-mails and their results."""

contact_keys = Table(
    "contact_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("contact_id", Integer,
           ForeignKey("verification_contacts.id", ondelete="CASCADE"), nullable=False),
    order_ref(),
    Column("kind", String(16), nullable=False),
    Column("value", String(400), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Index(None, "kind", "value", "recorded_at"),
)
"""The linking keys of each order whose customer denied placing it (migration 0009): scoring
finds the denials sharing a key with an order in a few index probes, however many there are."""

webhook_outbox = Table(
    "webhook_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    order_ref(index=True),
    Column("event", String(32), nullable=False),
    # the exact body to POST: signed afresh at each attempt, never rebuilt
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # set once delivered or given up; a row without it is re-sent on the next start
    Column("finished_at", UTCDateTime),
    Index(None, "finished_at"),
)
"""Webhook calls not yet finished (migration 0009): what a stop in mid-delivery leaves."""
