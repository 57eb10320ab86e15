"""The `fraud` command, driven as a user would (in-process, through typer)."""

from __future__ import annotations

import json

import pytest
from factories import make_order_data
from typer.testing import CliRunner

from fraud.cli import app
from fraud.settings import get_settings


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FRAUD_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def run(cli, *args, input=None):
    return cli.invoke(app, list(args), input=input)


def write_orders(path, orders):
    path.write_text("\n".join(json.dumps(o) for o in orders) + "\n", encoding="utf-8")


def test_score_prints_one_decision_per_order(cli, tmp_path):
    orders = [make_order_data() for _ in range(3)]
    write_orders(tmp_path / "orders.jsonl", orders)
    result = run(cli, "score", "orders.jsonl", "--no-store")
    assert result.exit_code == 0, result.output
    decisions = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["order_id"] for d in decisions] == [o["order_id"] for o in orders]
    assert all(d["action"] in ("approve", "review", "decline") for d in decisions)


def test_score_reads_stdin(cli):
    result = run(cli, "score", "-", "--no-store", input=json.dumps(make_order_data()) + "\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["action"]


def test_score_names_the_bad_line_and_goes_on(cli, tmp_path):
    good = make_order_data()
    bad = make_order_data(payment={"amount": "-3"})
    (tmp_path / "mixed.jsonl").write_text(
        json.dumps(good) + "\n{not json\n" + json.dumps(bad) + "\n", encoding="utf-8"
    )
    result = run(cli, "score", "mixed.jsonl", "--no-store")
    assert result.exit_code == 1
    assert len(result.stdout.splitlines()) == 1
    assert "mixed.jsonl:2" in result.stderr
    assert "mixed.jsonl:3" in result.stderr and "payment.amount" in result.stderr
    assert "Traceback" not in result.output


def test_score_with_store_is_idempotent(cli, tmp_path):
    write_orders(tmp_path / "o.jsonl", [make_order_data(order_id="O-cli-1")])
    first = run(cli, "score", "o.jsonl")
    second = run(cli, "score", "o.jsonl")
    assert first.exit_code == second.exit_code == 0, first.output
    assert json.loads(first.stdout) == json.loads(second.stdout)


def test_score_a_missing_file_is_a_clear_error(cli):
    result = run(cli, "score", "nope.jsonl")
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_apikey_create_prints_a_secret_once_and_lists_without_it(cli):
    created = run(cli, "apikey", "create", "order-service")
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip()
    assert secret.startswith("fsk_")
    listed = run(cli, "apikey", "list")
    assert "order-service" in listed.stdout
    assert secret not in listed.stdout


def test_apikey_duplicate_name_is_refused(cli):
    run(cli, "apikey", "create", "shop")
    again = run(cli, "apikey", "create", "shop")
    assert again.exit_code == 1
    assert "shop" in again.stderr


def test_apikey_revoke(cli):
    run(cli, "apikey", "create", "temp")
    assert run(cli, "apikey", "revoke", "temp").exit_code == 0
    assert "revoked" in run(cli, "apikey", "list").stdout


def test_db_upgrade_creates_the_store(cli, tmp_path):
    result = run(cli, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "var" / "fraud.db").exists()


def test_rules_check_accepts_the_default_rules(cli):
    from fraud.rules import default_rules_path

    result = run(cli, "rules", "check", str(default_rules_path()))
    assert result.exit_code == 0, result.output
    assert "OK" in result.stdout


def test_rules_check_names_the_rule_line_and_reason(cli, tmp_path):
    (tmp_path / "bad.yaml").write_text(
        'version: "t1"\nrules:\n  - id: far\n    description: d\n'
        "    when: ip_billng_distance_km > 500\n    effect: review\n    message: m\n",
        encoding="utf-8",
    )
    result = run(cli, "rules", "check", "bad.yaml")
    assert result.exit_code == 1
    assert "far" in result.stderr and "line" in result.stderr
    assert "ip_billing_distance_km" in result.stderr


def test_batch_scoring_uses_the_model_the_service_uses(cli, tmp_path):
    from fraud.settings import BUNDLED_MODEL_DIR

    write_orders(tmp_path / "o.jsonl", [make_order_data()])
    result = run(cli, "score", "o.jsonl", "--no-store")
    decision = json.loads(result.stdout)
    current = (BUNDLED_MODEL_DIR / "CURRENT").read_text(encoding="utf-8").strip()
    assert decision["versions"]["model"] == current
    assert decision["model_probability"] is not None


def test_skipped_signals_are_reported_unavailable_not_computed(cli, tmp_path):
    write_orders(tmp_path / "o.jsonl", [make_order_data()])
    result = run(
        cli, "score", "o.jsonl", "--no-store", "--skip-signal", "email", "--skip-signal", "phone"
    )
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.stdout)["signals_unavailable"]) >= {"email", "phone"}


def test_skipping_an_unknown_signal_is_refused_with_the_known_ones(cli, tmp_path):
    write_orders(tmp_path / "o.jsonl", [make_order_data()])
    result = run(cli, "score", "o.jsonl", "--no-store", "--skip-signal", "horoscope")
    assert result.exit_code == 1
    assert "horoscope" in result.stderr and "geo" in result.stderr
