"""Signal registry, and the extension point for a shop's own signals.

A signal family is a function ``(order, context) -> dict[str, FeatureValue]`` plus
the list of :class:`~fraud.domain.Feature` it fills. A *signal module* lists its
signals in a module-level ``SIGNALS``; the built-in modules (``_BUILTINS``) are
loaded exactly as a shop's own would be (docs/extending.md)::

    # myshop/signals.py
    from fraud.signals import Signal
    SIGNALS = [Signal("loyalty", compute_loyalty, LOYALTY_FEATURES, requires=("history",))]

and then ``FRAUD_SIGNAL_MODULES=myshop.signals``, or an entry point in the group
``fraud.signals`` of an installed package naming the module.

A signal that raises, or whose required resource is missing from the context, is
recorded as unavailable: its features are ``None`` and the decision still comes back.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fraud.domain import Feature, FeatureValue
from fraud.errors import ConfigError
from fraud.settings import Settings, get_settings

if TYPE_CHECKING:
    from fraud.schema import Order

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Context:
    """What a signal may read besides the order. No other I/O is allowed.

    ``geo`` is a :class:`fraud.geo.GeoLocator` (or ``None`` when no database
    loaded); ``history`` a :class:`fraud.history.HistoryView` answering
    "what happened strictly before this order's time"; ``events`` a
    :class:`fraud.events.history.EventsView` answering the same for the account's
    logins and account changes (``None``: no events known, their features stay empty).
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
    events: Any | None = None

    def resource(self, name: str) -> Any | None:
        if name in ("geo", "history", "events"):
            return getattr(self, name)
        return self.extras.get(name)


SignalFn = Callable[["Order", Context], Mapping[str, FeatureValue]]


@dataclass(frozen=True)
class Signal:
    """One signal family: its name, the function computing it, the features it fills
    and the context resources (``"geo"``, ``"history"``, an extra) it needs."""

    name: str
    compute: SignalFn
    features: Sequence[Feature]
    requires: Sequence[str] = ()

    def __post_init__(self) -> None:
        features = tuple(
            f if f.signal == self.name else Feature(f.name, f.kind, f.description, self.name)
            for f in self.features
        )
        object.__setattr__(self, "features", features)
        object.__setattr__(self, "requires", tuple(self.requires))


_REGISTRY: dict[str, Signal] = {}
_ordered: tuple[Signal, ...] | None = None

ENTRY_POINT_GROUP = "fraud.signals"


def register_signal(
    name: str,
    compute: SignalFn,
    features: Sequence[Feature],
    *,
    requires: Sequence[str] = (),
) -> Signal:
    """Register one signal directly (a notebook's experiment; modules list ``SIGNALS``)."""
    return _register(Signal(name, compute, features, requires))


def _register(signal: Signal) -> Signal:
    taken = {f.name for s in _REGISTRY.values() if s.name != signal.name for f in s.features}
    clash = taken.intersection(f.name for f in signal.features)
    if clash:
        raise ValueError(f"signal {signal.name!r} redefines features {sorted(clash)}")
    global _ordered
    _REGISTRY[signal.name] = signal
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
    if not _loaded or get_settings().signal_modules != _from_settings:
        _load_default_modules()  # a cached settings look-up per order notices a new module
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
    "fraud.signals.account_events",
    "fraud.signals.contacts",
)
_loaded = False
_from_settings: tuple[str, ...] = ()


def load_signal_modules(modules: Iterable[str]) -> list[Signal]:
    """Import each signal module and register the signals its ``SIGNALS`` lists.

    Loading a module again is harmless. Raises :class:`ConfigError` naming the
    module that cannot be imported, lists no signals, or takes another's name or
    features. Returns the signals registered.
    """
    out: list[Signal] = []
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:  # ImportError, or the module's own code failing
            raise ConfigError(
                f"signal module {module_name!r} cannot be imported: {type(exc).__name__}: {exc}"
            ) from exc
        signals = getattr(module, "SIGNALS", None)
        if not isinstance(signals, list | tuple) or not all(
            isinstance(s, Signal) for s in signals
        ):
            raise ConfigError(
                f"signal module {module_name!r} must define SIGNALS, a list of "
                "fraud.signals.Signal"
            )
        for signal in signals:
            existing = _REGISTRY.get(signal.name)
            if existing is not None and existing is not signal:
                raise ConfigError(
                    f"signal module {module_name!r}: a signal named {signal.name!r} is "
                    "already registered; choose another name"
                )
            try:
                out.append(_register(signal))
            except ValueError as exc:
                raise ConfigError(f"signal module {module_name!r}: {exc}") from None
    return out


def entry_point_modules() -> list[str]:
    """Signal modules that installed packages name in the ``fraud.signals`` entry points."""
    from importlib.metadata import entry_points

    return [ep.value.split(":", 1)[0].strip() for ep in entry_points(group=ENTRY_POINT_GROUP)]


def _load_default_modules() -> None:
    """The built-in signals and installed packages' on first use; the settings' modules
    whenever ``FRAUD_SIGNAL_MODULES`` names others."""
    global _loaded, _from_settings
    if not _loaded:
        _loaded = True  # first: a signal module may itself ask for the catalogue
        try:
            load_signal_modules(_BUILTINS)
            load_signal_modules(entry_point_modules())
        except BaseException:
            _loaded = False
            raise
    wanted = get_settings().signal_modules
    if wanted != _from_settings:
        load_signal_modules(wanted)
        _from_settings = wanted
