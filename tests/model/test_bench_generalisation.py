"""The generalisation bench's own arithmetic: fraud rate scaling and pooling over shops."""

from __future__ import annotations

import pytest

from bench.bench_generalisation import pool, with_fraud_rate
from fraud.simulate import ShopConfig


def test_a_judged_shops_fraud_rate_is_drawn_in_the_range_and_the_same_for_the_same_shop() -> None:
    for seed in (900, 901, 902):
        shop = ShopConfig.random(seed)
        scaled = with_fraud_rate(shop, 0.005, 0.015)
        assert 0.005 <= scaled.rates.fraud_total() <= 0.015 + 1e-6
        assert with_fraud_rate(shop, 0.005, 0.015) == scaled
        # honest quirks stay as drawn, except victims' reorders, which follow the fraud
        assert scaled.rates.mobile_ip == shop.rates.mobile_ip
        ratio = scaled.rates.fraud_total() / shop.rates.fraud_total()
        assert scaled.rates.victim_reorder == pytest.approx(shop.rates.victim_reorder * ratio,
                                                            abs=1e-6)


def _shop(fraud: int, caught2: float, honest: int, flagged: float) -> dict:
    return {"fraud": fraud, "fraud_seen": fraud, "honest": honest, "roc_auc": 0.9,
            "recall@2%": caught2 / fraud, "caught@2%": caught2, "recall@5%": 1.0,
            "caught@5%": float(fraud), "seen recall@2%": caught2 / fraud,
            "seen caught@2%": caught2, "seen recall@5%": 1.0, "seen caught@5%": float(fraud),
            "honest_flagged": flagged, "honest_declined": 0.0}


def test_pooled_recall_counts_frauds_caught_at_each_shops_own_rate_over_all_frauds() -> None:
    shops = [_shop(10, 9, 1000, 0.01), _shop(30, 15, 3000, 0.02), _shop(20, 18, 1000, 0.0)]
    pooled = pool(shops)
    assert pooled["fraud"] == 60
    assert pooled["recall@2%"] == pytest.approx(42 / 60)  # not the mean of 90 %, 50 %, 90 %
    assert pooled["honest_flagged"] == pytest.approx((10 + 60 + 0) / 5000)
    assert pooled["spread"]["recall@2%"] == pytest.approx([0.5, 0.9, 0.9])
