"""The verification e-mail: the shop's language, the customer's name as plain text, sent
through a real SMTP conversation with a local aiosmtpd sink, and recorded as a contact."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message

import pytest
from factories import make_order_data
from holding import PASSWORD, hold
from review_client import CSRF, signed_in_client

from fraud.errors import ConfigError
from fraud.review.contacts import ContactResult, contact_log
from fraud.review.mail import MailFailed, SmtpServer, letter, send
from fraud.review.roles import Role
from fraud.review.users import add_user
from fraud.runtime import Runtime
from fraud.settings import Settings

SENDER = "verify@shop.example"


class Sink:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Sink]]:
    from aiosmtpd.controller import Controller

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller.port, sink
    controller.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("country, words", [
    ("NL", "Wilt u uw bestelling"), ("BE", "Wilt u uw bestelling"),
    ("FR", "Merci de confirmer"), ("DE", "Bitte bestätigen"), ("ES", "Please confirm"),
])
def test_the_letter_is_in_the_language_of_the_billing_country(country, words):
    order = make_order_data(billing_address={"country": country})
    message = letter(order, SENDER)
    assert words in message["Subject"] and order["order_id"] in message["Subject"]
    assert message["To"] == order["customer"]["email"]


def test_a_hostile_name_stays_plain_text(smtp):
    order = make_order_data(customer={"name": "<script>alert(1)</script>"})
    message = letter(order, SENDER)
    assert message.get_content_type() == "text/plain"
    assert "<script>alert(1)</script>" in message.get_content()


def test_the_letter_goes_through_smtp(smtp):
    port, sink = smtp
    order = make_order_data()
    send(SmtpServer("127.0.0.1", port, SENDER), letter(order, SENDER))
    [(recipients, received)] = sink.messages
    assert recipients == [order["customer"]["email"]]
    assert order["order_id"] in received.get_payload(decode=True).decode()


def test_a_missing_or_unreachable_server_is_a_clear_error():
    with pytest.raises(ConfigError, match="no SMTP server"):
        send(None, letter(make_order_data(), SENDER))
    with pytest.raises(MailFailed, match="the e-mail was not sent"):
        send(SmtpServer("127.0.0.1", _free_port(), SENDER), letter(make_order_data(), SENDER),
             timeout=3)


def test_sending_from_the_page_records_a_contact_awaiting_reply(tmp_path, smtp):
    port, sink = smtp
    settings = Settings(data_dir=tmp_path, model_dir=tmp_path / "no-models", _env_file=None,
                        review_smtp_host="127.0.0.1", review_smtp_port=port,
                        review_smtp_from=SENDER)
    runtime = Runtime.start(settings)
    try:
        with runtime.sessions() as s:
            add_user(s, "rita", Role.REVIEWER, PASSWORD)
            add_user(s, "ann", Role.ANALYST, PASSWORD)
            order_id = hold(s, customer={"phone": None})
        for name, status in [("ann", 403), ("rita", 303)]:
            client = signed_in_client(settings, runtime, name, PASSWORD)
            token = CSRF.search(client.get(f"/review/orders/{order_id}").text).group(1)
            answer = client.post(f"/review/orders/{order_id}/verify-email",
                                 data={"csrf_token": token}, follow_redirects=False)
            assert answer.status_code == status
        assert len(sink.messages) == 1
        with runtime.sessions() as s:
            [logged] = contact_log(s, order_id)
        assert logged.result is ContactResult.AWAITING_REPLY and logged.actor == "rita"
    finally:
        runtime.close()
