"""Account events (logins and account changes) and the decision each one got.

One row per event: the event as received (canonical JSON), the columns history
look-ups read without parsing JSON (account, time, type, IP, device, the IP's place),
and the decision when the event type was scored. ``event_id`` is the primary key, so a
retried event is stored once. Migration 0006 creates the table, 0007 adds ``features``.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, String, Table

from fraud.store.codecs import Json, UTCDateTime
from fraud.store.meta import metadata

account_events = Table(
    "account_events",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("event_type", String(32), nullable=False),
    Column("account_id", String(64), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("event_json", Json, nullable=False),
    # normalised like the order's keys (fraud.keys), for per-IP and per-device look-ups
    Column("ip_key", String(64), nullable=False),
    Column("device_key", String(64)),
    # where the IP was placed when the event arrived: impossible travel needs no geo
    # look-up of past events
    Column("ip_country", String(2)),
    Column("ip_latitude", Float),
    Column("ip_longitude", Float),
    # the event's own decision, when its type has a rule set (logins: allow/challenge/block)
    Column("action", String(16)),
    Column("score", Integer),
    Column("reasons", Json),
    Column("rule_hits", Json),
    Column("rules_version", String(200)),
    Column("decided_at", UTCDateTime),
    # the features the decision was made on (migration 0007): the review page and
    # explanations read them, nothing recomputes them
    Column("features", Json),
    Index(None, "account_id", "occurred_at"),
    Index(None, "ip_key", "occurred_at"),
    Index(None, "device_key", "occurred_at"),
)
