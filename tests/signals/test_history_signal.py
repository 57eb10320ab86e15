"""The history signal through the registry, as the pipeline runs it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from factories import make_order

from fraud.domain import Outcome
from fraud.history import MemoryHistory
from fraud.settings import Settings
from fraud.signals import Context, compute_signals, feature_catalogue
from fraud.signals.history import FEATURES

CONTRACT = {
    "account_age_days", "account_orders_1h", "account_orders_24h", "account_orders_30d",
    "account_distinct_cards_24h", "account_distinct_cards_30d", "account_distinct_ips_30d",
    "account_distinct_addresses_30d", "account_distinct_devices_30d", "ip_orders_1h",
    "ip_orders_24h", "ip_accounts_24h", "ip_accounts_30d", "email_accounts_30d",
    "phone_accounts_30d", "device_accounts_30d", "device_orders_24h", "address_accounts_30d",
    "card_accounts_30d", "card_orders_24h", "linked_fraud_weight", "linked_fraud_strong",
    "linked_refund_weight", "email_linked_fraud", "phone_linked_fraud", "account_addresses_1h",
    "account_prior_orders", "account_prior_paid_orders",
    "first_order_from_country", "amount_vs_account_median",
}  # fmt: skip
T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_the_history_signal_fills_exactly_the_contracted_features() -> None:
    assert {f.name for f in FEATURES} == CONTRACT
    catalogue = feature_catalogue()
    for name in CONTRACT:
        assert catalogue[name].signal == "history"
        assert len(catalogue[name].description) > 20


def test_without_a_history_view_the_signal_is_unavailable_and_its_features_empty() -> None:
    out = compute_signals(make_order(), Context(settings=Settings()))
    assert "history" in out.unavailable
    assert all(out.values[name] is None for name in CONTRACT)


def test_the_signal_sees_history_strictly_before_the_order() -> None:
    settings = Settings()
    past = make_order(created_at=(T0 - timedelta(minutes=30)).isoformat())
    order = make_order(created_at=T0.isoformat())
    later = make_order(created_at=(T0 + timedelta(minutes=1)).isoformat())
    history = MemoryHistory.from_orders(
        [past, order, later],
        [(past.order_id, Outcome.CHARGEBACK, T0 - timedelta(minutes=5))],
        fx_rates=settings.fx_rates,
    )
    out = compute_signals(order, Context(settings=settings, history=history))
    assert "history" not in out.unavailable
    assert out.values["account_orders_1h"] == 1
    assert out.values["device_orders_24h"] == 1
    assert out.values["linked_fraud_weight"] > 0
    assert out.values["linked_fraud_strong"] == 1  # same device and address: the fraudster's
    assert out.values["account_age_days"] > 365


_FORWARDER = {"street": "Kruisweg", "house_number": "829", "postal_code": "2131 JS",
              "city": "Hoofddorp", "country": "NL", "recipient": None}
_PRIVATE = {"street": "Lange Nieuwstraat", "house_number": "12", "postal_code": "3512 PH",
            "city": "Utrecht", "country": "NL", "recipient": None}


def _linked_through_address(shipping: dict) -> dict:
    """A stranger's order, charged back, shipped to ``shipping``; then an honest customer
    (another account, e-mail, phone, device, card and IP) ships there: only the address links."""
    settings = Settings()
    fraud = make_order(
        created_at=(T0 - timedelta(days=3)).isoformat(), shipping_address=shipping,
        customer={"account_id": "C-999", "email": "x9k2@mail.example", "phone": None},
        device_id="dev-fraud", ip_address="185.220.101.7",
        payment={"card_bin": "411111", "card_last4": "1111"})
    honest = make_order(created_at=T0.isoformat(), shipping_address=shipping)
    history = MemoryHistory.from_orders(
        [fraud, honest], [(fraud.order_id, Outcome.CHARGEBACK, T0 - timedelta(days=1))],
        fx_rates=settings.fx_rates)
    return compute_signals(honest, Context(settings=settings, history=history)).values


def test_a_known_forwarders_address_links_as_a_key_many_customers_share() -> None:
    """One reshipper's chargeback at a forwarder's warehouse must not make every honest
    customer who ships there look like the reshipper (a strong link forces review)."""
    private = _linked_through_address(_PRIVATE)
    forwarder = _linked_through_address(_FORWARDER)
    assert private["linked_fraud_strong"] == 1  # a drop address only these two used
    assert forwarder["shipping_is_forwarder"] is True
    assert forwarder["linked_fraud_strong"] == 0
    assert 0 < forwarder["linked_fraud_weight"] < private["linked_fraud_weight"] / 10
