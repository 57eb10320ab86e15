"""``json_safe``: any value the library produces, as plain JSON values.

One function for the store (decisions, features, shadow runs) and the model's files
(encodings, calibration, cards, reports): JSON has no NaN, Decimal, datetime or
numpy number, and PostgreSQL's JSONB refuses NaN.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np


def json_safe(value: Any) -> Any:
    """Plain JSON values: NaN and infinities become ``None``, Decimals and numpy numbers
    Python numbers, times ISO strings, sequences lists; anything else its ``str``."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return json_safe(float(value))
    if isinstance(value, np.generic):
        return json_safe(value.item())
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset | np.ndarray):
        return [json_safe(v) for v in value]
    return str(value)
