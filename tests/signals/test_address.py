from __future__ import annotations

import pytest
from factories import make_order

from fraud.errors import ConfigError
from fraud.settings import Settings
from fraud.signals import Context
from fraud.signals.address import FEATURES, compute, load_forwarders

CTX = Context(settings=Settings(_env_file=None))

UTRECHT = {
    "street": "Oudegracht",
    "house_number": "158",
    "postal_code": "3511 AZ",
    "city": "Utrecht",
    "country": "NL",
    "recipient": None,
}


def address_features(ctx: Context = CTX, shipping_method: str = "standard", **shipping) -> dict:
    order = make_order(shipping_address={**UTRECHT, **shipping}, shipping_method=shipping_method)
    return compute(order, ctx)


def test_same_address_written_differently_is_not_a_different_shipping_address():
    f = address_features(street="oudegracht ", house_number="158", postal_code="3511az")
    assert f["shipping_differs_from_billing"] is False
    assert f["billing_shipping_distance_km"] == 0.0


def test_shipping_to_brussels_differs_in_country_and_distance():
    f = address_features(
        street="Rue Neuve", house_number="30", postal_code="1000", city="Bruxelles", country="BE"
    )
    assert f["shipping_differs_from_billing"] and f["shipping_country_differs_from_billing"]
    assert f["shipping_country"] == "BE" and f["shipping_city"] == "Bruxelles"
    assert 100 < f["billing_shipping_distance_km"] < 200


def test_postal_code_must_match_city_in_nl():
    assert address_features(city="Amsterdam")["shipping_postal_city_consistent"] is False
    assert address_features()["shipping_postal_city_consistent"] is True


def test_malformed_dutch_postal_code_is_invalid():
    f = address_features(postal_code="351 AZ")
    assert f["shipping_postal_code_valid"] is False
    assert f["billing_postal_code_valid"] is True


def test_known_forwarder_warehouse_is_recognised_with_a_suite_number():
    f = address_features(
        street="Am Alten Flugplatz",
        house_number="12-MG4711",
        postal_code="99094",
        city="Erfurt",
        country="DE",
    )
    assert f["shipping_is_forwarder"] is True


def test_forwarder_recognised_by_name_in_the_recipient():
    f = address_features(recipient="Jan Jansen c/o Shipito", street="Kerkstraat", house_number="4")
    assert f["shipping_is_forwarder"] is True


def test_ordinary_home_address_is_not_a_forwarder_pickup_point_or_po_box():
    f = address_features()
    assert not f["shipping_is_forwarder"]
    assert not f["shipping_is_pickup_point"]
    assert not f["shipping_is_po_box"]


def test_saint_in_a_french_street_is_not_a_forwarder_marker():
    f = address_features(
        street="Rue Ste-Catherine",
        house_number="8",
        postal_code="59000",
        city="Lille",
        country="FR",
    )
    assert f["shipping_is_forwarder"] is False


@pytest.mark.parametrize(
    ("street", "postal_code", "city", "country"),
    [
        ("DHL Packstation 112", "10969", "Berlin", "DE"),
        ("PostNL punt Primera", "3511 AZ", "Utrecht", "NL"),
        ("Point Relais Tabac du Centre", "75015", "Paris", "FR"),
        ("Bpost point Carrefour", "2000", "Antwerpen", "BE"),
    ],
)
def test_pickup_points_are_recognised_in_each_country(street, postal_code, city, country):
    f = address_features(
        street=street, postal_code=postal_code, city=city, country=country, house_number=None
    )
    assert f["shipping_is_pickup_point"] is True


def test_pickup_point_shipping_method_counts_as_pickup_point():
    assert address_features(shipping_method="pickup_point")["shipping_is_pickup_point"] is True


@pytest.mark.parametrize(
    ("street", "house_number", "postal_code", "city", "country"),
    [
        ("Postbus", "1234", "3500 AA", "Utrecht", "NL"),
        ("Postfach 10 11 12", None, "10969", "Berlin", "DE"),
        ("BP 45", None, "59000", "Lille", "FR"),
        ("Boîte postale 7", None, "75015", "Paris", "FR"),
        ("PO Box 88", None, "1000", "Bruxelles", "BE"),
    ],
)
def test_po_boxes_are_recognised(street, house_number, postal_code, city, country):
    f = address_features(
        street=street,
        house_number=house_number,
        postal_code=postal_code,
        city=city,
        country=country,
    )
    assert f["shipping_is_po_box"] is True


def test_user_forwarder_file_is_added_to_the_bundled_list(tmp_path):
    extra = tmp_path / "forwarders.yaml"
    extra.write_text(
        "forwarders:\n"
        "  - name: Garage Doorsturen Venlo\n"
        "    country: NL\n"
        "    postal_code: 5912 AA\n"
        "    street: Parade\n"
        "    house_number: '7'\n",
        encoding="utf-8",
    )
    ctx = Context(settings=Settings(_env_file=None, forwarders_path=extra))
    f = address_features(ctx, street="Parade", house_number="7", postal_code="5912AA", city="Venlo")
    assert f["shipping_is_forwarder"] is True
    # the bundled entries still apply
    assert (
        load_forwarders(extra).forwarder(
            make_order(
                shipping_address={**UTRECHT, "recipient": "MyUS customer 4411"}
            ).shipping_address
        )
        is not None
    )


def test_broken_user_forwarder_file_is_refused_with_its_name(tmp_path):
    extra = tmp_path / "forwarders.yaml"
    extra.write_text("forwarders: [ {country: NL", encoding="utf-8")
    with pytest.raises(ConfigError, match="forwarders.yaml"):
        load_forwarders(extra)


def test_address_features_fill_exactly_the_declared_features():
    assert set(address_features()) == {feat.name for feat in FEATURES}


def test_every_address_feature_has_a_sentence_for_reviewers():
    for feat in FEATURES:
        assert feat.description.endswith(".") and len(feat.description.split()) >= 5, feat.name
