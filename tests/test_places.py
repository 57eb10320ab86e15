from __future__ import annotations

import pytest

from fraud.geo import haversine_km
from fraud.places import (
    localities,
    locate,
    postal_city_consistent,
    postal_code_valid,
    same_city,
)


@pytest.mark.parametrize(
    ("country", "code"),
    [
        ("NL", "3511 AZ"),
        ("NL", "2595aa"),
        ("BE", "2000"),
        ("DE", "01067"),
        ("DE", "10969"),
        ("FR", "75015"),
        ("FR", "13001"),
    ],
)
def test_real_postal_codes_have_a_valid_format(country, code):
    assert postal_code_valid(country, code)


@pytest.mark.parametrize(
    ("country", "code"),
    [
        ("NL", "3511"),
        ("NL", "0123 AB"),
        ("BE", "10000"),
        ("DE", "1067"),
        ("FR", "7501"),
        ("FR", "ABCDE"),
    ],
)
def test_malformed_postal_codes_are_invalid(country, code):
    assert not postal_code_valid(country, code)


def test_dutch_postal_code_is_matched_on_its_four_digits():
    assert [loc.name for loc in localities("NL", "3511 AZ")] == ["Utrecht"]
    assert localities("NL", "3511 AZ") == localities("NL", "3511")


@pytest.mark.parametrize(
    ("country", "code", "city"),
    [
        ("NL", "2511 CV", "Den Haag"),
        ("NL", "2511 CV", "'s-Gravenhage"),
        ("BE", "2000", "Anvers"),
        ("BE", "1000", "Brussel"),
        ("DE", "80331", "Muenchen"),
        ("DE", "60549", "Frankfurt"),
        ("FR", "75015", "PARIS 15E"),
        ("FR", "42000", "Saint-Étienne"),
        ("FR", "13001", "Marseille Cedex 01"),
    ],
)
def test_postal_code_matches_city_across_spellings_and_languages(country, code, city):
    assert postal_city_consistent(country, code, city) is True


@pytest.mark.parametrize(
    ("country", "code", "city"),
    [
        ("NL", "3511 AZ", "Rotterdam"),
        ("BE", "9000", "Liège"),
        ("DE", "80331", "Hamburg"),
        ("FR", "13001", "Lyon"),
    ],
)
def test_postal_code_in_another_city_is_inconsistent(country, code, city):
    assert postal_city_consistent(country, code, city) is False


def test_unknown_postal_code_or_country_cannot_be_judged():
    # 1001 is a PO-box range, not in the postal data
    assert postal_city_consistent("NL", "1001 AB", "Utrecht") is None
    assert postal_city_consistent("LU", "1009", "Luxembourg") in (True, None)


def test_same_city_tolerates_a_typo_but_not_another_town():
    assert same_city("NL", "Amsterdm", "Amsterdam")
    assert not same_city("NL", "Amstelveen", "Amsterdam")


def test_belgian_postal_code_is_placed_precisely():
    place = locate("BE", "2000", "Antwerpen")
    assert place.precision == "postal_code"
    assert haversine_km(place.lat, place.lon, 51.2194, 4.4025) < 5


def test_dutch_postal_code_is_placed_at_its_city():
    place = locate("NL", "2595 AA", "Den Haag")
    assert place.precision == "city"
    assert haversine_km(place.lat, place.lon, 52.0705, 4.3007) < 10


def test_small_village_falls_back_to_its_region():
    # Roissy-en-France (95700) is below geonames' 15,000-inhabitant cut, so the
    # Val-d'Oise department is the best we can say
    place = locate("FR", "95700", "Roissy-en-France")
    assert place.precision == "region"
    assert haversine_km(place.lat, place.lon, 49.0, 2.5) < 50


def test_unknown_postal_code_and_town_fall_back_to_the_country():
    place = locate("DE", "99999", "Kleinhausen am See")
    assert place.precision == "country"
    assert 47 < place.lat < 55 and 6 < place.lon < 15


def test_country_without_any_data_has_no_place():
    assert locate("AQ", None, "McMurdo").precision is None


def test_countries_whose_postal_data_lacks_localities_still_load():
    from fraud.places import postal_code_valid

    # The US file has rows without a locality name; they must not break the country.
    assert isinstance(postal_code_valid("US", "10001"), bool)
