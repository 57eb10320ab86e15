"""What the pipeline needs from a model: a version, and for one feature vector
a fraud probability plus the feature contributions behind it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from fraud.domain import FeatureValue, Reason

RULES_ONLY = "none (rules only)"


class ModelScorer(Protocol):
    version: str

    def predict_one(self, features: Mapping[str, FeatureValue]) -> tuple[float, Sequence[Reason]]:
        """Probability of fraud for one order, and reasons ordered by contribution."""
        ...
