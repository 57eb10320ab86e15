"""A real server (uvicorn in a thread, on a free port) over a store with held orders, and
Debian's chromium driven by Playwright. Skipped, with the reason, where either is missing."""

from __future__ import annotations

import dataclasses
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "review"))

CHROMIUM = Path("/usr/bin/chromium")
HOSTILE = {
    "name": "<script>alert(1)</script>",
    "street": '"><img src=x onerror=alert(2)>' + "\u202eevil" + "W" * 150,
    "city": "Ut<b>recht</b>",
}


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    from argon2 import PasswordHasher

    from fraud.review import users

    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def held_for_review(runtime, **overrides) -> str:  # noqa: ANN001
    """Score an order with the real pipeline, store it as held for review; its id."""
    from factories import make_order

    from fraud.domain import Action
    from fraud.store import repository

    order = make_order(**overrides)
    scored = runtime.evaluate(order)
    decision = dataclasses.replace(scored.decision, action=Action.REVIEW,
                                   score=max(scored.decision.score, 45))
    with runtime.sessions() as s:
        repository.save_decision(s, order, decision, scored.features.values)
    return order.order_id


@pytest.fixture
def site(tmp_path) -> Iterator[dict]:
    """The server's URL, its runtime, an API key, and the held orders by name."""
    import uvicorn
    from holding import PASSWORD

    from api.main import create_app
    from fraud.review.roles import Role
    from fraud.review.users import add_user
    from fraud.runtime import Runtime
    from fraud.settings import Settings
    from fraud.store import apikeys

    settings = Settings(data_dir=tmp_path, model_dir=tmp_path / "no-models", _env_file=None)
    runtime = Runtime.start(settings)
    with runtime.sessions() as s:
        for name, role in [("rita", Role.REVIEWER), ("rob", Role.REVIEWER), ("ada", Role.ADMIN)]:
            add_user(s, name, role, PASSWORD)
        key = apikeys.create_api_key(s, "shop")
    orders = {
        "plain": held_for_review(
            runtime, customer={"email": "k.jansen@mailinator.com", "name": "Kees Jansen"},
            payment={"amount": "389.00"}),
        "german": held_for_review(
            runtime, customer={"email": "k.braun@example.de", "name": "Karl Braun"},
            payment={"card_country": "US"}, ip_address="8.8.8.8",
            shipping_address={"country": "DE", "postal_code": "10115", "city": "Berlin",
                              "street": "Invalidenstrasse", "house_number": "5"}),
        "hostile": held_for_review(
            runtime, customer={"name": HOSTILE["name"], "email": "x@mailinator.com"},
            user_agent="Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0.0.0",
            shipping_address={"street": HOSTILE["street"], "city": HOSTILE["city"]}),
    }
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, runtime=runtime),
                                           host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the test server did not start"
    yield {"url": f"http://127.0.0.1:{port}", "runtime": runtime, "key": key, "orders": orders,
           "password": PASSWORD}
    server.should_exit = True
    thread.join(10)
    runtime.close()


@pytest.fixture(scope="module")
def browser():  # noqa: ANN201 - a playwright Browser
    """Module-scoped: while Playwright's sync API runs, an asyncio loop runs in this
    thread, and a later test of another module calling ``asyncio.run`` would fail."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"],
                                     headless=True)
        yield launched
        launched.close()
