"""Every registered signal keeps the registry's contract."""

from __future__ import annotations

import pytest
from factories import make_order
from geo_fixtures import build_test_mmdb

from fraud.geo import GeoLocator
from fraud.history import MemoryHistory
from fraud.settings import Settings
from fraud.signals import Context, compute_signals, feature_catalogue, registered_signals

ALLOWED = {"bool": (bool,), "num": (int, float), "cat": (str,), "text": (str,)}


@pytest.fixture(scope="module")
def ctx(tmp_path_factory) -> Context:
    path = tmp_path_factory.mktemp("geo") / "city.mmdb"
    build_test_mmdb(path)
    return Context(
        settings=Settings(_env_file=None), geo=GeoLocator.open(path), history=MemoryHistory()
    )


@pytest.mark.parametrize("signal", registered_signals(), ids=lambda s: s.name)
def test_every_feature_is_filled_with_its_declared_kind(signal, ctx):
    values = signal.compute(make_order(), ctx)
    assert set(values) == {f.name for f in signal.features}
    for feature in signal.features:
        value = values[feature.name]
        assert value is None or isinstance(value, ALLOWED[feature.kind]), feature.name
        if feature.kind == "num":
            assert not isinstance(value, bool), feature.name


def test_every_feature_has_a_description_a_reviewer_can_read():
    for feature in feature_catalogue().values():
        assert feature.description.endswith("."), feature.name
        assert len(feature.description) > 20, feature.name


def test_built_in_signals_run_in_a_fixed_order():
    names = [s.name for s in registered_signals()]
    assert names[:7] == ["basket", "geo", "address", "phone", "email", "device", "history"]


def test_a_failing_signal_is_reported_unavailable_and_the_rest_still_run(ctx):
    from fraud.signals import register_signal, unregister_signal

    def broken(order, ctx):
        raise RuntimeError("boom")

    register_signal("broken_for_test", broken, [])
    try:
        out = compute_signals(make_order(), ctx)
    finally:
        unregister_signal("broken_for_test")
    assert "broken_for_test" in out.unavailable
    assert out.values["amount_eur"] is not None


def test_skipped_signals_are_unavailable_and_leave_their_features_unknown(ctx):
    out = compute_signals(
        make_order(),
        Context(settings=ctx.settings, geo=ctx.geo, history=ctx.history, skip=frozenset({"email"})),
    )
    assert "email" in out.unavailable
    assert out.values["email_is_disposable"] is None
