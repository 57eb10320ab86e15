"""A decision is never stored without its evidence record, nor the record without the
decision: both are one transaction, whatever interrupts it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from factories import make_order
from sqlalchemy import func, select

from fraud.runtime import Runtime
from fraud.store import repository
from fraud.store.db import make_engine, upgrade_database
from fraud.store.evidence_tables import evidence_head, evidence_records, evidence_sealed
from fraud.store.tables import decisions, orders

TESTS = Path(__file__).resolve().parents[1]


def counts(engine) -> dict[str, int]:  # noqa: ANN001
    with engine.connect() as conn:
        found = {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (orders, decisions, evidence_records, evidence_sealed)
        }
        found["head"] = conn.execute(select(evidence_head.c.seq)).scalar_one()
    return found


NOTHING = {"orders": 0, "decisions": 0, "evidence_records": 0, "evidence_sealed": 0, "head": 0}


def test_a_failing_evidence_write_leaves_no_decision(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    order = make_order()
    with monkeypatch.context() as patch:
        patch.setattr(repository, "append_evidence", broken)
        with pytest.raises(OSError):
            runtime.score(order)
    assert counts(runtime.engine) == NOTHING

    stored = runtime.score(order)  # the order can be scored once the store is well again
    assert stored.created and stored.evidence_seq == 1


KILLED = """
import os, sys
sys.path.insert(0, {tests!r})
from factories import make_order
from fraud.domain import Action, Decision, Versions
from fraud.store import repository
from fraud.store.db import make_engine
from sqlalchemy.orm import Session

real = repository.append_evidence
def die(*args, **kwargs):
    if {after_record!r}:
        real(*args, **kwargs)  # the record is written, the transaction not committed
    os._exit(9)
repository.append_evidence = die

order = make_order(order_id="O-killed")
decision = Decision(order_id=order.order_id, score=0, action=Action.APPROVE, reasons=(),
                    rule_hits=(), signals_unavailable=(), versions=Versions("r1", "none", "0"))
with Session(make_engine({url!r})) as session:
    repository.save_decision(session, order, decision, {{}})
print("not killed")
"""


@pytest.mark.parametrize("after_record", [False, True], ids=["before-record", "after-record"])
def test_a_process_killed_between_decision_and_commit_stores_neither(
    db_url: str, after_record: bool
) -> None:
    upgrade_database(db_url)
    script = KILLED.format(tests=str(TESTS), url=db_url, after_record=after_record)
    done = subprocess.run(  # noqa: S603 - our own script, run by this interpreter
        [sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True,
        timeout=120,
    )
    assert done.returncode == 9, done.stderr
    engine = make_engine(db_url)
    try:
        assert counts(engine) == NOTHING
    finally:
        engine.dispose()
