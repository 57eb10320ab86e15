"""Promoting and rolling back a model, recorded in the evidence chain.

Which model decided an order is named in each decision; *why* the live model changed is
recorded here: an evidence record ``kind="model"``, ``subject="model:<version>"``, with
the action (``promote``, ``rollback``, ``challenger_set``, ``challenger_clear``), the
version before and who did it. The record is appended in a transaction that commits only
after the pointer file was replaced: a change that failed leaves no record, and a record
always names a change that happened. Every running worker picks the new CURRENT up
within a second (:class:`~fraud.model.registry.ModelHolder`), no restart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from fraud import evidence
from fraud.model.registry import ModelRegistry

T = TypeVar("T")
KIND = "model"


def _recorded(session: Session, action: str, version: str | None, previous: str | None,
              actor: str, change: Callable[[], T]) -> T:
    evidence.append(session, kind=KIND, subject=f"model:{version or 'none'}", actor=actor,
                    data={"action": action, "version": version, "previous": previous})
    try:
        done = change()
    except BaseException:
        session.rollback()
        raise
    session.commit()
    return done


def promote(session: Session, registry: ModelRegistry, version: str, actor: str) -> str:
    """Serve ``version`` from now on (after checking it loads); returns the previous one.

    A challenger promoted stops being the challenger: scoring it twice would compare it
    with itself."""
    previous = registry.current_version()

    def change() -> None:
        registry.promote(version)
        if registry.challenger_version() == version:
            registry.clear_challenger()

    _recorded(session, "promote", version, previous, actor, change)
    return previous or "none"


def rollback(session: Session, registry: ModelRegistry, actor: str) -> str:
    """Go back to the version promoted before the current one; returns it."""
    previous = registry.current_version()
    history = registry.history()
    while history and history[-1] == previous:  # as ModelRegistry.rollback walks it
        history.pop()
    target = history[-1] if history else None
    return _recorded(session, "rollback", target, previous, actor, registry.rollback)


def set_challenger(session: Session, registry: ModelRegistry, version: str, actor: str) -> None:
    previous = registry.challenger_version()
    _recorded(session, "challenger_set", version, previous, actor,
              lambda: registry.set_challenger(version))


def clear_challenger(session: Session, registry: ModelRegistry, actor: str) -> str | None:
    previous = registry.challenger_version()
    if previous is None:
        return None
    return _recorded(session, "challenger_clear", None, previous, actor,
                     registry.clear_challenger)
