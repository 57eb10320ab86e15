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


# --- what a person sees when the input or the settings are wrong ---------------------------


def _no_traceback(result) -> None:
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_train_names_the_file_and_line_of_a_bad_record(cli, tmp_path):
    good = [make_order_data(order_id=f"O-train-{i}") for i in range(2)]
    bad = make_order_data(order_id="O-train-bad", payment={"amount": "lots"})
    write_orders(tmp_path / "orders.jsonl", [*good, bad])
    result = run(cli, "train", "--orders", "orders.jsonl")
    assert result.exit_code == 2
    _no_traceback(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: orders.jsonl:3: payment.amount")
    assert "--skip-bad" in lines[0]


def test_train_skip_bad_leaves_bad_records_out_and_counts_them(cli, tmp_path):
    good = [make_order_data(order_id=f"O-skip-{i}") for i in range(2)]
    (tmp_path / "orders.jsonl").write_text(
        "\n".join([json.dumps(good[0]), "{not json", json.dumps(good[1])]) + "\n",
        encoding="utf-8",
    )
    (tmp_path / "outcomes.jsonl").write_text(
        json.dumps({"order_id": "O-skip-0", "outcome": "stolen", "at": "2026-01-01T00:00:00Z"})
        + "\n",
        encoding="utf-8",
    )
    result = run(cli, "train", "--orders", "orders.jsonl", "--outcomes", "outcomes.jsonl",
                 "--skip-bad")
    _no_traceback(result)
    assert "skipped orders.jsonl:2: malformed JSON" in result.stderr
    assert "skipped outcomes.jsonl:1: unknown outcome 'stolen'" in result.stderr
    assert "skipped 2 bad records" in result.stderr
    assert "read 2 orders and 0 outcome events" in result.stderr
    # two orders and no outcomes cannot train a model: said in one line, not a traceback
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1].startswith("error: ")


def test_a_bad_outcome_record_names_its_file_and_line(cli, tmp_path):
    write_orders(tmp_path / "orders.jsonl", [make_order_data(order_id="O-out-1")])
    (tmp_path / "outcomes.jsonl").write_text(
        "\n" + json.dumps({"order_id": "O-out-1", "outcome": "paid"}) + "\n", encoding="utf-8"
    )
    for command in ("train", "evaluate"):  # evaluate: the bundled model, FRAUD_MODEL_DIR
        result = run(cli, command, "--orders", "orders.jsonl", "--outcomes", "outcomes.jsonl")
        assert result.exit_code == 2, result.stderr
        _no_traceback(result)
        assert result.stderr.startswith("error: outcomes.jsonl:2: missing field 'at'")


@pytest.mark.parametrize("args", [
    ["score", "folder"],
    ["train", "--orders", "folder"],
    ["rules", "backtest", "--rules", "folder", "--orders", "folder"],
    ["rules", "check", "folder"],
])
def test_a_directory_where_a_file_is_expected_is_one_clear_line(cli, tmp_path, args):
    (tmp_path / "folder").mkdir()
    result = run(cli, *args)
    _no_traceback(result)
    assert result.exit_code in (1, 2)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "folder" in lines[0] and "directory" in lines[0]


def test_a_bad_record_in_a_backtest_file_names_file_and_line(cli, tmp_path):
    write_orders(tmp_path / "orders.jsonl", [make_order_data(), {"order_id": "O-x"}])
    rules = tmp_path / "rules.yaml"
    rules.write_text('version: "r.1"\nrules: []\n', encoding="utf-8")
    result = run(cli, "rules", "backtest", "--rules", "rules.yaml", "--orders", "orders.jsonl")
    _no_traceback(result)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: orders.jsonl:2: ")


@pytest.mark.parametrize("args", [["score", "-"], ["db", "upgrade"], ["apikey", "list"],
                                  ["models", "list"], ["rules", "shadow-report"]])
def test_invalid_settings_are_one_line_and_exit_code_2(cli, monkeypatch, args):
    monkeypatch.setenv("FRAUD_REVIEW_THRESHOLD", "90")
    monkeypatch.setenv("FRAUD_DECLINE_THRESHOLD", "80")
    get_settings.cache_clear()
    result = run(cli, *args, input="")
    assert result.exit_code == 2
    _no_traceback(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: invalid settings: ")
    assert "review_threshold (90) must not exceed decline_threshold (80)" in lines[0]


def test_an_unparsable_setting_names_its_variable(cli, monkeypatch):
    monkeypatch.setenv("FRAUD_REVIEW_THRESHOLD", "high")
    get_settings.cache_clear()
    result = run(cli, "score", "-", input="")
    assert result.exit_code == 2
    assert "FRAUD_REVIEW_THRESHOLD" in result.stderr


def test_the_installed_command_prints_no_traceback_for_invalid_settings(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("FRAUD_")}
    env.update(FRAUD_REVIEW_THRESHOLD="90", FRAUD_DATA_DIR=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", "from fraud.cli import app; app()", "score", "-"],
        input="", capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_score_says_what_it_did_on_stderr(cli, tmp_path):
    write_orders(tmp_path / "orders.jsonl", [make_order_data() for _ in range(2)])
    result = run(cli, "score", "orders.jsonl", "--no-store")
    assert result.exit_code == 0
    assert "scored 2 orders from orders.jsonl" in result.stderr
    assert "not stored (--no-store)" in result.stderr
    stored = run(cli, "score", "orders.jsonl")
    assert "stored in sqlite:///" in stored.stderr
