"""The event loop never waits on the store: API-key look-ups and /readyz's check run in
worker threads; refused keys are remembered briefly, created keys work at once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from factories import make_order_data

from fraud.runtime import Runtime
from fraud.store import apikeys


def on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def spy(monkeypatch, owner: Any, name: str) -> list[bool]:  # noqa: ANN001
    """Wrap ``owner.name`` to record, per call, whether it ran on the event loop."""
    calls: list[bool] = []
    real: Callable[..., Any] = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(on_event_loop())
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapper)
    return calls


def test_an_api_key_is_looked_up_in_the_store_off_the_event_loop(
    anonymous, runtime: Runtime, monkeypatch
) -> None:
    secret = runtime.create_api_key("fresh")
    looked_up = spy(monkeypatch, apikeys, "verify_api_key")
    response = anonymous.post(
        "/v1/score", json=make_order_data(), headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 200
    assert looked_up == [False]


def test_readyz_checks_the_store_off_the_event_loop(anonymous, runtime, monkeypatch) -> None:
    checked = spy(monkeypatch, runtime.probe, "_probe")
    assert anonymous.get("/readyz").status_code == 200
    assert checked == [False]


def test_a_refused_key_is_remembered_so_a_flood_of_it_costs_one_query(
    anonymous, monkeypatch
) -> None:
    looked_up = spy(monkeypatch, apikeys, "verify_api_key")
    headers = {"Authorization": "Bearer fsk_wrong-key-sent-again-and-again"}
    codes = [anonymous.post("/v1/score", json=make_order_data(), headers=headers).status_code
             for _ in range(20)]
    assert codes == [401] * 20
    assert len(looked_up) == 1


def test_a_key_created_just_after_it_was_refused_works_at_once(
    anonymous, runtime: Runtime
) -> None:
    secret = "fsk_created-a-moment-too-late"  # noqa: S105 - a test key
    headers = {"Authorization": f"Bearer {secret}"}
    assert anonymous.post("/v1/score", json=make_order_data(), headers=headers).status_code == 401
    runtime.create_api_key("late", secret=secret)
    assert anonymous.post("/v1/score", json=make_order_data(), headers=headers).status_code == 200


def test_a_refused_key_is_looked_up_again_once_its_moment_has_passed(
    runtime: Runtime, monkeypatch
) -> None:
    from fraud import runtime as runtime_module

    secret = "fsk_created-by-another-process"  # noqa: S105 - a test key
    assert runtime.verify_api_key(secret) is None
    with runtime.sessions() as session:  # as `fraud apikey create` would, elsewhere
        apikeys.create_api_key(session, "elsewhere", secret=secret)
    later = runtime_module.time.monotonic() + runtime_module.REFUSED_KEY_CACHE_SECONDS + 1
    monkeypatch.setattr(runtime_module.time, "monotonic", lambda: later)
    assert runtime.verify_api_key(secret) == "elsewhere"
