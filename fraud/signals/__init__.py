"""Signal registry.

A signal family is a function ``(order, context) -> dict[str, FeatureValue]`` plus
the list of :class:`~fraud.domain.Feature` it fills. Built-in signals register
exactly as a shop's own would::

    from fraud.signals import register_signal
    register_signal("loyalty", compute_loyalty, LOYALTY_FEATURES, requires=("history",))

A signal that raises, or whose required resource is missing from the context, is
recorded as unavailable: its features are ``None`` and the decision still comes back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fraud.domain import Feature, FeatureValue
from fraud.settings import Settings

if TYPE_CHECKING:
    from fraud.schema import Order

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Context:
    """What a signal may read besides the order. No other I/O is allowed.

    ``geo`` is a :class:`fraud.geo.GeoLocator` (or ``None`` when no database
    loaded); ``history`` a :class:`fraud.history.HistoryView` answering
    "what happened strictly before this order's time".
    """

    settings: Settings
    geo: Any | None = None
    history: Any | None = None
    extras: Mapping[str, Any] = field(default_factory=dict)
    # Signals the data cannot support (e.g. an imported data set without addresses):
    # reported unavailable instead of computed from placeholder values.
    skip: frozenset[str] = frozenset()
    # The order's linking keys (fraud.keys.OrderKeys) when the pipeline computed them
    # already, so signals that need them do not compute them a second time.
    order_keys: Any | None = None

    def resource(self, name: str) -> Any | None:
        if name in ("geo", "history"):
            return getattr(self, name)
        return self.extras.get(name)


SignalFn = Callable[["Order", Context], Mapping[str, FeatureValue]]


@dataclass(frozen=True)
class Signal:
    name: str
    compute: SignalFn
    features: tuple[Feature, ...]
    requires: tuple[str, ...] = ()


_REGISTRY: dict[str, Signal] = {}
_ordered: tuple[Signal, ...] | None = None


def register_signal(
    name: str,
    compute: SignalFn,
    features: Sequence[Feature],
    *,
    requires: Sequence[str] = (),
) -> Signal:
    feats = tuple(
        f if f.signal == name else Feature(f.name, f.kind, f.description, name) for f in features
    )
    taken = {f.name for s in _REGISTRY.values() if s.name != name for f in s.features}
    clash = taken.intersection(f.name for f in feats)
    if clash:
        raise ValueError(f"signal {name!r} redefines features {sorted(clash)}")
    global _ordered
    signal = Signal(name, compute, feats, tuple(requires))
    _REGISTRY[name] = signal
    _ordered = None
    return signal


def unregister_signal(name: str) -> None:
    """Remove a signal (a shop's own, or a test's); unknown names are ignored."""
    global _ordered
    _REGISTRY.pop(name, None)
    _ordered = None


def registered_signals() -> tuple[Signal, ...]:
    """Built-in signals in their fixed order, then a shop's own in registration order.

    The order must not depend on which module happened to be imported first:
    feature vectors, docs and stored features would differ between processes.
    """
    global _ordered
    _load_builtins()
    if _ordered is None:  # computed once per registry change, not per order
        rank = {m.rsplit(".", 1)[1]: i for i, m in enumerate(_BUILTINS)}
        pairs = sorted(enumerate(_REGISTRY.values()), key=lambda p: (rank.get(p[1].name, 99), p[0]))
        _ordered = tuple(signal for _, signal in pairs)
    return _ordered


def feature_catalogue() -> dict[str, Feature]:
    """Every feature any registered signal fills, by name, in registration order."""
    return {f.name: f for s in registered_signals() for f in s.features}


@dataclass(frozen=True)
class SignalOutput:
    values: dict[str, FeatureValue]
    unavailable: tuple[str, ...]
    errors: dict[str, str]


def compute_signals(order: Order, ctx: Context) -> SignalOutput:
    values: dict[str, FeatureValue] = {}
    unavailable: list[str] = []
    errors: dict[str, str] = {}
    for signal in registered_signals():
        missing = [r for r in signal.requires if ctx.resource(r) is None]
        result: Mapping[str, FeatureValue] = {}
        if signal.name in ctx.skip:
            unavailable.append(signal.name)
            errors[signal.name] = "not in the source data"
        elif missing:
            unavailable.append(signal.name)
            errors[signal.name] = f"missing {', '.join(missing)}"
        else:
            try:
                result = signal.compute(order, ctx)
            except Exception as exc:  # a broken signal must not stop the decision
                log.exception("signal %s failed on order %s", signal.name, order.order_id)
                unavailable.append(signal.name)
                errors[signal.name] = f"{type(exc).__name__}: {exc}"
                result = {}
        for f in signal.features:
            values[f.name] = result.get(f.name)
    return SignalOutput(values, tuple(unavailable), errors)


_BUILTINS = (
    "fraud.signals.basket",
    "fraud.signals.geo",
    "fraud.signals.address",
    "fraud.signals.phone",
    "fraud.signals.email",
    "fraud.signals.device",
    "fraud.signals.history",
)
_loaded = False


def _load_builtins() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    import importlib

    for module in _BUILTINS:
        importlib.import_module(module)
