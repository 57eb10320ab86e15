"""Retention purge with a fake clock, and the customer's access export."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from evidence_helpers import records, trusted
from factories import make_order
from typer.testing import CliRunner

from fraud.cases import open_case
from fraud.cli import app
from fraud.errors import NotFound
from fraud.evidence import verify_chain
from fraud.privacy import export_customer_data, purge
from fraud.runtime import Runtime
from fraud.settings import get_settings
from fraud.store.repository import get_stored_order

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def placed(runtime: Runtime, when: str, email: str = "old@example.org") -> str:
    account = "C-" + email.split("@")[0].lower()  # one account per address
    order = make_order(created_at=when, customer={"email": email, "name": "Olga Oldtimer",
                                                  "account_id": account})
    runtime.score(order)
    return order.order_id


def name_of(runtime: Runtime, order_id: str) -> str:
    with runtime.sessions() as session:
        stored = get_stored_order(session, order_id)
    assert stored is not None
    return str(stored.order["customer"]["name"])


def test_purge_pseudonymises_orders_past_retention_that_are_in_no_case(
    runtime: Runtime,
) -> None:
    old = placed(runtime, "2024-11-01T10:00:00+01:00")
    old_in_case = placed(runtime, "2024-10-01T10:00:00+01:00")
    recent = placed(runtime, "2025-06-01T10:00:00+02:00")
    with runtime.sessions() as session:
        open_case(session, "kept", "alice", [old_in_case])

        done = purge(session, 730, now=NOW, batch=1)  # batches of one: the loop is used
        again = purge(session, 730, now=NOW)
        report = verify_chain(session, trusted(runtime))
        purges = [r for r in records(session) if r.kind == "retention_purge"]

    assert done.orders == 1 and again.orders == 0
    assert done.cutoff == datetime(2024, 12, 1, 12, 0, tzinfo=UTC)
    assert name_of(runtime, old) == "[erased]"
    assert name_of(runtime, old_in_case) == "Olga Oldtimer"
    assert name_of(runtime, recent) == "Olga Oldtimer"
    assert report.ok, report.problems
    assert len(purges) == 1 and "Olga" not in purges[0].body


def test_a_later_clock_purges_more(runtime: Runtime) -> None:
    placed(runtime, "2024-11-01T10:00:00+01:00")
    placed(runtime, "2025-06-01T10:00:00+02:00")
    with runtime.sessions() as session:
        first = purge(session, 730, now=NOW)
        later = purge(session, 730, now=datetime(2027, 7, 1, tzinfo=UTC))
    assert (first.orders, later.orders) == (1, 1)


def test_the_access_export_holds_the_customers_orders_and_evidence(runtime: Runtime) -> None:
    mine = placed(runtime, "2026-11-01T10:00:00+01:00", email="Olga@Example.org")
    placed(runtime, "2026-11-02T10:00:00+01:00", email="someone@example.org")
    with runtime.sessions() as session:
        data = export_customer_data(session, "olga@example.org", by="dpo")
        with pytest.raises(NotFound):
            export_customer_data(session, "nobody@example.org", by="dpo")
        kinds = [r.kind for r in records(session)]

    assert [o["order"]["order_id"] for o in data["orders"]] == [mine]
    assert data["orders"][0]["order"]["customer"]["name"] == "Olga Oldtimer"
    assert data["orders"][0]["decision"]["action"] in ("approve", "review", "decline")
    assert data["evidence_records"][0]["personal_data"]["order"]["order_id"] == mine
    assert kinds[-1] == "access_export"
    json.dumps(data)  # it is JSON as it stands


def test_the_privacy_cli_erases_refuses_under_hold_exports_and_purges(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRAUD_DATA_DIR", str(runtime.settings.data_dir))
    monkeypatch.setenv("FRAUD_DATABASE_URL", runtime.settings.resolved_database_url)
    get_settings.cache_clear()
    held = placed(runtime, "2026-11-01T10:00:00+01:00", email="held@example.org")
    placed(runtime, "2026-11-01T11:00:00+01:00", email="free@example.org")
    with runtime.sessions() as session:
        case_id = open_case(session, "hold", "alice", [held]).id
    cli = CliRunner()

    exported = cli.invoke(app, ["privacy", "export", "--email", "free@example.org", "--by", "dpo"])
    refused = cli.invoke(app, ["privacy", "erase", "--email", "held@example.org", "--by", "dpo"])
    erased = cli.invoke(app, ["privacy", "erase", "--email", "free@example.org", "--by", "dpo"])
    neither = cli.invoke(app, ["privacy", "erase", "--by", "dpo"])
    purged = cli.invoke(app, ["privacy", "purge"])
    verified = cli.invoke(app, ["evidence", "verify"])

    assert exported.exit_code == 0 and json.loads(exported.output)["orders"]
    assert refused.exit_code == 1 and f"case {case_id}" in refused.output
    assert erased.exit_code == 0 and "erased: 1 orders" in erased.output
    assert neither.exit_code == 1 and "either an e-mail" in neither.output
    assert purged.exit_code == 0 and "purged 0 orders" in purged.output
    assert verified.exit_code == 0 and "chain ok" in verified.output
