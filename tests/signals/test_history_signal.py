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
