"""The feature vector: one flat, named set of values per order.

The same :func:`build_features` serves online scoring (one order, history as of
now) and batch scoring (:func:`build_frame`, the same function mapped over
orders, history as of each order's own time).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fraud.domain import Feature, FeatureValue
from fraud.signals import Context, compute_signals, feature_catalogue

if TYPE_CHECKING:
    import pandas as pd

    from fraud.schema import Order


@dataclass(frozen=True)
class FeatureVector:
    values: dict[str, FeatureValue]
    signals_unavailable: tuple[str, ...]
    signal_errors: dict[str, str]


def build_features(order: Order, ctx: Context) -> FeatureVector:
    """Every registered signal's values for one order, as of the order's time."""
    out = compute_signals(order, ctx)
    return FeatureVector(out.values, out.unavailable, out.errors)


def model_feature_names(catalogue: Mapping[str, Feature] | None = None) -> list[str]:
    """Names the model may see: everything but display-only ``text`` features."""
    catalogue = catalogue if catalogue is not None else feature_catalogue()
    return [name for name, f in catalogue.items() if f.kind != "text"]


def build_frame(orders: Iterable[Order], ctx: Context) -> pd.DataFrame:
    """Batch features: :func:`build_features` mapped over orders, indexed by order id.

    ``ctx.history`` must already hold every order and outcome to be seen; each
    order only sees what happened strictly before its own ``created_at``.
    """
    import pandas as pd

    rows: dict[str, dict[str, FeatureValue]] = {}
    for order in orders:
        rows[order.order_id] = build_features(order, ctx).values
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "order_id"
    return frame
