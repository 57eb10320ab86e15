"""Analysis helpers for the notebooks: stored orders and decisions as pandas frames,
fraud rates, how well each signal separates fraud from honest orders, thresholds
chosen by cost, model explanations as tables, candidate rule files and shadow reports.

Notebooks hold no logic of their own; everything they compute is a function here
(or elsewhere in ``fraud/``), so it is tested and reused. Functions take frames or
library objects and return frames; none of them writes into the repository.

    >>> from fraud.analysis import orders_frame, fraud_rates, signal_separation
    >>> with runtime.sessions() as session:
    ...     frame = orders_frame(session)
    >>> fraud_rates(frame, "billing_country")
"""

from fraud.analysis.display import styled
from fraud.analysis.frames import (
    add_truth,
    orders_frame,
)
from fraud.analysis.notebook import (
    SampleFiles,
    bundled_model_dir,
    notebook_folder,
    notebook_settings,
    orders_in_time_order,
    sample_files,
    score_live,
)
from fraud.analysis.rules import (
    candidate_rules,
    shadow_disagreements,
    shadow_summary,
)
from fraud.analysis.separation import (
    fraud_rates,
    signal_separation,
)
from fraud.analysis.thresholds import (
    cheapest,
    comparison_table,
    explain_orders,
    pattern_table,
    service_scores,
    threshold_costs,
)

__all__ = [
    "SampleFiles",
    "add_truth",
    "bundled_model_dir",
    "candidate_rules",
    "cheapest",
    "comparison_table",
    "explain_orders",
    "fraud_rates",
    "notebook_folder",
    "notebook_settings",
    "orders_frame",
    "orders_in_time_order",
    "pattern_table",
    "sample_files",
    "score_live",
    "service_scores",
    "shadow_disagreements",
    "shadow_summary",
    "signal_separation",
    "styled",
    "threshold_costs",
]
