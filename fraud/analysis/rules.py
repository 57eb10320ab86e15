"""Rules for analysts: candidate rule files written from a notebook, shadow reports as frames."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:

    from fraud.store.shadow import ShadowReport

def candidate_rules(
    base: str | Path, new_rules: str, version: str, path: str | Path
) -> Path:
    """Write a candidate rules file: the rules at ``base`` plus ``new_rules`` (YAML
    text of a list of rules, as under ``rules:``) with ``version``; a rule whose id
    is already in the base replaces it (tuning keeps the id). The file is checked
    by :func:`fraud.rules.load_rules` and refused (``RulesError``, naming the rule
    and reason) when invalid. Returns ``path``.
    """
    import yaml

    from fraud.rules import load_rules

    data = yaml.safe_load(Path(base).read_text(encoding="utf-8"))
    added = yaml.safe_load(new_rules) or []
    if not isinstance(added, list):
        raise ValueError("new_rules must be a YAML list of rules (each starting with '- id:')")
    ids = {r["id"] for r in added}
    data["rules"] = [r for r in data.get("rules", []) if r.get("id") not in ids] + added
    data["version"] = version
    path = Path(path)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    load_rules(path)  # refuse a broken file here, with the rule and reason
    return path


def shadow_summary(report: ShadowReport) -> pd.DataFrame:
    """One row per candidate version of a :func:`fraud.store.shadow.shadow_report`:
    orders, agreement with live, review and decline rates live and shadow, and the
    orders with reported fraud that each side would not have approved."""
    rows = [{
        "rules_version": v.rules_version,
        "orders": v.orders,
        "agreement": v.agreement,
        "live_review_rate": v.live_review_rate,
        "shadow_review_rate": v.shadow_review_rate,
        "review_rate_change": v.review_rate_change,
        "live_decline_rate": v.live_decline_rate,
        "shadow_decline_rate": v.shadow_decline_rate,
        "known_fraud": v.known_fraud,
        "live_fraud_flagged": v.live_fraud_flagged,
        "shadow_fraud_flagged": v.shadow_fraud_flagged,
    } for v in report.versions]
    return pd.DataFrame(rows)


def shadow_disagreements(report: ShadowReport, rules_version: str | None = None) -> pd.DataFrame:
    """The orders a candidate version decided differently from live (first version
    of the report when ``rules_version`` is ``None``)."""
    versions = [v for v in report.versions
                if rules_version is None or v.rules_version == rules_version]
    if not versions:
        return pd.DataFrame()
    rows = [{"order_id": d.order_id, "live_action": d.live_action.label,
             "shadow_action": d.shadow_action.label, "live_score": d.live_score,
             "shadow_score": d.shadow_score, "known_fraud": d.known_fraud}
            for d in versions[0].disagreements]
    return pd.DataFrame(rows, columns=["order_id", "live_action", "shadow_action", "live_score",
                                       "shadow_score", "known_fraud"])
