from decimal import Decimal

import pytest
from factories import guest, make_order

from fraud.money import amount_eur
from fraud.settings import Settings
from fraud.signals import Context
from fraud.signals.basket import category_key, compute, is_high_resale

SETTINGS = Settings(_env_file=None)
CTX = Context(settings=SETTINGS)


def item(sku, category, unit_price, quantity=1):
    return {"sku": sku, "category": category, "unit_price": unit_price, "quantity": quantity}


def basket_features(**overrides):
    return compute(make_order(**overrides), CTX)


def address(postal_code, city, country):
    return {"street": "Hauptstraße", "house_number": "5", "postal_code": postal_code,
            "city": city, "country": country}


def test_euro_amount_is_taken_as_is():
    order = make_order(payment={"amount": "249.90", "currency": "EUR"})
    assert amount_eur(order, SETTINGS.fx_rates) == pytest.approx(249.90)


def test_foreign_amount_is_converted_with_the_configured_rate():
    order = make_order(payment={"amount": "100.00", "currency": "GBP"})
    assert amount_eur(order, {"EUR": Decimal(1), "GBP": Decimal("1.17")}) == pytest.approx(117.0)


def test_currency_without_a_rate_gives_unknown_amounts():
    values = basket_features(payment={"amount": "15000.00", "currency": "JPY"})
    assert values["amount_eur"] is None
    assert values["max_unit_price_eur"] is None


def test_counts_articles_by_quantity_and_products_by_sku():
    values = basket_features(items=[
        item("BRK-PAD-2231", "brakes", "49.95", 2),
        item("BRK-DSC-1180", "brakes", "89.00", 2),
        item("BRK-PAD-2231", "brakes", "49.95", 1),
    ])
    assert values["item_count"] == 5
    assert values["distinct_skus"] == 2
    assert values["max_unit_price_eur"] == pytest.approx(89.00)


def test_high_resale_share_is_the_value_share_of_easily_resold_parts():
    values = basket_features(items=[
        item("CAT-VAG-0931", "Catalytic Converters", "600.00"),
        item("OIL-FLT-0412", "filters", "12.50", 4),
        item("WIP-BOS-600", "wipers", "150.00"),
    ])
    assert values["high_resale_share"] == pytest.approx(600 / 800)


def test_ordinary_maintenance_parts_have_no_high_resale_share():
    assert basket_features()["high_resale_share"] == 0


@pytest.mark.parametrize(
    "category",
    ["LED-Headlights", "led headlight", " led_headlights ", "ECU", "Alloy Wheels",
     "catalytic-converter", "Navigation", "Scheinwerfer", "Motorsteuergerät", "velgen",
     "diagnostic tools", "Turbochargers"],
)
def test_shop_categories_match_the_list_whatever_their_spelling(category):
    assert is_high_resale(category)


@pytest.mark.parametrize("category", ["brakes", "filters", "wiper blades", "engine oil", "bulbs"])
def test_everyday_categories_are_not_high_resale(category):
    assert not is_high_resale(category)


def test_category_key_folds_case_separators_and_plural():
    assert category_key("LED-Headlights") == category_key("led headlight") == "led_headlight"
    assert category_key("Glass") == "glass"


def test_card_from_another_country_than_billing_is_a_mismatch():
    values = basket_features(payment={"card_country": "US"})
    assert values["card_country"] == "US"
    assert values["card_country_matches_billing"] is False


def test_ideal_payment_without_card_country_leaves_the_match_unknown():
    values = basket_features(payment={
        "method": "ideal", "card_bin": None, "card_last4": None, "card_country": None,
        "three_ds": None,
    })
    assert values["payment_method"] == "ideal"
    assert values["card_country"] is None
    assert values["card_country_matches_billing"] is None
    assert values["three_ds"] is None


def test_failed_three_d_secure_is_reported():
    assert basket_features(payment={"three_ds": "failed"})["three_ds"] == "failed"


@pytest.mark.parametrize(
    ("method", "express", "pickup"),
    [("standard", False, False), ("express", True, False), ("pickup_point", False, True),
     ("store_pickup", False, False)],
)
def test_shipping_method_flags(method, express, pickup):
    values = basket_features(shipping_method=method)
    assert values["shipping_method"] == method
    assert values["shipping_express"] is express
    assert values["shipping_to_pickup"] is pickup


def test_guest_checkout_is_flagged_and_account_order_is_not():
    assert basket_features(**guest())["is_guest"] is True
    assert basket_features()["is_guest"] is False


def test_order_hour_is_read_in_the_billing_countrys_time_zone():
    # 01:30 UTC in winter is 02:30 in Amsterdam: a night order there.
    values = basket_features(created_at="2026-11-25T01:30:00Z")
    assert values["order_hour_local"] == 2
    assert values["is_night_order"] is True


def test_summer_time_is_applied():
    # 04:30 UTC in July is 06:30 in Berlin (CEST): morning, not night.
    berlin = address("10115", "Berlin", "DE")
    values = basket_features(created_at="2026-07-14T04:30:00Z", billing_address=berlin,
                             shipping_address=berlin)
    assert values["order_hour_local"] == 6
    assert values["is_night_order"] is False


def test_unmapped_billing_country_is_read_in_utc():
    us = {"street": "Main Street", "house_number": "1", "postal_code": "10001",
          "city": "New York", "country": "US"}
    values = basket_features(created_at="2026-11-25T23:30:00-05:00", billing_address=us)
    assert values["order_hour_local"] == 4
    assert values["is_night_order"] is True


def test_afternoon_order_in_paris_is_not_at_night():
    paris = address("75011", "Paris", "FR")
    values = basket_features(created_at="2026-11-25T14:03:00+01:00", billing_address=paris)
    assert values["order_hour_local"] == 14
    assert values["is_night_order"] is False
