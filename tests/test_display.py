"""Analysis tables read as people write figures: 40 %, €1,249, 40, not 0.400000."""

from __future__ import annotations

import pandas as pd

from fraud.analysis.display import euros, number, percent, styled


def test_shares_read_as_percentages_with_more_places_when_small():
    assert percent(0.4) == "40.0%"
    assert percent(0.004) == "0.40%"
    assert percent(float("nan")) == "–"


def test_whole_numbers_have_no_decimals_and_money_is_in_euros():
    assert number(40.0) == "40"
    assert number(101) == "101"
    assert number(0.12345) == "0.123"
    assert number("2026-11-26.1") == "2026-11-26.1"
    assert euros(1249.0) == "€1,249"


def test_a_threshold_table_shows_thresholds_rates_and_costs_as_people_write_them():
    table = pd.DataFrame({"review_threshold": [40.0, 75.0], "decline_threshold": [80.0, 101.0],
                          "review_rate": [0.0189, 0.4], "recall": [0.5, 0.25],
                          "cost_eur": [1234.5, 99.0]})
    html = styled(table).to_html()
    for shown in ("40", "101", "1.89%", "40.0%", "50.0%", "€1,234", "€99"):
        assert f">{shown}</td>" in html, shown
    assert "40.000000" not in html and "0.018900" not in html


def test_a_transposed_summary_is_formatted_by_its_row_names():
    summary = pd.DataFrame([{"rules_version": "2026-11-26.1", "orders": 375, "agreement": 1.0,
                             "live_review_rate": 0.008}]).T
    html = styled(summary).to_html()
    for shown in ("2026-11-26.1", "375", "100.0%", "0.80%"):
        assert f">{shown}</td>" in html, shown
