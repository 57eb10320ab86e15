"""Drift: PSI on constructed shifts, simulated traffic with and without a shift, the store
check on both backends, ``fraud models drift`` and ``/readyz``."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from functools import cache

import numpy as np
import pandas as pd
import pytest
from factories import make_order_data
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.main import create_app
from fraud.cli import app as cli
from fraud.model.artifact import model_feature_kinds
from fraud.model.drift import (
    MISSING,
    SCORE,
    Profile,
    binning_of,
    compare,
    profile_of,
    psi,
)
from fraud.model.reference import read_reference, write_reference
from fraud.monitoring.drift_check import DriftWatch, Window, check_drift
from fraud.runtime import Runtime
from fraud.schema import parse_order
from fraud.settings import Settings, get_settings

THRESHOLD = 0.25
AMOUNT_FEATURES = {"amount_eur", "max_unit_price_eur"}


# --- the measure -------------------------------------------------------------------------


def test_psi_is_zero_without_a_move_and_grows_with_it():
    same = psi([0.5, 0.3, 0.2], [0.5, 0.3, 0.2])
    small = psi([0.5, 0.3, 0.2], [0.45, 0.33, 0.22])
    large = psi([0.5, 0.3, 0.2], [0.1, 0.3, 0.6])
    by_hand = (0.1 - 0.5) * math.log(0.1 / 0.5) + (0.6 - 0.2) * math.log(0.6 / 0.2)
    assert same == 0 and 0 < small < 0.1 < THRESHOLD < large
    assert large == pytest.approx(by_hand)
    assert math.isfinite(psi([1.0, 0.0], [0.0, 1.0]))  # an emptied bin is floored, not infinite


def test_numbers_are_cut_at_the_reference_deciles():
    binning = binning_of("amount", "num", list(range(1000)))
    assert len(binning.edges) == 9
    assert binning.shares[:10] == pytest.approx([0.1] * 10) and binning.shares[-1] == 0
    assert binning.counts([-5, 5000, None, float("nan")]).tolist()[::10] == [1, 2]


def test_categories_keep_the_common_values_and_pool_the_rest():
    values = ["NL"] * 50 + ["BE"] * 30 + [None] * 20
    binning = binning_of("country", "cat", values)
    assert binning.categories == ("BE", "NL")
    shares = dict(zip(binning.labels, binning.shares, strict=True))
    assert shares == pytest.approx({"BE": 0.3, "NL": 0.5, "(other)": 0.0, MISSING: 0.2})
    moved = dict(zip(binning.labels, binning.counts(["FR", "NL", True]), strict=True))
    assert moved == {"BE": 0, "NL": 1, "(other)": 2, MISSING: 0}


def test_a_signal_that_stops_answering_shows_as_drift():
    rng = np.random.default_rng(1)
    reference = profile_of({"ip_km": rng.exponential(300, 500).tolist()}, {"ip_km": "num"})
    report = compare(reference, {"ip_km": [None] * 400}, threshold=THRESHOLD)
    assert report.is_drifting and report.moves[0].bin == MISSING
    assert report.moves[0].recent_share == 1.0


def test_a_profile_survives_its_file_and_old_models_have_none(tmp_path):
    rng = np.random.default_rng(2)
    profile = profile_of({"a": rng.normal(size=200).tolist(), "b": ["x", "y"] * 100},
                         {"a": "num", "b": "cat"}, rng.uniform(size=200).tolist(), source="t")
    write_reference(tmp_path, profile)
    assert read_reference(tmp_path) == profile
    assert Profile.from_json(json.loads((tmp_path / "drift.json").read_text())) == profile
    assert read_reference(tmp_path / "an-old-model") is None


# --- simulated traffic -------------------------------------------------------------------


@cache
def _simulated_features() -> tuple[pd.DataFrame, pd.DataFrame]:
    """600 simulated orders' features, and the same orders' features with every price x4."""
    from fraud.batch import batch_context
    from fraud.features import build_frame
    from fraud.history import MemoryHistory
    from fraud.simulate import simulate

    raw = list(simulate(600, days=20, seed=4).orders())
    dearer = [json.loads(json.dumps(o)) for o in raw]
    for order in dearer:
        for item in order["items"]:
            item["unit_price"] = f"{float(item['unit_price']) * 4:.2f}"
        order["payment"]["amount"] = f"{float(order['payment']['amount']) * 4:.2f}"
    frames = []
    for data in (raw, dearer):
        orders = [parse_order(o) for o in data]
        ctx = batch_context(Settings(_env_file=None), MemoryHistory.from_orders(orders, []))
        frames.append(build_frame(orders, ctx))
    return frames[0], frames[1]


def _columns(frame: pd.DataFrame) -> dict[str, list]:
    kinds = model_feature_kinds()
    return {n: frame[n].tolist() for n in frame.columns if n in kinds}


def _halves() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A random half of the traffic, the other half, and the other half with prices x4."""
    plain, dearer = _simulated_features()
    order = np.random.default_rng(5).permutation(len(plain))
    first, second = order[:300], order[300:]
    return plain.iloc[first], plain.iloc[second], dearer.iloc[second]


@pytest.mark.slow
def test_the_same_traffic_does_not_drift():
    reference, recent, _ = _halves()
    profile = profile_of(_columns(reference), model_feature_kinds())
    report = compare(profile, _columns(recent), threshold=THRESHOLD)
    assert not report.is_drifting, report.summary(5)
    assert report.summary().startswith("ok")


@pytest.mark.slow
def test_a_shift_in_prices_is_found_and_tops_the_movers():
    reference, _, dearer = _halves()
    profile = profile_of(_columns(reference), model_feature_kinds())
    report = compare(profile, _columns(dearer), threshold=THRESHOLD)
    assert report.is_drifting
    assert {m.name for m in report.top(2)} == AMOUNT_FEATURES
    by_name = {m.name: m for m in report.moves}
    assert by_name["billing_country"].psi < THRESHOLD  # what did not move stays put
    assert report.summary().startswith("drifting")


# --- stored orders, both backends --------------------------------------------------------

START = datetime(2026, 10, 1, 9, tzinfo=UTC)
REFERENCE = Window(START, START + timedelta(days=10))
RECENT = Window(START + timedelta(days=20), START + timedelta(days=30))
N = 120


def _traffic(runtime: Runtime, window: Window, tag: str, *, price_factor: float = 1.0,
             seed: int = 0) -> None:
    """Guest orders that share no linking key (e-mail, IP, device, address, card: no
    history), prices drawn from one log-normal distribution, spread over ``window``."""
    rng = np.random.default_rng(seed)
    span = (window.until - window.since).total_seconds()
    for i in range(N):
        price = float(np.exp(rng.normal(4.3, 0.6))) * price_factor
        at = window.since + timedelta(seconds=span * i / N)
        unique = f"{seed}{i:04d}"  # the same length in every window
        address = {"house_number": unique}
        runtime.score(parse_order(json.dumps(make_order_data(
            order_id=f"O-{tag}-{i}",
            created_at=at.isoformat(),
            customer={"account_id": None, "account_created_at": None, "phone": None,
                      "email": f"buyer{unique}@example.com"},
            billing_address=address,
            shipping_address=address,
            ip_address=f"77.163.{rng.integers(0, 256)}.{rng.integers(1, 255)}",
            device_id=f"dev-{unique}",
            items=[{"sku": "BRK-1", "category": "brakes", "unit_price": f"{price:.2f}",
                    "quantity": 1}],
            payment={"amount": f"{price:.2f}", "card_last4": unique[-4:],
                     "card_bin": f"5355{seed}{i % 10}"},
        ))))


@pytest.fixture
def stored(db_url, tmp_path):
    settings = Settings(data_dir=tmp_path, database_url=db_url, model_dir=tmp_path / "none",
                        _env_file=None)
    runtime = Runtime.start(settings)
    _traffic(runtime, REFERENCE, "ref", seed=1)
    yield runtime
    runtime.close()


def _check(runtime: Runtime):
    with runtime.sessions() as session:
        return check_drift(session, None, model_feature_kinds(), recent=RECENT,
                           threshold=THRESHOLD, reference=REFERENCE)


@pytest.mark.slow
def test_stored_traffic_without_a_shift_is_not_drifting(stored):
    _traffic(stored, RECENT, "same", seed=2)
    report = _check(stored)
    assert report.reference_rows == report.recent_rows == N
    assert not report.is_drifting, report.summary(5)


@pytest.mark.slow
def test_stored_traffic_with_a_shift_is_drifting_and_readyz_says_so(stored):
    _traffic(stored, RECENT, "dear", price_factor=4, seed=2)
    report = _check(stored)
    assert report.is_drifting
    assert "amount_eur" in {m.name for m in report.drifting}
    stored.drift = DriftWatch(lambda: _check(stored), 3600)
    stored.drift.run_once()
    with TestClient(create_app(stored.settings, runtime=stored)) as client:
        checks = client.get("/readyz").json()["checks"]
    assert checks["model_drift"].startswith("drifting")
    assert "amount_eur" in checks["model_drift"]


def test_too_few_orders_say_so_instead_of_guessing(stored):
    watch = DriftWatch(lambda: _check(stored), 3600)
    assert watch.status() == "not checked yet"
    assert watch.run_once().startswith("unknown: 0 stored orders in the recent window")


def test_the_command_prints_the_movers_and_exits_1_when_drifting(stored, monkeypatch):
    _traffic(stored, RECENT, "cli", price_factor=4, seed=3)
    monkeypatch.setenv("FRAUD_DATABASE_URL", stored.settings.resolved_database_url)
    monkeypatch.setenv("FRAUD_MODEL_DIR", str(stored.settings.model_dir))
    get_settings.cache_clear()
    args = ["models", "drift", "--until", RECENT.until.isoformat(), "--days", "10",
            "--reference-since", REFERENCE.since.isoformat(),
            "--reference-until", REFERENCE.until.isoformat()]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    table = result.output.splitlines()
    assert table[2].split()[0] in AMOUNT_FEATURES and table[2].endswith("*")
    assert table[-1].startswith("drifting")


def test_the_command_explains_a_missing_reference(tmp_path, monkeypatch):
    monkeypatch.setenv("FRAUD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FRAUD_MODEL_DIR", str(tmp_path / "none"))
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, ["models", "drift"])
    assert result.exit_code == 2
    assert "no model given" in result.output and "Traceback" not in result.output


def _bundled_model(folder=None):  # noqa: ANN001, ANN202 - a ServedModel
    from fraud.model.serving import ServedModel
    from fraud.settings import BUNDLED_MODEL_DIR

    current = (BUNDLED_MODEL_DIR / "CURRENT").read_text(encoding="utf-8").strip()
    return ServedModel.load(folder or BUNDLED_MODEL_DIR / current)


@pytest.mark.slow
def test_an_older_model_is_compared_with_the_stored_orders_of_its_training_window(
    stored, tmp_path
):
    import shutil

    from fraud.settings import BUNDLED_MODEL_DIR

    _traffic(stored, RECENT, "old", seed=2)
    current = (BUNDLED_MODEL_DIR / "CURRENT").read_text(encoding="utf-8").strip()
    older = shutil.copytree(BUNDLED_MODEL_DIR / current, tmp_path / current)
    (older / "drift.json").unlink(missing_ok=True)  # as saved before drift.json existed
    model = _bundled_model(older)  # its training window spans both
    with stored.sessions() as session:
        report = check_drift(session, model, model_feature_kinds(), recent=RECENT,
                             threshold=THRESHOLD)
    assert report.source.startswith("stored orders")
    assert report.reference_rows == 2 * N and report.recent_rows == N
    assert report.score() is not None and math.isfinite(report.score().psi)


def test_a_model_saved_with_its_training_profile_is_compared_with_that(stored, tmp_path):
    import shutil

    folder = tmp_path / "with-profile"
    shutil.copytree(_bundled_model().path, folder)
    rng = np.random.default_rng(7)
    kinds = {"amount_eur": "num"}
    write_reference(folder, profile_of({"amount_eur": rng.uniform(5, 60, 500).tolist()}, kinds,
                                       rng.uniform(0, 0.05, 500).tolist(), source="training rows"))
    _traffic(stored, RECENT, "prof", seed=2)
    with stored.sessions() as session:
        report = check_drift(session, _bundled_model(folder), model_feature_kinds(),
                             recent=RECENT, threshold=THRESHOLD)
    assert report.source == "training rows" and report.reference_rows == 500
    assert {m.name for m in report.moves} == {"amount_eur", SCORE}
    assert "amount_eur" in {m.name for m in report.drifting}  # prices up to 60 vs ~75 median


@pytest.mark.xdist_group("fraud_serve")
@pytest.mark.slow
def test_fraud_serve_checks_drift_in_the_background_for_readyz(tmp_path):
    import time

    import httpx
    from serving import running_server

    with running_server(tmp_path) as server:
        deadline = time.monotonic() + 60
        while True:
            checks = httpx.get(f"{server.url}/readyz").json()["checks"]
            if checks.get("model_drift") != "not checked yet" or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    # an empty store, rules only: the verdict says why it cannot judge, instead of guessing
    assert checks["model_drift"].startswith("unknown: no reference"), checks
