"""Hypothesis profiles for the property tests: modest by default, more on request.

    HYPOTHESIS_PROFILE=thorough .venv/bin/python -m pytest tests/property
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# Each example through the API scores and stores an order (milliseconds): 50 per
# property keeps the suite's run time modest; "thorough" is for a hunt by hand.
settings.register_profile(
    "default", max_examples=50, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "thorough", max_examples=2000, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
