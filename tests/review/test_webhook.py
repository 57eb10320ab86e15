"""The decision webhook: signed, retried with back-off, every attempt in the delivery log,
against a real HTTP receiver on a local port."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from holding import hold
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from fraud.review.actions import ReviewAction, act
from fraud.review.webhook import (
    SIGNATURE_HEADER,
    Webhook,
    deliver,
    enqueue,
    notify_in_background,
    pending_calls,
    recent_deliveries,
    resend_pending,
    sign,
    verify,
)
from fraud.settings import Settings

SECRET = b"shared secret"


class Receiver:
    """Answers each POST with the next status of ``statuses`` (the last one repeats)."""

    def __init__(self, statuses: list[int], hold: threading.Event | None = None) -> None:
        self.statuses = statuses
        self.calls: list[tuple[dict, bytes]] = []
        self.hold = hold  # when given, each answer waits for it: a call kept in flight
        self.got_call = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.calls.append((dict(self.headers), body))
                receiver.got_call.set()
                if receiver.hold is not None:
                    receiver.hold.wait(30)
                status = receiver.statuses[min(len(receiver.calls), len(receiver.statuses)) - 1]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made: list[Receiver] = []

    def make(statuses: list[int], hold: threading.Event | None = None) -> Receiver:
        made.append(Receiver(statuses, hold))
        return made[-1]

    yield make
    for r in made:
        if r.hold is not None:
            r.hold.set()
        r.server.shutdown()


@pytest.fixture
def approved(session, people):  # noqa: ANN001, ANN201
    order_id = hold(session)
    done = act(session, people["rita"], order_id, ReviewAction.APPROVE, version=0)
    return enqueue(sessions_of(session), done)


def hook(url: str, attempts: int = 4) -> Webhook:
    return Webhook(url, SECRET, attempts=attempts, first_wait_seconds=0.01)


def sessions_of(session: Session) -> sessionmaker[Session]:
    return sessionmaker(session.get_bind())


def log_of(session: Session) -> list[tuple[int, str, int | None]]:
    return [(d.attempt, d.result, d.http_status) for d in reversed(recent_deliveries(session))]


def test_a_failed_call_is_retried_and_the_delivery_is_signed(session, approved, receiver):
    r = receiver([503, 200])
    assert deliver(hook(r.url), sessions_of(session), approved)
    assert log_of(session) == [(1, "failed", 503), (2, "delivered", 200)]
    headers, body = r.calls[-1]
    assert verify(SECRET, headers[SIGNATURE_HEADER], body)
    assert not verify(b"another secret", headers[SIGNATURE_HEADER], body)
    sent = json.loads(body)
    assert (sent["order_id"], sent["status"], sent["by"]) == (approved.order_id, "approved", "rita")
    assert "name" not in body.decode() and "email" not in body.decode()  # no personal data


def test_a_refusal_is_not_retried(session, approved, receiver):
    r = receiver([400])
    assert not deliver(hook(r.url), sessions_of(session), approved)
    assert log_of(session) == [(1, "gave_up", 400)] and len(r.calls) == 1


def test_an_unreachable_receiver_is_tried_the_set_number_of_times(session, approved):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    assert not deliver(hook(f"http://127.0.0.1:{port}/", attempts=3), sessions_of(session),
                       approved)
    assert [r for _, r, _ in log_of(session)] == ["failed", "failed", "failed", "gave_up"]


def test_signatures_expire_and_bind_the_body():
    body = b'{"order_id":"O-1"}'
    old = sign(SECRET, int(time.time()) - 3600, body)
    assert not verify(SECRET, old, body)
    fresh = sign(SECRET, int(time.time()), body)
    assert verify(SECRET, fresh, body) and not verify(SECRET, fresh, body + b" ")
    assert not verify(SECRET, "garbage", body)


def test_a_webhook_url_needs_a_secret():
    with pytest.raises(ValidationError, match="needs review_webhook_secret"):
        Settings(review_webhook_url="https://shop.example/hook", _env_file=None)
    with pytest.raises(ValidationError, match="http"):
        Settings(review_webhook_url="file:///etc/passwd", review_webhook_secret="s",  # noqa: S106
                 _env_file=None)


def test_approving_on_the_page_calls_the_webhook_and_admins_see_the_log(tmp_path, receiver):
    from holding import PASSWORD
    from review_client import act as act_on_page
    from review_client import signed_in_client

    from fraud.review.roles import Role
    from fraud.review.users import add_user
    from fraud.runtime import Runtime

    r = receiver([200])
    settings = Settings(data_dir=tmp_path, model_dir=tmp_path / "no-models", _env_file=None,
                        review_webhook_url=r.url, review_webhook_secret=SECRET.decode())
    runtime = Runtime.start(settings)
    try:
        with runtime.sessions() as s:
            add_user(s, "rita", Role.REVIEWER, PASSWORD)
            add_user(s, "ada", Role.ADMIN, PASSWORD)
            order_id = hold(s)
        rita = signed_in_client(settings, runtime, "rita", PASSWORD)
        assert act_on_page(rita, order_id, "approve").status_code == 303
        deadline = time.monotonic() + 20
        while not r.calls and time.monotonic() < deadline:
            time.sleep(0.05)
        assert json.loads(r.calls[0][1])["status"] == "approved"
        assert rita.get("/review/admin/webhooks").status_code == 403
        ada = signed_in_client(settings, runtime, "ada", PASSWORD)
        for _ in range(100):  # the log row is written just after the answer
            page = ada.get("/review/admin/webhooks")
            if "delivered" in page.text:
                break
            time.sleep(0.05)
        assert page.status_code == 200 and order_id in page.text and "delivered" in page.text
    finally:
        runtime.close()


# -- a call in flight when the process stops -------------------------------------------

CHILD = """
import sys
from sqlalchemy.orm import sessionmaker
from fraud.review.webhook import Webhook, resend_pending
from fraud.store.db import make_engine
sessions = sessionmaker(make_engine(sys.argv[1]))
for thread in resend_pending(Webhook(sys.argv[2], b"shared secret", attempts=1), sessions):
    thread.join()
"""


def test_the_call_is_pending_in_the_outbox_while_it_is_in_flight(session, people, receiver):
    order_id = hold(session)
    done = act(session, people["rita"], order_id, ReviewAction.CANCEL, version=0,
               reason="stolen card")
    release = threading.Event()
    slow = receiver([200], hold=release)
    thread = notify_in_background(hook(slow.url), sessions_of(session), done)
    assert slow.got_call.wait(20)
    assert [c.order_id for c in pending_calls(session)] == [order_id]
    release.set()
    thread.join(20)
    session.expire_all()
    assert pending_calls(session) == [] and log_of(session) == [(1, "delivered", 200)]


def test_a_call_in_flight_when_the_process_is_killed_is_sent_on_the_next_start(
    session, approved, receiver
):
    import os
    import signal
    import subprocess
    import sys

    slow = receiver([200], hold=threading.Event())
    url = session.get_bind().url.render_as_string(hide_password=False)
    child = subprocess.Popen([sys.executable, "-c", CHILD, url, slow.url],  # noqa: S603
                             env={**os.environ, "PYTHONPATH": os.getcwd()})
    try:
        assert slow.got_call.wait(60), "the child never sent the call"
    finally:
        child.send_signal(signal.SIGKILL)  # stopped mid-delivery, no clean-up
        child.wait(30)
    session.expire_all()
    assert [c.id for c in pending_calls(session)] == [approved.id]  # nothing was lost
    good = receiver([200])
    for thread in resend_pending(hook(good.url), sessions_of(session)):  # the next start
        thread.join(20)
    assert [body for _, body in good.calls] == [approved.body]
    session.expire_all()
    assert pending_calls(session) == []
    assert log_of(session)[-1] == (1, "delivered", 200)


def test_the_service_sends_pending_calls_when_it_starts(tmp_path, receiver):
    from fastapi.testclient import TestClient

    from api.main import create_app
    from fraud.review.roles import Role
    from fraud.review.users import add_user
    from fraud.runtime import Runtime

    r = receiver([200])
    settings = Settings(data_dir=tmp_path, model_dir=tmp_path / "no-models", _env_file=None,
                        review_webhook_url=r.url, review_webhook_secret=SECRET.decode())
    runtime = Runtime.start(settings)
    try:
        with runtime.sessions() as s:
            rita = add_user(s, "rita", Role.REVIEWER, "correct horse battery")
            done = act(s, rita, hold(s), ReviewAction.APPROVE, version=0)
        left = enqueue(runtime.sessions, done)  # what a stop in mid-delivery leaves
        with TestClient(create_app(settings, runtime=runtime)):
            assert r.got_call.wait(20)
        assert r.calls[0][1] == left.body
    finally:
        runtime.close()
