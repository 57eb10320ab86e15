"""``--events FILE`` for the rules backtest and ``fraud train``, and what a bad events
file gets: one line naming the file, the line and the reason, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fraud.cli import app
from fraud.settings import get_settings

TAKEOVER_RULE = """\
version: "2026-12-02.t"
description: one rule on account events
rules:
  - id: changed_after_new_login
    description: A change after a login from a new device or country.
    when: >-
      minutes_since_account_change <= 1440
      and (first_login_from_device or new_country_login_24h)
    effect: review
    points: 40
    message: "{account_change_words} {minutes_since_account_change:,.0f} minutes before."
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from fraud.simulate import simulate

    sim = simulate(1500, days=40, seed=17, rates={"account_takeover": 0.02})
    folder = tmp_path_factory.mktemp("sim")
    sim.write(folder / "orders.jsonl.gz")
    sim.write_outcomes(folder / "outcomes.jsonl.gz")
    sim.write_truth(folder / "truth.csv.gz")
    sim.write_events(folder / "events.jsonl.gz")
    (folder / "takeover.yaml").write_text(TAKEOVER_RULE, encoding="utf-8")
    return folder


def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str):  # noqa: ANN201
    monkeypatch.setenv("FRAUD_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("FRAUD_MODEL_DIR", str(tmp_path / "models"))
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, list(args))
    finally:
        get_settings.cache_clear()


def _hits(output: str) -> int:
    line = next(x for x in output.splitlines() if x.strip().startswith("changed_after_new_login"))
    words = line.split()  # rule, "candidate only", hits, ...
    return int(words[words.index("only") + 1].replace(",", ""))


def test_the_backtest_sees_the_events_only_when_given_them(
    files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = ["rules", "backtest", "--rules", str(files / "takeover.yaml"),
            "--orders", str(files / "orders.jsonl.gz"),
            "--outcomes", str(files / "outcomes.jsonl.gz"),
            "--truth", str(files / "truth.csv.gz"), "--jobs", "1"]
    without = run(tmp_path, monkeypatch, *base)
    assert without.exit_code == 0, without.output
    with_events = run(tmp_path, monkeypatch, *base, "--events", str(files / "events.jsonl.gz"))
    assert with_events.exit_code == 0, with_events.output
    assert _hits(without.output) == 0
    assert _hits(with_events.output) >= 5


def test_train_with_events_lists_the_account_event_features_in_the_model_card(
    files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(tmp_path, monkeypatch, "train", "--orders", str(files / "orders.jsonl.gz"),
                 "--outcomes", str(files / "outcomes.jsonl.gz"),
                 "--events", str(files / "events.jsonl.gz"))
    assert result.exit_code == 0, result.output
    assert "account events from" in result.stderr
    card = json.loads(next((tmp_path / "models").glob("*/card.json")).read_text())
    signals = {f["name"]: f["signal"] for f in card["features"]}
    assert signals["minutes_since_account_change"] == "account_events"
    assert signals["first_login_from_device"] == "account_events"


@pytest.mark.parametrize("command", ["score", "backtest", "train"])
def test_a_bad_events_line_is_named_with_its_file_and_line(
    files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    bad = tmp_path / "events.jsonl"
    good = {"event_id": "E-1", "type": "login_succeeded", "account_id": "C-1",
            "occurred_at": "2025-09-01T10:00:00+02:00", "ip_address": "77.163.112.45"}
    bad.write_text(json.dumps(good) + "\n" + json.dumps({**good, "event_id": "E-2",
                                                         "type": "address_added"}) + "\n")
    orders = str(files / "orders.jsonl.gz")
    args = {
        "score": ["score", orders, "--no-store", "--events", str(bad)],
        "backtest": ["rules", "backtest", "--rules", str(files / "takeover.yaml"),
                     "--orders", orders, "--events", str(bad)],
        "train": ["train", "--orders", orders, "--outcomes", str(files / "outcomes.jsonl.gz"),
                  "--events", str(bad)],
    }[command]
    result = run(tmp_path, monkeypatch, *args)
    assert result.exit_code != 0
    assert f"{bad}:2: change" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_an_event_id_stored_with_other_contents_is_reported_and_scoring_goes_on(
    files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = {"event_id": "E-1", "type": "login_succeeded", "account_id": "C-1",
             "occurred_at": "2025-09-01T10:00:00+02:00", "ip_address": "77.163.112.45"}
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps(first) + "\n"
                      + json.dumps({**first, "ip_address": "77.163.112.46"}) + "\n")
    orders = tmp_path / "orders.jsonl"
    import gzip

    with gzip.open(files / "orders.jsonl.gz", "rt", encoding="utf-8") as fh:
        orders.write_text("".join(next(fh) for _ in range(3)), encoding="utf-8")
    result = run(tmp_path, monkeypatch, "score", str(orders), "--store", "--events", str(events))
    assert result.exit_code == 1
    assert "account events: event 'E-1' was already stored with different contents" in (
        result.stderr)
    assert len(result.stdout.splitlines()) == 3  # every order still scored
    assert "Traceback" not in result.output
