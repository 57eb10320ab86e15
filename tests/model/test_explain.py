"""Model reasons: SHAP values as score points, and plain words for every feature."""

from __future__ import annotations

import numpy as np
import pytest
from tinymodel import shared_sample, write_model

from fraud.features import model_feature_names
from fraud.model.explain import (
    PHRASES,
    format_points,
    model_reasons,
    phrase,
    points_from_contributions,
    reason_message,
)
from fraud.model.serving import ServedModel
from fraud.signals import feature_catalogue


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> ServedModel:
    folder = write_model(tmp_path_factory.mktemp("models"), shared_sample(), version="explain")
    return ServedModel.load(folder)


@pytest.fixture(scope="module")
def risky_rows(model: ServedModel) -> list[dict]:
    frame = shared_sample().frame
    order = np.argsort(-model.predict_frame(frame))[:20]
    rows = frame.iloc[order].astype(object).to_dict("records")
    return [{k: (None if v != v else v) for k, v in row.items()} for row in rows]


def test_points_add_up_to_the_models_points_beyond_an_average_order(model, risky_rows) -> None:
    for features in risky_rows:
        row = model.encode_one(features)
        contrib = model.contributions_one(row)
        points = points_from_contributions(contrib[:-1], contrib[-1], model.link)
        probability = float(model.calibration(model.raw_one(row)))
        base = float(model.link(contrib[-1]))
        assert points.sum() == pytest.approx(100 * (probability - base), abs=1e-6)
        assert np.all(
            np.sign(points[contrib[:-1] != 0]) == np.sign(contrib[:-1][contrib[:-1] != 0])
        )


def test_points_use_the_calibration_slope_when_the_order_is_average() -> None:
    def link(m):  # noqa: ANN001, ANN202
        return np.interp(m, [-1.0, 1.0], [0.0, 0.5])

    points = points_from_contributions(np.array([0.2, -0.2]), 0.0, link)
    assert points == pytest.approx([100 * 0.25 * 0.2, -100 * 0.25 * 0.2])


def test_reasons_are_the_top_positive_contributors_largest_first(model, risky_rows) -> None:
    probability, reasons = model.predict_one(risky_rows[0])
    assert probability > 0.5
    assert 0 < len(reasons) <= model.max_reasons
    assert all(r.source == "model" and r.points >= model.min_points for r in reasons)
    assert [r.points for r in reasons] == sorted((r.points for r in reasons), reverse=True)
    assert all(r.value == risky_rows[0].get(r.code) for r in reasons)
    assert all(r.message.endswith("points)") or r.message.endswith("point)") for r in reasons)


def test_only_features_that_raise_the_score_become_reasons() -> None:
    reasons = model_reasons(
        ["a", "b", "c", "d"], [1, 2, 3, 4], [5.0, -9.0, 0.4, 12.0], top=5, min_points=1.0
    )
    assert [r.code for r in reasons] == ["d", "a"]
    assert model_reasons(["a", "b"], [1, 2], [5.0, 4.0], top=1)[0].code == "a"


def test_a_low_probability_order_costs_no_explanation(model) -> None:
    frame = shared_sample().frame
    safest = frame.iloc[int(np.argmin(model.predict_frame(frame)))].astype(object).to_dict()
    probability, reasons = model.predict_one(
        {k: (None if v != v else v) for k, v in safest.items()}
    )
    assert 100 * probability < model.min_points
    assert reasons == []


def test_account_age_reads_as_in_the_issue() -> None:
    assert (
        reason_message("account_age_days", 3 / 1440, 18.2)
        == "Account created 3 minutes before the order (+18 points)"
    )
    assert phrase("account_age_days", 800) == "Account created 2 years before the order"
    assert phrase("account_age_days", 3.5) == "Account created 3 days before the order"
    assert format_points(1.2) == "+1 point"


def test_messages_name_places_from_display_features() -> None:
    features = {"ip_country_name": "Romania", "billing_city": "Utrecht"}
    assert phrase("ip_country", "RO", features=features) == "IP address located in Romania"
    assert (
        phrase("ip_billing_distance_km", 1840.4, features=features)
        == "IP address 1,840 km from the billing address in Utrecht"
    )


def test_bool_phrases_say_what_the_value_means() -> None:
    assert phrase("phone_present", False) == "No phone number given"
    assert phrase("ua_is_headless", True) == "Headless browser or script"
    assert phrase("first_order_from_country", None) == "No earlier orders of this account"


def test_coded_values_and_scores_read_as_words_not_raw_values() -> None:
    from fraud.schema import ThreeDSResult

    for result in ThreeDSResult:
        assert "_" not in phrase("three_ds", result.value)
    assert phrase("three_ds", "not_enrolled") == "Card not enrolled in 3-D Secure"
    assert phrase("email_name_similarity", 0.0) == (
        "E-mail address looks nothing like the customer's name (similarity 0 of 100)")
    assert "looks like" in phrase("email_name_similarity", 92.4)


@pytest.mark.parametrize("name", model_feature_names())
def test_every_model_feature_has_plain_words_for_any_value(name: str) -> None:
    feature = feature_catalogue()[name]
    values = {"num": [0, 3, 17.25], "bool": [True, False], "cat": ["NL", "card"]}[feature.kind]
    for value in [*values, None]:
        words = phrase(name, value, feature.description)
        assert words and (words[0].isupper() or words[0].isdigit()), words
        assert not words.lower().startswith("whether")
        assert name not in words  # never the code name in a message
    if feature.kind != "num":
        assert name in PHRASES, f"{name}: a {feature.kind} feature needs a phrase"
