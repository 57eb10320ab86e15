"""The verification e-mail: a short letter in the shop's language (NL, FR, DE or EN,
chosen by the billing country) asking the customer to confirm the order, sent through the
configured SMTP server (:mod:`smtplib`, with STARTTLS when asked for).

The letter is plain text: the customer's name is written into it as text, never as HTML,
and :class:`email.message.EmailMessage` refuses a header with a line break in it.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from fraud.errors import ConfigError, FraudError
from fraud.settings import Settings

TEMPLATES = Path(__file__).parent / "mail_templates"
LANGUAGES = ("nl", "fr", "de", "en")
LANGUAGE_OF_COUNTRY = {"NL": "nl", "BE": "nl", "FR": "fr", "LU": "fr", "MC": "fr",
                       "DE": "de", "AT": "de", "CH": "de", "LI": "de"}

_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=False,  # noqa: S701 - plain text
                   undefined=StrictUndefined, keep_trailing_newline=True)


class MailFailed(FraudError):
    status = 502
    code = "mail_failed"


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    sender: str
    starttls: bool = False
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpServer | None:
        if not settings.review_smtp_host or not settings.review_smtp_from:
            return None
        password = settings.review_smtp_password
        return cls(settings.review_smtp_host, settings.review_smtp_port, settings.review_smtp_from,
                   settings.review_smtp_starttls, settings.review_smtp_username,
                   password.get_secret_value() if password else None)


def language_for(country: str | None) -> str:
    return LANGUAGE_OF_COUNTRY.get((country or "").upper(), "en")


def letter(order: dict[str, Any], sender: str) -> EmailMessage:
    """The verification e-mail for a stored order (the JSON as received)."""
    language = language_for(order["billing_address"]["country"])
    text = _env.get_template(f"{language}.txt").render(
        order_id=order["order_id"],
        name=order["customer"]["name"],
        amount=order["payment"]["amount"],
        currency=order["payment"]["currency"],
        placed=str(order["created_at"])[:10],
    )
    subject, _, body = text.partition("\n\n")
    message = EmailMessage()
    message["Subject"] = subject.removeprefix("Subject: ").strip()
    message["From"] = sender
    message["To"] = order["customer"]["email"]
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["Content-Language"] = language
    message.set_content(body)
    return message


def send(server: SmtpServer | None, message: EmailMessage, *, timeout: float = 15.0) -> None:
    """Hand the message to the SMTP server; :class:`MailFailed` says why it did not go."""
    if server is None:
        raise ConfigError("no SMTP server is configured (FRAUD_REVIEW_SMTP_HOST, _FROM)")
    try:
        with smtplib.SMTP(server.host, server.port, timeout=timeout) as smtp:
            if server.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if server.username and server.password:
                smtp.login(server.username, server.password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailFailed(f"the e-mail was not sent: {type(exc).__name__}: {exc}") from None
