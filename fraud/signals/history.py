"""History signal: what this account, and anything linked to this order, did before.

Reads ``ctx.history`` (a :class:`fraud.history.HistoryView`) as of the order's
own ``created_at``; the features themselves are the pure functions in
:mod:`fraud.history`, shared by online and batch scoring.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from fraud.domain import Feature, FeatureValue
from fraud.history import WINDOW, HistoryView, history_features
from fraud.keys import order_keys
from fraud.money import amount_eur
from fraud.monitoring.stages import timed
from fraud.signals import Context, Signal

if TYPE_CHECKING:
    from fraud.schema import Order

_ACCOUNTS = "distinct other accounts (a guest checkout counts as the account of its e-mail)"
_LINKED = "Earlier orders sharing the account, IP, e-mail, phone, device, address or card"
_EMPTY = "empty without"
_WEIGHED = (
    "who controls the linking key (a fraudster: shipping address, device, e-mail, phone; "
    "a victim's identity: card, account, IP), how many customers share it (a known parcel "
    "forwarder's or pick-up point's address counts as shared by many) and how long "
    "ago the linked order was (half-life 90 days)"
)


def _f(name: str, kind: str, description: str) -> Feature:
    return Feature(name, kind, description)  # type: ignore[arg-type]


FEATURES = (
    _f("account_age_days", "num", "Days since the account was created; empty for a guest."),
    _f("account_orders_1h", "num", "Orders by the same account in the hour before this one."),
    _f("account_orders_24h", "num", "Orders by the same account in the 24 hours before."),
    _f("account_orders_30d", "num", "Orders by the same account in the 30 days before."),
    _f("account_distinct_cards_24h", "num", "Cards the account used in the 24 hours before."),
    _f("account_distinct_cards_30d", "num", "Cards the account used in the 30 days before."),
    _f("account_distinct_ips_30d", "num", "IP addresses the account used in the 30 days before."),
    _f(
        "account_distinct_addresses_30d",
        "num",
        "Shipping addresses the account used in the 30 days before.",
    ),
    _f("account_distinct_devices_30d", "num", "Devices the account used in the 30 days before."),
    _f("ip_orders_1h", "num", "Orders from the same IP, any account, in the hour before."),
    _f("ip_orders_24h", "num", "Orders from the same IP, any account, in the 24 hours before."),
    _f("ip_accounts_24h", "num", f"Same IP in the 24 hours before: {_ACCOUNTS}."),
    _f("ip_accounts_30d", "num", f"Same IP in the 30 days before: {_ACCOUNTS}."),
    _f("email_accounts_30d", "num", f"Same e-mail in the 30 days before: {_ACCOUNTS}."),
    _f("phone_accounts_30d", "num", f"Same phone in 30 days: {_ACCOUNTS}; {_EMPTY} a phone."),
    _f("device_accounts_30d", "num", f"Same device in 30 days: {_ACCOUNTS}; {_EMPTY} a device."),
    _f("device_orders_24h", "num", f"Orders from the same device in 24 hours; {_EMPTY} a device."),
    _f("address_accounts_30d", "num", f"Same shipping address in 30 days: {_ACCOUNTS}."),
    _f(
        "card_accounts_30d",
        "num",
        f"Same card in the 30 days before: {_ACCOUNTS}; {_EMPTY} a card.",
    ),
    _f(
        "card_orders_24h",
        "num",
        f"Orders with the same card in the 24 hours before; {_EMPTY} a card.",
    ),
    _f(
        "linked_fraud_weight",
        "num",
        f"{_LINKED} with a chargeback or confirmed fraud known before this order, each "
        f"weighed by {_WEIGHED}; about 1 for one recent link through a key only this "
        "customer used.",
    ),
    _f(
        "linked_fraud_strong",
        "num",
        "Earlier orders with a chargeback or confirmed fraud linked through a key the "
        "fraudster controls (shipping address, device, or e-mail or phone of another "
        "account) that few customers share, recently.",
    ),
    _f(
        "linked_refund_weight",
        "num",
        f"{_LINKED} refunded before this order, weighed like linked_fraud_weight.",
    ),
    _f(
        "email_linked_fraud",
        "num",
        "Earlier orders of another account or guest with the same e-mail address that "
        "ended in a chargeback or confirmed fraud known before this order.",
    ),
    _f(
        "phone_linked_fraud",
        "num",
        "Earlier orders of another account or guest with the same phone number that ended "
        f"in a chargeback or confirmed fraud known before this order; {_EMPTY} a phone.",
    ),
    _f(
        "account_addresses_1h",
        "num",
        "Different shipping addresses of the account in the hour up to and including this "
        "order (1 for an ordinary order); empty for a guest.",
    ),
    _f("account_prior_orders", "num", "All earlier orders of the account; empty for a guest."),
    _f(
        "account_prior_paid_orders",
        "num",
        "Earlier orders of the account known to be paid before this one; empty for a guest.",
    ),
    _f(
        "first_order_from_country",
        "bool",
        "The account ordered before but never shipped to this country; empty for a first order.",
    ),
    _f(
        "amount_vs_account_median",
        "num",
        "Amount in EUR divided by the median of the account's earlier orders; empty without any.",
    ),
)


def compute(order: Order, ctx: Context) -> Mapping[str, FeatureValue]:
    """History features of ``order`` as of its own ``created_at``."""
    keys = ctx.order_keys if ctx.order_keys is not None else order_keys(order)
    history: HistoryView | None = ctx.history
    if history is None:  # the registry skips a signal whose required resource is missing
        raise ValueError("the history signal needs ctx.history")
    with timed("history"):
        snapshot = history.lookup(keys, before=order.created_at, since=order.created_at - WINDOW)
    amount = amount_eur(order, ctx.settings.fx_rates)
    return history_features(order, keys, amount, snapshot, shared_places(order, ctx))


def shared_places(order: Order, ctx: Context) -> frozenset[str]:
    """``{"address"}`` when the order ships to a known parcel forwarder or pick-up point,
    whose address many customers share however few of them this shop has seen."""
    from fraud.schema import ShippingMethod
    from fraud.signals.address import load_forwarders

    forwarders = load_forwarders(ctx.settings.forwarders_path)
    shipping = order.shipping_address
    if order.shipping_method == ShippingMethod.PICKUP_POINT or \
            forwarders.forwarder(shipping) is not None or forwarders.is_pickup_point(shipping):
        return frozenset({"address"})
    return frozenset()


SIGNALS = [Signal("history", compute, FEATURES, requires=("history",))]
