
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


def test_every_phone_feature_is_filled_with_its_declared_kind():
    from fraud.signals.phone import FEATURES as DECLARED
    from fraud.signals.phone import compute as compute_phone

    values = compute_phone(make_order(), CTX)
    assert set(values) == {f.name for f in DECLARED}
    allowed = {"bool": (bool,), "num": (int, float), "cat": (str,), "text": (str,)}
    for feature in DECLARED:
        value = values[feature.name]
        assert value is None or isinstance(value, allowed[feature.kind]), feature.name
        if feature.kind == "num":
            assert not isinstance(value, bool), feature.name


@pytest.mark.parametrize(
    "raw",
    ["+31612345678", "0612345678", "+3120123456", "+32470123456", "+3247012345",
     "+33612345678", "+331234", "+4915123456789", "+49123", "+352621123456", "+41791234567",
     "+1 202 555 0143", "+800 1234 5678", "+31 6 1234 567"],
)
def test_validity_agrees_with_phonenumbers_is_valid_number(raw):
    import phonenumbers

    from fraud.signals.phone import check_phone

    expected = phonenumbers.is_valid_number(phonenumbers.parse(raw, "NL"))
    assert check_phone(raw, "NL").valid is expected
