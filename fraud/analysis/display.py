"""How analysis tables are shown in a notebook: shares as percentages, money in euros,
whole numbers without decimals, AUCs to three places, by the column's name.

pandas shows every float with six decimals, so a review rate of 0.4 % reads
``0.004000`` and a threshold of 40 reads ``40.000000``; :func:`styled` fixes that
for any frame of :mod:`fraud.analysis`, also transposed (names in the index).

    >>> styled(threshold_table)   # in a notebook cell
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from pandas.io.formats.style import Styler

_SHARE_NAMES = {"recall", "precision", "agreement", "coverage", "probability",
                "missing_fraud", "missing_good"}
_SHARE_PARTS = ("_rate", "share_", "_share", "recall@", "precision@", "rate_change")
_AUC_PARTS = ("auc",)


def percent(value: Any) -> str:
    """0.004 -> '0.40%', 0.4 -> '40.0%'; more places for small shares, which matter here."""
    if _missing(value):
        return "–"
    v = float(value)
    return f"{v:.2%}" if abs(v) < 0.1 else f"{v:.1%}"


def euros(value: Any) -> str:
    return "–" if _missing(value) else f"€{float(value):,.0f}"


def number(value: Any) -> str:
    """Whole numbers without decimals (a threshold of 40, 375 orders), others to 3 places."""
    if _missing(value):
        return "–"
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        return str(value)
    v = float(value)
    return f"{v:,.0f}" if v.is_integer() else f"{v:,.3f}"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float | np.floating) and np.isnan(value))


def formatter_for(name: Hashable) -> Callable[[Any], str] | None:
    """The formatter a column (or, transposed, a row) gets from its name; None: as is."""
    text = str(name)
    if text.endswith("_eur"):
        return euros
    if text == "points":
        return lambda v: "–" if _missing(v) else f"{float(v):+.0f}"
    if text in _SHARE_NAMES or any(part in text for part in _SHARE_PARTS):
        return percent
    if any(part in text for part in _AUC_PARTS):
        return lambda v: "–" if _missing(v) else f"{float(v):.3f}"
    return None


def styled(frame: pd.DataFrame) -> Styler:
    """``frame`` ready to show: each numeric column (or row, when the names are in the
    index) formatted by its name, other numbers as :func:`number`."""
    transposed = not any(formatter_for(c) for c in frame.columns) and any(
        formatter_for(i) for i in frame.index)
    style = frame.style.format(number, na_rep="–")
    names = frame.index if transposed else frame.columns
    for name in names:
        fmt = formatter_for(name)
        if fmt is None:
            continue
        subset = pd.IndexSlice[[name], :] if transposed else pd.IndexSlice[:, [name]]
        style = style.format(fmt, subset=subset)
    return style
