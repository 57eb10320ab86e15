"""Rules backtest: replay labelled orders once, compare two rule sets on them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import typer
from factories import make_order
from typer.testing import CliRunner

import fraud.replay as bt
import fraud.replay.replay as replay_module
from fraud.batch import batch_context
from fraud.cli.rules import backtest_command
from fraud.domain import Action, Outcome, Reason
from fraud.history import MemoryHistory
from fraud.replay import (
    backtest,
    labels_for,
    outcomes_frame,
    replay_files,
    replay_orders,
    replay_store,
    run_rules,
)
from fraud.replay.text import format_backtest
from fraud.rules import load_rules, parse_rules
from fraud.schema import Order
from fraud.scoring import score_order, thresholds_from
from fraud.settings import Settings
from fraud.simulate import simulate

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)

BIG_ORDER_ENTRY = """
  - id: big_order
    description: A large order.
    when: amount_eur >= 500
    effect: review
    message: Large order of {amount_eur:,.0f} EUR.
"""
BIG_ORDER_RULE = 'version: "cand.1"\nrules:' + BIG_ORDER_ENTRY


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="module")
def default_rules():  # noqa: ANN201
    return load_rules()


@pytest.fixture(scope="module")
def candidate(default_rules):  # noqa: ANN001, ANN201
    """The default rules plus one new rule: force review on orders of 500 EUR or more."""
    text = Path(default_rules.source).read_text(encoding="utf-8")
    return parse_rules(text.replace('version: "', 'version: "cand-', 1) + BIG_ORDER_ENTRY)


def _at(hours: float) -> str:
    return (T0 + timedelta(hours=hours)).isoformat()


def _order(i: int, amount: str, hours: float, **extra: object) -> Order:
    overrides = {
        "order_id": f"O-BT-{i:03d}",
        "created_at": _at(hours),
        "payment": {"amount": amount},
        "customer": {"email": f"customer{i}@example.nl", "account_id": f"C-{i}"},
        "device_id": f"dev-{i}",
        "ip_address": f"77.163.112.{i}",
    }
    overrides.update(extra)
    return make_order(**overrides)


@pytest.fixture(scope="module")
def small(settings: Settings):  # noqa: ANN201
    """Eight hand-made orders: four of 500 EUR or more (two of them later charged back),
    four small ones (one charged back)."""
    amounts = ["900.00", "650.00", "520.00", "700.00", "20.00", "35.00", "80.00", "99.00"]
    orders = [_order(i, a, hours=i) for i, a in enumerate(amounts)]
    events = [
        ("O-BT-000", "chargeback", _at(24 * 40)),
        ("O-BT-001", "fraud_confirmed", _at(24 * 3)),
        ("O-BT-005", "chargeback", _at(24 * 45)),
        ("O-BT-002", "refunded", _at(24 * 5)),  # a refund is not fraud
    ] + [(o.order_id, "paid", _at(i + 0.5)) for i, o in enumerate(orders)]
    return replay_orders(orders, events, settings=settings)


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """A small simulated shop, written as the simulator's files."""
    folder = tmp_path_factory.mktemp("sim")
    s = simulate(400, days=8, seed=5)
    s.write(folder / "orders.jsonl.gz")
    s.write_outcomes(folder / "outcomes.jsonl.gz")
    s.write_truth(folder / "truth.csv.gz")
    return s, folder


@pytest.fixture(scope="module")
def sim_replay(sim, settings: Settings):  # noqa: ANN001, ANN201
    _, folder = sim
    return replay_files(folder / "orders.jsonl.gz", folder / "outcomes.jsonl.gz",
                        settings=settings)


# --- replay and decisions --------------------------------------------------------------


def test_replayed_decisions_equal_scoring_each_order_with_the_live_pipeline(
    sim, sim_replay, default_rules, settings: Settings
) -> None:
    s, folder = sim
    orders = list(bt.read_order_file(folder / "orders.jsonl.gz"))
    events = outcomes_frame(s.outcomes.to_dict("records"))
    assert replay_orders(orders[:5], s.outcomes, settings=settings).outcomes["at"].dtype.tz
    history = MemoryHistory.from_orders(
        orders, zip(events["order_id"], events["outcome"].map(Outcome), events["at"],
                    strict=True))
    ctx = batch_context(settings, history)
    run = run_rules(default_rules, sim_replay, thresholds_from(settings))
    for order in orders[::7]:
        live = score_order(order, ctx, default_rules).decision
        assert run.decisions.at[order.order_id, "score"] == live.score
        assert run.decisions.at[order.order_id, "action"] == int(live.action)
        hit_ids = set(run.hits.columns[run.hits.loc[order.order_id].to_numpy()])
        assert hit_ids == {h.rule_id for h in live.rule_hits}


def test_replay_history_sees_an_outcome_only_after_it_was_reported(settings: Settings) -> None:
    shared = {"customer": {"email": "same.person@example.nl"}}
    first = make_order(order_id="O-H-1", created_at=_at(0), **shared)
    before = make_order(order_id="O-H-2", created_at=_at(24), **shared)
    after = make_order(order_id="O-H-3", created_at=_at(72), **shared)
    replay = replay_orders([after, first, before], [("O-H-1", "chargeback", _at(48))],
                           settings=settings)
    features = replay.orders["features"]
    assert list(replay.orders.index) == ["O-H-1", "O-H-2", "O-H-3"]  # time order
    assert features["O-H-2"]["linked_fraud_weight"] == 0
    assert features["O-H-3"]["linked_fraud_weight"] > 0


def test_parallel_replay_gives_the_same_features_as_one_process(
    sim, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, folder = sim
    orders = list(bt.read_order_file(folder / "orders.jsonl.gz"))[:150]
    monkeypatch.setattr(replay_module, "MIN_PARALLEL", 10)
    one = replay_orders(orders, settings=settings, n_jobs=1)
    two = replay_orders(orders, settings=settings, n_jobs=2)
    assert list(one.orders.index) == list(two.orders.index)
    assert list(one.orders["features"]) == list(two.orders["features"])
    assert list(one.orders["keys"]) == list(two.orders["keys"])


def test_orders_from_a_csv_file_replay_like_jsonl(sim, tmp_path: Path) -> None:
    s, folder = sim
    s.write(tmp_path / "orders.csv")
    jsonl = [o.order_id for o in bt.read_order_file(folder / "orders.jsonl.gz")]
    assert [o.order_id for o in bt.read_order_file(tmp_path / "orders.csv")] == jsonl


# --- labels ------------------------------------------------------------------------------


def test_labels_count_chargebacks_and_confirmed_fraud_known_by_the_cutoff(small) -> None:
    everything = labels_for(small)
    assert set(everything.is_fraud[everything.is_fraud].index) == {
        "O-BT-000", "O-BT-001", "O-BT-005"}
    early = labels_for(small, cutoff=T0 + timedelta(days=10))
    assert set(early.is_fraud[early.is_fraud].index) == {"O-BT-001"}
    assert early.source == "outcomes"
    assert "reported by 2026-11-12" in early.describe()


def test_truth_labels_replace_outcomes_and_must_cover_every_order(small) -> None:
    ids = list(small.orders.index)
    truth = pd.DataFrame({"order_id": ids, "is_fraud": [i == "O-BT-007" for i in ids]})
    labels = labels_for(small, truth=truth)
    assert labels.source == "truth"
    assert list(labels.is_fraud[labels.is_fraud].index) == ["O-BT-007"]
    with pytest.raises(ValueError, match="not in the truth file"):
        labels_for(small, truth=truth.iloc[1:])


# --- the comparison ----------------------------------------------------------------------


def test_a_rule_set_against_itself_changes_nothing(small, default_rules, settings) -> None:
    result = backtest(small, default_rules, default_rules, settings=settings)
    assert result.changes.empty
    assert result.review_rate_change == 0
    assert set(result.rules["in_sets"]) == {"both"}


def test_a_new_rule_reports_its_hits_precision_recall_and_the_orders_it_moves(
    small, default_rules, candidate, settings
) -> None:
    result = backtest(small, candidate, default_rules, settings=settings)
    row = result.rules.query("rule_set == 'candidate' and rule_id == 'big_order'").iloc[0]
    assert row["in_sets"] == "candidate only"
    assert row["hits"] == 4 and row["fraud_caught"] == 2 and row["good_hit"] == 2
    assert row["precision"] == pytest.approx(2 / 4)
    assert row["recall"] == pytest.approx(2 / 3)
    assert row["hit_rate"] == pytest.approx(4 / 8)
    assert "big_order" not in set(result.rules.query("rule_set == 'current'")["rule_id"])

    moved = result.changes.set_index("order_id")
    assert set(moved.index) == {"O-BT-000", "O-BT-001", "O-BT-002", "O-BT-003"}
    assert set(moved["action_current"]) == {"approve"}
    assert set(moved["action_candidate"]) == {"review"}
    assert moved.at["O-BT-000", "is_fraud"] and not moved.at["O-BT-003", "is_fraud"]
    assert set(moved["hits_added"]) == {"big_order"}

    summary = result.summary
    assert summary.at["current", "review_rate"] == 0
    assert summary.at["candidate", "review_rate"] == pytest.approx(4 / 8)
    assert result.review_rate_change == pytest.approx(4 / 8)
    assert summary.at["candidate", "recall"] == pytest.approx(2 / 3)
    assert summary.at["candidate", "precision"] == pytest.approx(2 / 4)


def test_a_tuned_rule_under_the_same_id_is_marked_changed(small, settings) -> None:
    def rules(threshold: int, version: str):  # noqa: ANN202
        return parse_rules(BIG_ORDER_RULE.replace("500", str(threshold))
                           .replace("cand.1", version))

    result = backtest(small, rules(600, "b"), rules(500, "a"), settings=settings)
    assert set(result.rules["in_sets"]) == {"both, changed"}
    assert list(result.changes["order_id"]) == ["O-BT-002"]  # 520 EUR: no longer held
    wide = result.rules_side_by_side().set_index("rule_id")
    assert wide.at["big_order", "hits_current"] == 4
    assert wide.at["big_order", "hits_candidate"] == 3


class _FixedModel:
    version = "test-model"

    def __init__(self, probability: float | None) -> None:
        self.probability = probability

    def predict_one(self, features):  # noqa: ANN001, ANN201
        if self.probability is None:
            raise RuntimeError("broken model")
        return self.probability, [Reason("m", "model says so", None, 5.0, "model")]


def test_a_model_probability_counts_for_both_sets_and_a_broken_model_leans_to_review(
    settings: Settings,
) -> None:
    orders = [_order(i, "50.00", hours=i) for i in range(3)]
    rules = parse_rules(BIG_ORDER_RULE)
    thresholds = thresholds_from(settings)
    with_model = replay_orders(orders, settings=settings, model=_FixedModel(0.5))
    assert with_model.model_version == "test-model"
    assert set(run_rules(rules, with_model, thresholds).decisions["score"]) == {50}
    broken = replay_orders(orders, settings=settings, model=_FixedModel(None))
    assert all("model" in u for u in broken.orders["signals_unavailable"])
    assert set(run_rules(rules, broken, thresholds).decisions["score"]) == {
        settings.unavailable_points}
    given = with_model.with_probabilities({"O-BT-000": 0.9}, "notebook-model")
    assert list(run_rules(rules, given, thresholds).decisions["score"]) == [90, 0, 0]


def test_backtest_on_simulated_data_is_consistent(sim_replay, default_rules, candidate,
                                                   settings) -> None:
    result = backtest(sim_replay, candidate, default_rules, settings=settings)
    n = len(sim_replay)
    for name in ("current", "candidate"):
        rules = result.rules.query("rule_set == @name")
        assert (rules["fraud_caught"] + rules["good_hit"] == rules["hits"]).all()
        assert ((rules["precision"].isna()) | rules["precision"].between(0, 1)).all()
        row = result.summary.loc[name]
        assert row["fraud_flagged"] + row["good_flagged"] == pytest.approx(
            row["flagged_rate"] * n)
    # adding a rule that only forces review can only move orders towards review or decline
    assert (result.changes["action_candidate"] != "approve").all()
    moved_by_rule = result.changes["hits_added"].str.contains("big_order").all()
    assert moved_by_rule or result.changes.empty


def test_result_writes_everything_as_json_or_three_csv_files(small, candidate, default_rules,
                                                              settings, tmp_path: Path) -> None:
    result = backtest(small, candidate, default_rules, settings=settings)
    [path] = result.write(tmp_path / "r.json")
    data = json.loads(path.read_text())
    assert data["candidate_version"] == candidate.version
    assert {r["order_id"] for r in data["changes"]} == set(result.changes["order_id"])
    files = result.write(tmp_path / "r.csv")
    assert [f.name for f in files] == ["r.csv", "r.summary.csv", "r.changes.csv"]
    assert len(pd.read_csv(files[0])) == len(result.rules)
    with pytest.raises(ValueError, match="use .json or .csv"):
        result.write(tmp_path / "r.xlsx")


def test_the_printed_backtest_names_the_rules_rates_and_moved_orders(small, candidate,
                                                                      default_rules,
                                                                      settings) -> None:
    text = format_backtest(backtest(small, candidate, default_rules, settings=settings), 2)
    assert "big_order" in text and "candidate only" in text
    assert "review rate" in text and "+50.00 pp" in text
    assert "approve → review: 4 (2 fraud, 2 good)" in text
    assert "... and 2 more" in text


# --- sources: store and CLI --------------------------------------------------------------


def test_replay_from_the_store_reads_orders_and_their_outcomes(session, settings) -> None:  # noqa: ANN001
    from fraud.domain import Decision, Versions
    from fraud.store.repository import record_outcome, save_decision

    orders = [_order(i, "50.00", hours=i) for i in range(3)]
    for o in orders:
        d = Decision(o.order_id, 0, Action.APPROVE, (), (), (), Versions("r", "m", "s"))
        save_decision(session, o, d, {})
    record_outcome(session, "O-BT-001", Outcome.CHARGEBACK, T0 + timedelta(days=30))
    replay = replay_store(session, settings=settings)
    assert list(replay.orders.index) == ["O-BT-000", "O-BT-001", "O-BT-002"]
    labels = labels_for(replay)
    assert list(labels.is_fraud[labels.is_fraud].index) == ["O-BT-001"]
    later = replay_store(session, since=T0 + timedelta(hours=1), settings=settings)
    assert list(later.orders.index) == ["O-BT-001", "O-BT-002"]


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.command("backtest")(backtest_command)
    app.command("noop")(lambda: None)  # a second command keeps "backtest" a sub-command
    return app


def test_cli_backtest_prints_the_comparison_and_writes_the_result(sim, tmp_path: Path) -> None:
    _, folder = sim
    rules = tmp_path / "new.yaml"
    rules.write_text(BIG_ORDER_RULE)
    out = tmp_path / "result.json"
    res = CliRunner().invoke(_cli(), [
        "backtest", "--rules", str(rules), "--orders", str(folder / "orders.jsonl.gz"),
        "--outcomes", str(folder / "outcomes.jsonl.gz"), "--truth", str(folder / "truth.csv.gz"),
        "--out", str(out), "--jobs", "1"])
    assert res.exit_code == 0, res.output
    assert "big_order" in res.output and "candidate only" in res.output
    assert "labels: ground truth file" in res.output
    assert json.loads(out.read_text())["label_source"] == "truth"


def test_cli_backtest_needs_one_source_of_orders_and_reports_bad_rules(tmp_path: Path) -> None:
    rules = tmp_path / "bad.yaml"
    rules.write_text(BIG_ORDER_RULE.replace("amount_eur", "amount_euros"))
    res = CliRunner().invoke(_cli(), ["backtest", "--rules", str(rules)])
    assert res.exit_code == 1 and "--orders FILE or --from-store" in res.output
    orders = tmp_path / "o.jsonl"
    orders.write_text("")
    res = CliRunner().invoke(_cli(), ["backtest", "--rules", str(rules), "--orders", str(orders)])
    assert res.exit_code == 1 and "amount_euros" in res.output


def test_a_saved_replay_is_reused_only_for_the_same_inputs(sim, sim_replay, settings,
                                                           tmp_path: Path) -> None:
    _, folder = sim
    inputs = [folder / "orders.jsonl.gz", folder / "outcomes.jsonl.gz"]
    fingerprint = bt.replay_fingerprint(inputs, settings)
    bt.save_replay(sim_replay, tmp_path / "replay.pkl", fingerprint)
    loaded = bt.load_replay(tmp_path / "replay.pkl", fingerprint)
    assert loaded is not None
    assert list(loaded.orders["features"]) == list(sim_replay.orders["features"])
    other = tmp_path / "outcomes.jsonl"
    other.write_text(json.dumps({"order_id": "O-00000001", "outcome": "paid",
                                 "at": "2025-09-01T10:00:00+00:00"}) + "\n")
    assert bt.replay_fingerprint([inputs[0], other], settings) != fingerprint
    assert bt.load_replay(tmp_path / "replay.pkl", "something else") is None
    assert bt.load_replay(tmp_path / "missing.pkl", fingerprint) is None
