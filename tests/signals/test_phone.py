
import pytest
from factories import make_order

from fraud.settings import Settings
from fraud.signals import Context
from fraud.signals.phone import FEATURES, compute

CTX = Context(settings=Settings(_env_file=None))


def phone_features(phone, billing_country="NL", postal_code="3511 AZ", city="Utrecht"):
    address = {"postal_code": postal_code, "city": city, "country": billing_country}
    order = make_order(
        customer={"phone": phone}, billing_address=address, shipping_address=address
    )
    return compute(order, CTX)


def test_missing_phone_is_unknown_not_suspicious():
    values = phone_features(None)
    assert values["phone_present"] is False
    # Every other phone feature is "unknown", so no rule can fire on absence alone.
    assert all(values[f.name] is None for f in FEATURES if f.name != "phone_present")


def test_missing_phone_is_described_as_normal():
    description = next(f.description for f in FEATURES if f.name == "phone_present")
    assert "optional" in description and "not suspicious" in description


@pytest.mark.parametrize(
    ("phone", "country", "postal_code", "city"),
    [
        ("06-12345678", "NL", "1017 CT", "Amsterdam"),
        ("+31 6 1234 5678", "NL", "3511 AZ", "Utrecht"),
        ("0031612345678", "NL", "3511 AZ", "Utrecht"),
        ("0470 12 34 56", "BE", "2000", "Antwerpen"),
        ("+32 470 12 34 56", "BE", "1000", "Bruxelles"),
        ("0151 23456789", "DE", "50667", "Köln"),
        ("+49 1512 3456789", "DE", "10115", "Berlin"),
        ("06 12 34 56 78", "FR", "75011", "Paris"),
        ("+33 6 12 34 56 78", "FR", "69002", "Lyon"),
    ],
)
def test_local_mobile_number_is_valid_and_matches_billing_country(
    phone, country, postal_code, city
):
    values = phone_features(phone, country, postal_code, city)
    assert values["phone_present"] is True
    assert values["phone_valid"] is True
    assert values["phone_country"] == country
    assert values["phone_country_matches_billing"] is True
    assert values["phone_line_type"] == "mobile"


def test_german_mobile_on_dutch_billing_address_is_a_country_mismatch():
    values = phone_features("+49 151 23456789")
    assert values["phone_valid"] is True
    assert values["phone_country"] == "DE"
    assert values["phone_country_matches_billing"] is False


@pytest.mark.parametrize(
    ("phone", "line_type"),
    [
        ("030 123 4567", "fixed_line"),  # Utrecht landline
        ("020 555 1234", "fixed_line"),  # Amsterdam landline
        ("085 123 4567", "voip"),
        ("0800 1234", "toll_free"),
        ("0900 1234567", "premium_rate"),
    ],
)
def test_dutch_line_types_are_recognised(phone, line_type):
    assert phone_features(phone)["phone_line_type"] == line_type


def test_too_short_national_number_is_invalid_with_unknown_country():
    values = phone_features("12345")
    assert values["phone_present"] is True
    assert values["phone_valid"] is False
    # Read in the billing country only by assumption, so no country claim is made.
    assert values["phone_country"] is None
    assert values["phone_country_matches_billing"] is None
    assert values["phone_line_type"] is None


def test_invalid_number_keeps_the_country_code_the_customer_dialled():
    values = phone_features("+49 123")
    assert values["phone_valid"] is False
    assert values["phone_country"] == "DE"
    assert values["phone_country_matches_billing"] is False


def test_text_that_is_not_a_number_is_invalid():
    values = phone_features("geen telefoon")
    assert values["phone_valid"] is False
    assert values["phone_country"] is None
