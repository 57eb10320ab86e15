"""The public e-commerce fraud data set importer, on small files written here in its
format (BOM, CRLF, M/D/YYYY H:MM, IPs as floats, a cut-off last line), and on the
real data set when it is present (``FRAUD_ECOMMERCE_DATA``)."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from fraud.domain import Outcome
from fraud.errors import InvalidInput
from fraud.features import build_features, build_frame
from fraud.history import MemoryHistory
from fraud.importers.ecommerce import (
    LABEL_DELAY,
    PLACEHOLDER_FEATURES,
    SKIP_SIGNALS,
    IpCountryLocator,
    default_data_path,
    load_ecommerce,
    mask_placeholders,
    parse_ip,
    parse_time,
    read_purchases,
)
from fraud.settings import Settings
from fraud.signals import feature_catalogue
from fraud.signals.device import parse_user_agent

HEADER = (
    "user_id,signup_time,purchase_time,purchase_value,device_id,source,browser,sex,age,"
    "ip_address,class"
)
NL_IP = 1_300_000_000  # 77.124.x.x: inside the Netherlands range below
IP_TABLE = (
    "lower_bound_ip_address,upper_bound_ip_address,country\r\n"
    "16777216,16777471,Australia\r\n"
    "1299999744,1300000767,Netherlands\r\n"
    "1.30E+09,1300004095,Korea Republic of\r\n"  # start re-saved lossily: overlaps the row above
    "1300004096,1300008191,Canada\r\n"
    "1300008192,1300009000,Can"  # cut off mid-line, no line end
)


def purchase_row(
    user_id: int,
    signup: str = "1/1/2015 10:00",
    purchase: str = "1/2/2015 11:30",
    value: str = "34",
    device: str = "QVPSPJUOCKZAR",
    browser: str = "Chrome",
    ip: str = f"{NL_IP}.8",
    label: int = 0,
    source: str = "SEO",
    sex: str = "M",
    age: str = "39",
) -> str:
    fields = (user_id, signup, purchase, value, device, source, browser, sex, age, ip, label)
    return ",".join(str(f) for f in fields)


def write_source(
    folder: Path, rows: list[str], *, cut_off_row: bool = True, ip_table: bool = True
) -> Path:
    """A folder in the data set's format: BOM, CRLF lines, optionally a cut-off last row."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [HEADER, *rows]
    if cut_off_row:
        lines.append("393385,8/11/2015 19:00,,,,,,,,,")
    text = "\ufeff" + "\r\n".join(lines) + "\r\n"
    (folder / "Fraud_Data_subset.csv").write_bytes(text.encode("utf-8"))
    if ip_table:
        table = "\ufeff" + IP_TABLE
        (folder / "IpAddress_to_Country_partial.csv").write_bytes(table.encode("utf-8"))
    return folder


@pytest.fixture
def settings() -> Settings:
    return Settings(_env_file=None)


# --- parsing values ------------------------------------------------------------------------------


def test_times_in_month_day_year_format_are_read_as_utc() -> None:
    assert parse_time("2/24/2015 22:55") == datetime(2015, 2, 24, 22, 55, tzinfo=UTC)
    assert parse_time("12/1/2015 3:04") == datetime(2015, 12, 1, 3, 4, tzinfo=UTC)


def test_times_of_the_original_file_with_seconds_are_read_too() -> None:
    assert parse_time("2015-02-24 22:55:49") == datetime(2015, 2, 24, 22, 55, 49, tzinfo=UTC)


def test_a_time_in_another_format_is_refused_naming_both_formats() -> None:
    with pytest.raises(ValueError, match="M/D/YYYY H:MM"):
        parse_time("24.02.2015 22:55")


def test_ip_written_as_a_float_is_the_ipv4_address_of_its_integer_part() -> None:
    assert parse_ip("732758368.8") == ipaddress.IPv4Address(732758368)
    assert parse_ip("2621473820") == ipaddress.IPv4Address("156.64.132.28")


def test_ip_outside_the_ipv4_range_is_refused() -> None:
    with pytest.raises(ValueError, match="IPv4"):
        parse_ip("4294967296")


# --- reading the purchases file ------------------------------------------------------------------


def test_reader_drops_the_byte_order_mark_and_reports_the_cut_off_row_by_line(
    tmp_path: Path,
) -> None:
    folder = write_source(tmp_path / "d", [purchase_row(1), purchase_row(2)])
    purchases, bad = read_purchases(folder / "Fraud_Data_subset.csv")
    assert [p.user_id for p in purchases] == ["1", "2"]
    assert len(bad) == 1
    assert bad[0].line == 4
    assert "purchase_time" in bad[0].reason


def test_a_missing_column_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "Fraud_Data.csv"
    path.write_text("user_id,signup_time,purchase_time\n1,1/1/2015 0:00,1/1/2015 0:01\n")
    with pytest.raises(InvalidInput, match="purchase_value"):
        read_purchases(path)


def test_rows_with_bad_values_are_skipped_with_the_reason(tmp_path: Path) -> None:
    rows = [
        purchase_row(1),
        purchase_row(2, label=3),
        purchase_row(3, signup="3/1/2015 0:00", purchase="2/1/2015 0:00"),
        purchase_row(1, device="OTHERDEVICE"),
    ]
    folder = write_source(tmp_path / "d", rows, cut_off_row=False)
    purchases, bad = read_purchases(folder / "Fraud_Data_subset.csv")
    assert [p.user_id for p in purchases] == ["1"]
    reasons = " / ".join(b.reason for b in bad)
    assert "class" in reasons and "signup_time is after" in reasons and "repeats" in reasons


# --- purchases as orders -------------------------------------------------------------------------


def test_each_purchase_becomes_a_valid_order_from_what_the_file_has(tmp_path: Path) -> None:
    folder = write_source(
        tmp_path / "d", [purchase_row(22058, value="34", browser="FireFox", label=1)]
    )
    data = load_ecommerce(folder)
    (order,) = data.orders
    assert order.order_id == "22058"
    assert order.customer.account_id == "22058"
    assert order.customer.account_created_at == datetime(2015, 1, 1, 10, 0, tzinfo=UTC)
    assert order.created_at == datetime(2015, 1, 2, 11, 30, tzinfo=UTC)
    assert order.payment.amount == Decimal("34.00")
    assert str(order.payment.currency) == "USD"
    assert order.device_id == "QVPSPJUOCKZAR"
    assert order.ip_address == ipaddress.IPv4Address(NL_IP)
    assert order.customer.phone is None


def test_placeholders_are_unique_per_user_so_they_never_link_orders(tmp_path: Path) -> None:
    folder = write_source(tmp_path / "d", [purchase_row(1), purchase_row(2)])
    first, second = load_ecommerce(folder).orders
    assert first.customer.email != second.customer.email
    assert first.shipping_address != second.shipping_address


@pytest.mark.parametrize(
    ("browser", "family"),
    [("Chrome", "Chrome"), ("FireFox", "Firefox"), ("Safari", "Safari"), ("IE", "IE"),
     ("Opera", "Opera")],
)
def test_user_agent_names_only_the_browser_family_given(
    tmp_path: Path, browser: str, family: str
) -> None:
    folder = write_source(tmp_path / "d", [purchase_row(1, browser=browser)])
    (order,) = load_ecommerce(folder).orders
    parsed = parse_user_agent(order.user_agent)
    assert parsed.browser_family == family
    assert parsed.os_family == "Other"


def test_an_unknown_browser_gives_no_user_agent(tmp_path: Path) -> None:
    folder = write_source(tmp_path / "d", [purchase_row(1, browser="Netscape")])
    (order,) = load_ecommerce(folder).orders
    assert order.user_agent is None


def test_source_sex_and_age_stay_out_of_the_order_and_in_the_extras(tmp_path: Path) -> None:
    folder = write_source(tmp_path / "d", [purchase_row(7, source="Ads", sex="F", age="53")])
    data = load_ecommerce(folder)
    assert data.extras.loc["7"].to_dict() == {"source": "Ads", "sex": "F", "age": 53}
    dumped = data.orders[0].model_dump_json()
    assert "Ads" not in dumped and "53" not in dumped


def test_labels_become_outcomes_known_a_fixed_delay_after_the_purchase(tmp_path: Path) -> None:
    folder = write_source(tmp_path / "d", [purchase_row(1, label=1), purchase_row(2, label=0)])
    data = load_ecommerce(folder)
    events = {order_id: (outcome, at) for order_id, outcome, at in data.outcomes}
    purchased = datetime(2015, 1, 2, 11, 30, tzinfo=UTC)
    assert events["1"] == (Outcome.FRAUD_CONFIRMED, purchased + LABEL_DELAY)
    assert events["2"] == (Outcome.LEGIT_CONFIRMED, purchased + LABEL_DELAY)
    assert data.labels.loc["1", "is_fraud"] and not data.labels.loc["2", "is_fraud"]


def test_orders_come_in_purchase_time_order(tmp_path: Path) -> None:
    rows = [purchase_row(1, purchase="3/1/2015 0:00"), purchase_row(2, purchase="2/1/2015 0:00")]
    data = load_ecommerce(write_source(tmp_path / "d", rows))
    assert [o.order_id for o in data.orders] == ["2", "1"]


# --- the IP table as a geo adapter ---------------------------------------------------------------


def test_ip_table_drops_the_line_cut_off_mid_way(tmp_path: Path) -> None:
    folder = write_source(tmp_path / "d", [])
    geo = IpCountryLocator.from_csv(folder / "IpAddress_to_Country_partial.csv")
    # "Can" must not become Canada: the range it heads is simply not covered
    assert not geo.lookup(str(ipaddress.IPv4Address(1_300_008_500))).found
    assert geo.highest_covered == 1_300_008_191


def test_ip_table_lookup_finds_range_ends_and_leaves_gaps_unknown(tmp_path: Path) -> None:
    geo = IpCountryLocator.from_csv(write_source(tmp_path / "d", []) /
                                    "IpAddress_to_Country_partial.csv")

    def country(n: int) -> str | None:
        return geo.lookup(str(ipaddress.IPv4Address(n))).country_iso

    assert country(16777216) == "AU" and country(16777471) == "AU"
    assert country(16777472) is None  # between ranges
    assert country(1_299_999_744) == "NL" and country(1_300_000_767) == "NL"
    assert country(1_300_000_768) == "KR"  # the lossy start was moved after the NL range
    assert country(1_300_004_096) == "CA"


def test_geo_adapter_is_country_only_and_flags_reserved_addresses(tmp_path: Path) -> None:
    geo = IpCountryLocator.from_csv(write_source(tmp_path / "d", []) /
                                    "IpAddress_to_Country_partial.csv")
    loc = geo.lookup(str(ipaddress.IPv4Address(NL_IP)))
    assert (loc.country_iso, loc.country_name, loc.found) == ("NL", "Netherlands", True)
    assert loc.lat is None and loc.city is None and loc.accuracy_radius_km is None
    assert geo.lookup("10.1.2.3").is_private_or_reserved


def test_geo_signal_runs_on_the_adapter_with_distances_unknown(
    tmp_path: Path, settings: Settings
) -> None:
    data = load_ecommerce(write_source(tmp_path / "d", [purchase_row(1)]))
    vector = build_features(data.orders[0], data.context(settings, MemoryHistory()))
    assert "geo" not in vector.signals_unavailable
    assert vector.values["ip_country"] == "NL"
    assert vector.values["ip_country_is_eu"] is True
    assert vector.values["ip_billing_distance_km"] is None


def test_without_the_ip_table_the_geo_signal_is_reported_unavailable(
    tmp_path: Path, settings: Settings
) -> None:
    data = load_ecommerce(write_source(tmp_path / "d", [purchase_row(1)], ip_table=False))
    vector = build_features(data.orders[0], data.context(settings, MemoryHistory()))
    assert data.geo is None
    assert "geo" in vector.signals_unavailable
    assert vector.values["ip_country"] is None


# --- features through the pipeline ---------------------------------------------------------------


def test_signals_the_source_lacks_are_reported_unavailable_not_computed(
    tmp_path: Path, settings: Settings
) -> None:
    data = load_ecommerce(write_source(tmp_path / "d", [purchase_row(1)]))
    vector = build_features(data.orders[0], data.context(settings, MemoryHistory()))
    assert set(vector.signals_unavailable) >= SKIP_SIGNALS
    skipped = [f for f in feature_catalogue().values() if f.signal in SKIP_SIGNALS]
    assert skipped and all(vector.values[f.name] is None for f in skipped)
    assert vector.values["amount_eur"] == pytest.approx(34 * float(settings.fx_rates["USD"]))
    assert vector.values["ua_browser_family"] == "Chrome"


def test_device_and_ip_sharing_count_only_earlier_purchases(
    tmp_path: Path, settings: Settings
) -> None:
    rows = [  # three accounts on one device and IP, a minute apart, listed out of time order
        purchase_row(3, signup="1/1/2015 0:02", purchase="1/1/2015 0:02", device="RING"),
        purchase_row(1, signup="1/1/2015 0:00", purchase="1/1/2015 0:00", device="RING"),
        purchase_row(2, signup="1/1/2015 0:01", purchase="1/1/2015 0:01", device="RING"),
        purchase_row(4, device="ALONE", ip="16777300"),
    ]
    data = load_ecommerce(write_source(tmp_path / "d", rows))
    history = MemoryHistory.from_orders(data.orders, data.outcomes, fx_rates=settings.fx_rates)
    frame = build_frame(data.orders, data.context(settings, history))
    assert frame.loc[["1", "2", "3", "4"], "device_accounts_30d"].tolist() == [0, 1, 2, 0]
    assert frame.loc[["1", "2", "3"], "ip_accounts_30d"].tolist() == [0, 1, 2]
    assert frame.loc["1", "account_age_days"] == 0


def test_a_label_counts_for_linked_orders_only_once_it_is_known(
    tmp_path: Path, settings: Settings
) -> None:
    early = "1/1/2015 0:00"
    before_known = (datetime(2015, 1, 1, tzinfo=UTC) + LABEL_DELAY - timedelta(days=1))
    after_known = before_known + timedelta(days=2)
    rows = [
        purchase_row(1, signup=early, purchase=early, device="D", label=1),
        purchase_row(2, purchase=f"{before_known:%-m/%-d/%Y %-H:%M}", device="D"),
        purchase_row(3, purchase=f"{after_known:%-m/%-d/%Y %-H:%M}", device="D"),
    ]
    data = load_ecommerce(write_source(tmp_path / "d", rows))
    history = MemoryHistory.from_orders(data.orders, data.outcomes, fx_rates=settings.fx_rates)
    frame = build_frame(data.orders, data.context(settings, history))
    assert frame.loc[["2", "3"], "linked_fraud_strong"].tolist() == [0, 1]


def test_placeholder_features_are_masked_for_analysis(tmp_path: Path, settings: Settings) -> None:
    data = load_ecommerce(write_source(tmp_path / "d", [purchase_row(1)]))
    frame = build_frame(data.orders, data.context(settings, MemoryHistory()))
    masked = mask_placeholders(frame)
    present = PLACEHOLDER_FEATURES & set(frame.columns)
    assert present, "placeholder features should name real feature columns"
    assert masked[sorted(present)].isna().all().all()
    assert masked.loc["1", "amount_eur"] == frame.loc["1", "amount_eur"]


# --- the command ---------------------------------------------------------------------------------


def test_import_command_writes_files_the_training_loader_reads(tmp_path: Path) -> None:
    import json

    import typer
    from typer.testing import CliRunner

    from fraud.cli.imports import import_command
    from fraud.model.dataset import load_files

    folder = write_source(tmp_path / "d", [purchase_row(1, label=1), purchase_row(2)])
    app = typer.Typer()
    app.command()(import_command)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    raw = load_files(out / "orders.jsonl.gz", out / "outcomes.jsonl.gz")
    assert [o.order_id for o in raw.orders] == ["1", "2"]
    assert {e.outcome for e in raw.outcomes} == {Outcome.FRAUD_CONFIRMED, Outcome.LEGIT_CONFIRMED}
    source = json.loads((out / "source.json").read_text())
    assert set(source["skip_signals"]) == SKIP_SIGNALS
    assert source["bad_rows"][0]["line"] == 4
    assert (out / "extras.csv.gz").is_file()


def test_import_command_names_a_missing_folder(tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from fraud.cli.imports import import_command

    app = typer.Typer()
    app.command()(import_command)
    result = CliRunner().invoke(app, [str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert "no such file or folder" in result.output


# --- the benchmark on a small synthetic set ------------------------------------------------------


def synthetic_rows(n: int = 1500, seed: int = 1) -> list[str]:
    """Honest purchases over 200 days, plus an early ring: instant buys on shared devices."""
    rng = np.random.default_rng(seed)
    start = datetime(2015, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(n):
        signup = start + timedelta(minutes=int(rng.integers(0, 200 * 1440)))
        ring = signup < start + timedelta(days=30) and rng.random() < 0.4
        fraud = ring or rng.random() < 0.03
        purchase = signup if ring else signup + timedelta(minutes=int(rng.integers(1, 60 * 1440)))
        device = f"RING{i % 40}" if ring else f"D{i}"
        rows.append(purchase_row(
            1000 + i, signup=f"{signup:%-m/%-d/%Y %-H:%M}",
            purchase=f"{purchase:%-m/%-d/%Y %-H:%M}",
            value=str(int(rng.integers(9, 150))), device=device,
            ip=f"{int(rng.integers(16777216, 3_000_000_000))}.5", label=int(fraud),
        ))
    return rows


def test_benchmark_puts_the_early_ring_only_into_the_random_test_set(tmp_path: Path) -> None:
    from fraud.importers.benchmark import run_benchmark

    result = run_benchmark(write_source(tmp_path / "d", synthetic_rows()))
    by_time, at_random = result.time_split, result.random_split
    assert by_time.test_rows + by_time.train_rows == result.orders
    assert by_time.test_fraud_instant_share == 0
    assert at_random.test_fraud_instant_share > 0.5
    assert at_random.roc_auc > by_time.roc_auc
    for split in (by_time, at_random):
        assert 0 <= split.roc_auc <= 1 and 0 <= split.pr_auc <= 1
        assert set(split.recall_at) == {"0.01", "0.02", "0.05"}
        assert not PLACEHOLDER_FEATURES & set(result.features_used)


# --- the real data set, when present -------------------------------------------------------------

REAL = default_data_path()
needs_real_data = pytest.mark.skipif(
    not (REAL / "Fraud_Data_subset.csv").is_file(),
    reason=f"public e-commerce fraud data set not found at {REAL} "
    "(set FRAUD_ECOMMERCE_DATA to its folder; it is never committed)",
)


@pytest.fixture(scope="module")
def real_data():  # noqa: ANN201 - EcommerceData
    return load_ecommerce(REAL)


@needs_real_data
def test_real_data_imports_every_complete_row_and_skips_the_cut_off_one(real_data) -> None:  # noqa: ANN001
    assert len(real_data.bad_rows) == 1
    assert len(real_data.orders) + 1 == 30_190
    assert 0.05 < real_data.labels["is_fraud"].mean() < 0.15  # README: 9.5 %
    assert len({o.order_id for o in real_data.orders}) == len(real_data.orders)


@needs_real_data
def test_real_ip_table_places_most_covered_addresses_in_a_country(real_data) -> None:  # noqa: ANN001
    geo = real_data.geo
    covered = [o for o in real_data.orders[:2000]
               if int(o.ip_address) <= geo.highest_covered
               and not geo.lookup(str(o.ip_address)).is_private_or_reserved]
    found = sum(geo.lookup(str(o.ip_address)).found for o in covered)
    assert found / len(covered) > 0.5
