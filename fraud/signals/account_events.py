"""Account events signal: what happened to the account just before it ordered.

Reads ``ctx.events`` (a :class:`fraud.events.history.EventsView`: the store's online,
one built from an events file in batch) as of the order's own ``created_at``; the
features are the pure functions in :mod:`fraud.events.features`. A guest order, or a
context without events, leaves them empty: no events is not a reason to suspect anyone,
so the signal needs no resource and is never reported unavailable for lack of one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fraud.domain import Feature, FeatureValue
from fraud.events.features import EMPTY, OrderFacts, event_features, read_events
from fraud.keys import order_keys
from fraud.signals import Context, Signal
from fraud.times import utc

if TYPE_CHECKING:
    from fraud.schema import Order

_EMPTY = "empty for a guest or when the account has no such event in the 90 days before"


def _f(name: str, kind: str, description: str) -> Feature:
    return Feature(name, kind, description)  # type: ignore[arg-type]


FEATURES = (
    _f("minutes_since_address_change", "num",
       f"Minutes since the account added or changed a delivery address; {_EMPTY}."),
    _f("address_change_words", "text",
       "That change in words, for reasons: 'Delivery address added' or 'Delivery address "
       "changed'."),
    _f("ships_to_changed_address", "bool",
       "Whether the order ships to an address the account added or changed in the 90 days "
       "before; empty when it changed none."),
    _f("minutes_since_password_change", "num",
       f"Minutes since a password reset was requested or the password changed; {_EMPTY}."),
    _f("password_change_words", "text",
       "That change in words, for reasons: 'Password reset' or 'Password changed'."),
    _f("minutes_since_contact_change", "num",
       f"Minutes since the account's e-mail address or phone number changed; {_EMPTY}."),
    _f("contact_change_words", "text",
       "That change in words, for reasons: 'E-mail address changed' or 'Phone number "
       "changed'."),
    _f("minutes_since_account_change", "num",
       "Minutes since the latest change of delivery address, password, e-mail or phone; "
       f"{_EMPTY}."),
    _f("account_change_words", "text", "The latest account change in words, for reasons."),
    _f("account_changes_24h", "num",
       "Changes of delivery address, password, e-mail or phone in the 24 hours before the "
       "order; empty for a guest."),
    _f("account_change_foreign", "bool",
       "Whether an account change of the 24 hours before the order came from another "
       "country than the one the account usually logs in from; empty without such a "
       "change, a placed IP or earlier logins."),
    _f("foreign_change_words", "text",
       "The first such change from another country in words, for reasons."),
    _f("minutes_since_foreign_change", "num",
       "Minutes since the first account change of the 24 hours before that came from "
       "another country than the usual one; empty without one."),
    _f("account_change_country", "text",
       "Country (ISO code) that change from another country came from."),
    _f("usual_login_country", "text",
       "Country (ISO code) most of the account's successful logins came from, before the "
       "24 hours before the order."),
    _f("first_login_from_device", "bool",
       "Whether the order's device never logged in to the account before the 24 hours "
       "before the order, while other devices did; empty without a device id or earlier "
       "logins."),
    _f("failed_logins_1h", "num",
       "Failed logins to the account in the hour before the order; empty for a guest."),
    _f("new_country_login_24h", "bool",
       "Whether the account logged in, in the 24 hours before the order, from a country it "
       "never logged in from before; empty without earlier logins."),
    _f("new_login_country", "text",
       "Country (ISO code) of that login from a new country, for reasons."),
)

def compute(order: Order, ctx: Context) -> dict[str, FeatureValue]:
    account = order.customer.account_id
    if ctx.events is None or account is None:
        return dict(EMPTY)
    keys = ctx.order_keys or order_keys(order)
    facts = OrderFacts(account, utc(order.created_at), keys.device, keys.address)
    return event_features(facts, read_events(ctx.events, facts))


SIGNALS = [Signal("account_events", compute, FEATURES)]
