"""The retraining loop's serving side: a challenger scored in shadow (stored, never
acting), champion against challenger on the same labelled orders, and promote / rollback
recorded as evidence and picked up by every running runtime without a restart."""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parents[1] / "model"))

from tinymodel import shared_sample, write_model  # noqa: E402

from fraud.cli import app as cli  # noqa: E402
from fraud.domain import Outcome  # noqa: E402
from fraud.evidence.reading import records_about  # noqa: E402
from fraud.model import changes  # noqa: E402
from fraud.model.compare import compare_models  # noqa: E402
from fraud.model.dataset import LabelPolicy  # noqa: E402
from fraud.model.registry import ModelRegistry  # noqa: E402
from fraud.runtime import Runtime  # noqa: E402
from fraud.settings import Settings  # noqa: E402
from fraud.store.challenger import challenger_counts, challenger_scores_of  # noqa: E402

V1, V2 = "2026-11-01-tiny-champion", "2026-11-20-tiny-challenger"
N = 40


def _cli_env(monkeypatch: pytest.MonkeyPatch, data_dir: Path, model_dir: Path) -> None:
    from fraud.settings import get_settings

    monkeypatch.setenv("FRAUD_DATA_DIR", str(data_dir))
    monkeypatch.setenv("FRAUD_MODEL_DIR", str(model_dir))
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("models")
    sample = shared_sample()
    write_model(root, sample, version=V1, rounds=10, created_at="2026-11-01T10:00:00+00:00")
    write_model(root, sample, version=V2, rounds=40, seed=7,
                created_at="2026-11-20T10:00:00+00:00")
    return root


@pytest.fixture
def model_dir(built: Path, tmp_path: Path) -> Path:
    target = tmp_path / "models"
    shutil.copytree(built, target)
    ModelRegistry(target).promote(V1)
    return target


def _runtime(tmp: Path, model_dir: Path, url: str | None = None, **extra: str) -> Runtime:
    return Runtime.start(Settings(data_dir=tmp, model_dir=model_dir, database_url=url,
                                  _env_file=None, **extra))


@pytest.fixture
def runtimes(tmp_path, model_dir, db_url) -> Iterator[tuple[Runtime, Runtime]]:
    """Two runtimes: one without a challenger (its own SQLite store), one with V2 pinned
    as the challenger (SQLite or PostgreSQL)."""
    plain = _runtime(tmp_path / "plain", model_dir)
    shadowed = _runtime(tmp_path / "shadowed", model_dir, db_url, challenger_model=V2)
    yield plain, shadowed
    plain.close()
    shadowed.close()


def _fingerprint(decision) -> tuple:  # noqa: ANN001
    return (decision.score, decision.action, decision.model_probability,
            tuple(r.code for r in decision.reasons), decision.versions.model,
            tuple((h.rule_id, h.status) for h in decision.rule_hits))


def test_the_challenger_is_stored_for_every_order_and_never_changes_the_decision(runtimes):
    plain, shadowed = runtimes
    orders = shared_sample().orders[:N]
    for order in orders:
        without = plain.score(order).decision
        with_challenger = shadowed.score(order).decision
        assert _fingerprint(with_challenger) == _fingerprint(without), order.order_id
        assert with_challenger.versions.model == V1
    challenger = shadowed.challenger.model
    assert challenger is not None and challenger.version == V2
    with shadowed.sessions() as session:
        assert challenger_counts(session) == {V2: N}
        for order in orders[:10]:
            (stored,) = challenger_scores_of(session, order.order_id)
            features = shadowed.get_order(order.order_id).features
            expected, _ = challenger.predict_one(features)
            assert stored.probability == pytest.approx(expected)
    assert shadowed.readiness()[1]["challenger_model"] == V2
    # a retry stores nothing new
    shadowed.score(orders[0])
    with shadowed.sessions() as session:
        assert challenger_counts(session) == {V2: N}


def test_promote_and_rollback_reach_every_runtime_and_are_recorded(tmp_path, model_dir, db_url):
    first = _runtime(tmp_path / "a", model_dir, db_url)
    second = _runtime(tmp_path / "b", model_dir, db_url)
    orders = iter(shared_sample().orders)
    try:
        assert {first.score(next(orders)).decision.versions.model,
                second.score(next(orders)).decision.versions.model} == {V1}
        with first.sessions() as session:
            assert changes.promote(session, ModelRegistry(model_dir), V2, "ops:alice") == V1
        time.sleep(1.1)  # each runtime looks at CURRENT at most once a second
        assert {first.score(next(orders)).decision.versions.model,
                second.score(next(orders)).decision.versions.model} == {V2}
        with second.sessions() as session:
            assert changes.rollback(session, ModelRegistry(model_dir), "ops:bob") == V1
        time.sleep(1.1)
        assert {first.score(next(orders)).decision.versions.model,
                second.score(next(orders)).decision.versions.model} == {V1}
        with first.sessions() as session:
            records = records_about(session, [f"model:{V1}", f"model:{V2}"], open_sealed=False)
    finally:
        first.close()
        second.close()
    assert [(r.kind, r.actor, r.data["action"], r.data["version"], r.data["previous"])
            for r in records] == [("model", "ops:alice", "promote", V2, V1),
                                  ("model", "ops:bob", "rollback", V1, V2)]


def test_a_promotion_that_fails_leaves_no_record(tmp_path, model_dir):
    rt = _runtime(tmp_path, model_dir)
    try:
        with rt.sessions() as session, pytest.raises(Exception, match="not found"):
            changes.promote(session, ModelRegistry(model_dir), "2026-01-01-nowhere", "ops")
        with rt.sessions() as session:
            assert records_about(session, ["model:2026-01-01-nowhere"], open_sealed=False) == []
    finally:
        rt.close()
    assert ModelRegistry(model_dir).current_version() == V1


def test_a_challenger_set_from_the_command_line_reaches_a_running_runtime(
    tmp_path, model_dir, monkeypatch
):
    _cli_env(monkeypatch, tmp_path, model_dir)
    rt = _runtime(tmp_path, model_dir)
    orders = iter(shared_sample().orders)
    try:
        rt.score(next(orders))
        out = CliRunner().invoke(cli, ["models", "challenger", "set", V2, "--actor", "ops"])
        assert out.exit_code == 0, out.output
        time.sleep(1.1)
        scored = rt.score(next(orders))
        with rt.sessions() as session:
            assert [c.model_version for c in challenger_scores_of(session,
                                                                  scored.decision.order_id)] == [V2]
        listed = CliRunner().invoke(cli, ["models", "list"]).output
        assert f"c {V2}" in listed and f"* {V1}" in listed
        assert CliRunner().invoke(cli, ["models", "promote", V2]).exit_code == 0
        assert ModelRegistry(model_dir).challenger_version() is None  # promoted: not shadowed
        assert CliRunner().invoke(cli, ["models", "challenger", "set", V1]).exit_code == 0
        assert CliRunner().invoke(cli, ["models", "challenger", "clear"]).exit_code == 0
        assert ModelRegistry(model_dir).challenger_version() is None
    finally:
        rt.close()


def test_compare_scores_both_models_on_the_same_labelled_orders(tmp_path, model_dir,
                                                                 monkeypatch):
    sample = shared_sample()
    rt = _runtime(tmp_path, model_dir)
    try:
        for order in sample.orders[:150]:
            rt.score(order)
        scored = {o.order_id for o in sample.orders[:150]}
        for order_id, outcome, at in sample.outcomes:
            if order_id in scored:
                rt.record_outcome(order_id, Outcome(outcome), at)
        first = min(o.created_at for o in sample.orders[:150])
        last = max(o.created_at for o in sample.orders[:150])
        registry = ModelRegistry(model_dir)
        with rt.sessions() as session:
            result = compare_models(session, registry.load(V1), registry.load(V2), rt.settings,
                                    since=first, until=last + timedelta(seconds=1),
                                    policy=LabelPolicy(last + timedelta(days=90)))
    finally:
        rt.close()
    metrics = result.evaluation.metrics
    assert result.orders == 150 and result.labelled == 150  # all matured at the cut-off
    assert set(metrics["scorers"]) == {f"champion {V1}", f"challenger {V2}"}
    fraud = {o[0] for o in sample.outcomes if o[0] in scored and Outcome(o[1]).is_fraud}
    assert metrics["fraud"] == len(fraud)
    for figures in metrics["scorers"].values():
        assert "cost_eur" in figures["at_review_rate"]["0.05"]["cost"]
    _cli_env(monkeypatch, tmp_path, model_dir)
    out = CliRunner().invoke(cli, ["models", "compare", V2, "--until",
                                   (last + timedelta(days=90)).isoformat(), "--days", "200"])
    assert out.exit_code == 0, out.output
    assert f"champion {V1}" in out.output and f"challenger {V2}" in out.output


def test_training_from_the_store_learns_reviewers_decisions_as_known_when_they_were_made(
    tmp_path, model_dir
):
    """`fraud train --from-store` reads what reviewers decided as labels (cancel: fraud,
    approve: good), each known from the moment it was decided: a cut-off before it
    leaves the order unlabelled (the label delay)."""
    import pandas as pd

    from fraud.model.dataset import label_orders, load_store
    from fraud.review.actions import ReviewAction, act
    from fraud.review.roles import Role
    from fraud.review.users import add_user

    sys.path.insert(0, str(Path(__file__).parents[1] / "review"))
    from holding import PASSWORD, hold

    rt = _runtime(tmp_path, model_dir)
    try:
        with rt.sessions() as session:
            cancelled, approved = hold(session), hold(session)
            rita = add_user(session, "rita", Role.REVIEWER, PASSWORD)
            done = act(session, rita, cancelled, ReviewAction.CANCEL, version=0,
                       reason="stolen card")
            act(session, rita, approved, ReviewAction.APPROVE, version=0)
            raw = load_store(session)
    finally:
        rt.close()
    created = pd.Series({o.order_id: o.created_at for o in raw.orders}, dtype=object)
    after = label_orders(created, raw.outcomes,
                         LabelPolicy(done.at + timedelta(minutes=1), timedelta(days=60)))
    assert after[cancelled] == 1.0 and after[approved] == 0.0
    before = label_orders(created, raw.outcomes,
                          LabelPolicy(done.at - timedelta(minutes=1), timedelta(days=60)))
    assert before.isna().all()
