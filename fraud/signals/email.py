"""E-mail signal: syntax, throw-away and free-mail domains, and how the local part
(before the @) looks: random characters, digits, or the customer's own name.

No DNS: deliverability checks would put the network on the scoring path.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from disposable_email_domains import blocklist as _DISPOSABLE
from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import DOT_ATOM_TEXT, EMAIL_MAX_LENGTH
from rapidfuzz import fuzz

from fraud.domain import Feature, FeatureValue
from fraud.keys import fold
from fraud.schema import Order
from fraud.signals import Context, Signal

FEATURES: tuple[Feature, ...] = (
    Feature("email_valid", "bool", "Whether the e-mail address is syntactically valid."),
    Feature("email_domain", "cat", "The part of the e-mail address after the @, lower-cased."),
    Feature(
        "email_is_disposable",
        "bool",
        "Whether the e-mail domain is a known throw-away (disposable) mailbox service.",
    ),
    Feature(
        "email_is_freemail",
        "bool",
        "Whether the e-mail domain is a free mail provider such as Gmail, Outlook, GMX or "
        "Ziggo, rather than a company's or the customer's own domain.",
    ),
    Feature(
        "email_local_digits",
        "num",
        "How many digits the part before the @ contains (e.g. 4 in 'devries1984').",
    ),
    Feature(
        "email_local_length",
        "num",
        "How many characters the part before the @ has, ignoring a '+tag'.",
    ),
    Feature(
        "email_local_entropy",
        "num",
        "Shannon entropy in bits per character of the part before the @: higher when many "
        "different characters are used; weak alone, telling with length and digits.",
    ),
    Feature(
        "email_local_consonant_run",
        "num",
        "Longest run of consecutive consonants before the @ ('xkqzvb' is 6); real names "
        "rarely exceed 4.",
    ),
    Feature(
        "email_name_similarity",
        "num",
        "How closely the part before the @ resembles the customer's name, 0 (not at all) to "
        "100 (e.g. 'sanne.devries', 's.de.vries' or 'devries1984' for Sanne de Vries).",
    ),
)

_CONSONANT_RUN = re.compile(r"[bcdfghjklmnpqrstvwxz]+")
_NOT_LETTER = re.compile(r"[^a-z]+")


@dataclass(frozen=True)
class EmailParts:
    """An address split into the parts the features look at."""

    local: str
    domain: str | None


def split_email(email: str) -> EmailParts:
    """Lower-cased local part without '+tag', and domain (``None`` without an @)."""
    local, at, domain = email.strip().lower().rpartition("@")
    if not at:
        return EmailParts(local=domain, domain=None)
    return EmailParts(local=local.split("+", 1)[0], domain=domain or None)


@cache
def freemail_domains() -> frozenset[str]:
    """The bundled free-mail list, loaded once."""
    text = resources.files("fraud.data").joinpath("freemail_domains.txt").read_text("utf-8")
    lines = (line.split("#", 1)[0].strip().lower() for line in text.splitlines())
    return frozenset(line for line in lines if line)


def _in_list(domain: str | None, domains: frozenset[str] | set[str]) -> bool:
    """The domain or any parent domain (mx.mailinator.com -> mailinator.com) is listed."""
    if not domain:
        return False
    labels = domain.split(".")
    return any(".".join(labels[i:]) in domains for i in range(len(labels) - 1))


@lru_cache(maxsize=4096)
def _domain_is_valid(domain: str) -> bool:
    """Domain syntax as email-validator sees it; few domains, so cached."""
    try:
        validate_email(f"x@{domain}", check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


@lru_cache(maxsize=16_384)
def email_is_valid(email: str) -> bool:
    """Syntax check by email-validator, without DNS.

    Most addresses are plain ASCII: for those email-validator itself accepts any
    dot-atom local part, so only the (cached) domain check is left to do.
    """
    local, at, domain = email.rpartition("@")
    if at and len(email) <= EMAIL_MAX_LENGTH and local.isascii() and DOT_ATOM_TEXT.match(local):
        return _domain_is_valid(domain)
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def shannon_entropy(text: str) -> float:
    """Bits per character of the character distribution in ``text``."""
    if not text:
        return 0.0
    n = len(text)
    # str.count over the distinct characters beats Counter on strings this short
    return -sum(c / n * math.log2(c / n) for c in (text.count(ch) for ch in set(text)))


def longest_consonant_run(text: str) -> int:
    """Length of the longest stretch of consonants (y counts as a vowel)."""
    return max((len(m) for m in _CONSONANT_RUN.findall(text)), default=0)


def _letters(text: str) -> str:
    """Lower-case ASCII letters only, accents dropped: 'Müller-1984' -> 'muller'."""
    if text.isascii():  # the common case, without fold()'s Unicode normalisation
        return _NOT_LETTER.sub("", text.lower())
    return _NOT_LETTER.sub("", fold(text))


@lru_cache(maxsize=16_384)
def _name_spellings(name: str) -> tuple[str, ...]:
    """Ways people write their name before the @: 'sannedevries', 'sdevries', 'devries'..."""
    words = [_letters(w) for w in name.split()]
    words = [w for w in words if w]
    if not words:
        return ()
    if len(words) == 1:
        return (words[0],)
    first, rest = words[0], "".join(words[1:])
    return (
        first + rest,
        rest + first,
        first[0] + rest,
        first + words[-1][0],
        first,
        rest,
        words[-1],
    )


def name_similarity(local: str, name: str) -> float:
    """0-100: best fuzzy match of the letters of ``local`` against spellings of ``name``."""
    letters = _letters(local)
    spellings = _name_spellings(name)
    if not letters or not spellings:
        return 0.0
    return round(max(fuzz.ratio(letters, s) for s in spellings), 1)


# Returning customers send the same address and name again and again.
@lru_cache(maxsize=16_384)
def email_features(email: str, name: str) -> tuple[tuple[str, FeatureValue], ...]:
    """All e-mail features of one address typed by one named customer."""
    parts = split_email(email)
    local = parts.local
    return (
        ("email_valid", email_is_valid(email)),
        ("email_domain", parts.domain),
        ("email_is_disposable", _in_list(parts.domain, _DISPOSABLE)),
        ("email_is_freemail", _in_list(parts.domain, freemail_domains())),
        ("email_local_digits", sum(c.isdigit() for c in local)),
        ("email_local_length", len(local)),
        ("email_local_entropy", round(shannon_entropy(local), 3)),
        ("email_local_consonant_run", longest_consonant_run(local)),
        ("email_name_similarity", name_similarity(local, name)),
    )


def compute(order: Order, ctx: Context) -> dict[str, FeatureValue]:
    return dict(email_features(order.customer.email, order.customer.name))


freemail_domains()

SIGNALS = [Signal("email", compute, FEATURES)]
