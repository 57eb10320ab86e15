"""Does detection hold on a shop it was not built on? The generalisation table.

    .venv/bin/python bench/bench_generalisation.py [--train-shops 3] [--orders 4000]
        [--test-orders 6000] [--test-days 120] [--cutoff-day 90] [--out var/bench-generalisation]

1. Simulates ``--train-shops`` random shops A (shop seeds ``--shop-seed``, +1, ...),
   pools them and trains a model with the project's own training code
   (:func:`fraud.model.train.train`).
2. Simulates a held-out shop B with another configuration and seed
   (``--test-shop-seed``, ``--test-seed``) over ``--test-days`` days, and trains
   B's own model as of ``--cutoff-day`` (``fraud train --cutoff``: labels as known
   then, validated on the latest orders whose labels matured by then; the
   defaults ``--maturity-days 40 --valid-days 14 --gap-days 3`` leave a 90-day
   shop enough weeks to train on).
3. Scores all of B through the one batch scoring pipeline
   (:class:`fraud.batch.BatchScorer`), each outcome reaching history only at its
   reported time (a chargeback counts from the day it arrives), three times:
   (a) the bundled model and rules, (b) the model trained on shops A,
   (c) B's own model; each with the default rules and thresholds.
4. Judges the orders after the cut-off day against the simulator's ground truth
   and prints the table: recall when the top 2 % and 5 % are reviewed, ROC-AUC,
   and the share of honest orders flagged (review or decline) and declined.

Figures are printed and written to ``--out`` (``results.json``, ``table.md``);
nothing is asserted. Small sizes run in a few minutes on two cores.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fraud.batch import BatchScorer  # noqa: E402
from fraud.domain import Action, Outcome  # noqa: E402
from fraud.history import utc  # noqa: E402
from fraud.model.dataset import OutcomeEvent, RawData  # noqa: E402
from fraud.model.evaluate import at_review_rate  # noqa: E402
from fraud.model.train import TrainConfig, train  # noqa: E402
from fraud.schema import Order  # noqa: E402
from fraud.settings import Settings, get_settings  # noqa: E402
from fraud.simulate import ShopConfig, simulate  # noqa: E402
from fraud.simulate.family import pooled, simulate_family  # noqa: E402

REVIEW_RATES = (0.02, 0.05)
_STARTED = time.perf_counter()


def say(message: str) -> None:
    print(f"[{time.perf_counter() - _STARTED:6.0f} s] {message}", flush=True)


def to_raw(orders: Sequence[dict], outcomes: pd.DataFrame, source: str) -> RawData:
    """Validated orders in time order and their outcome events, as training reads them."""
    parsed = tuple(Order.model_validate_json(json.dumps(o)) for o in orders)
    parsed = tuple(sorted(parsed, key=lambda o: (utc(o.created_at), o.order_id)))
    at = pd.to_datetime(outcomes["at"], utc=True)
    events = tuple(sorted(
        (OutcomeEvent(str(i), Outcome(k), t.to_pydatetime()) for i, k, t in zip(
            outcomes["order_id"], outcomes["outcome"], at, strict=True)),
        key=lambda e: e.at))
    return RawData(parsed, events, source)


def ticker(total: int, what: str, every: int = 5000) -> Callable[[int], None]:
    """A progress callback: one line every ``every`` orders."""
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if done % every < n or done == total:
            say(f"  {what}: {done:,} of {total:,} orders")

    return tick


def train_model(raw: RawData, settings: Settings, out: Path, config: TrainConfig) -> Settings:
    """Train with the project's training code; settings that serve the new model."""
    result = train(raw, settings, config, out_dir=out,
                   progress=ticker(len(raw.orders), "features"))
    say(f"trained {result.version} on {len(raw.orders)} orders -> {result.path}")
    return settings.model_copy(update={"model_dir": out, "model_version": result.version})


def train_as_of(raw: RawData, settings: Settings, out: Path, cutoff: pd.Timestamp,
                args: argparse.Namespace) -> Settings:
    """B's own model as the shop would train it at ``cutoff`` (``fraud train --cutoff``):
    labels as known then, validation on the latest orders whose labels have matured."""
    config = TrainConfig(cutoff=cutoff.to_pydatetime(), maturity=timedelta(days=args.maturity_days),
                         gap_days=args.gap_days, valid_days=args.valid_days)
    try:
        return train_model(raw, settings, out, config)
    except ValueError as exc:
        raise SystemExit(f"error: training shop B's own model as of {cutoff.date()}: {exc}\n"
                         "(give shop B more orders, or change --cutoff-day, --maturity-days, "
                         "--valid-days or --gap-days)") from None


def score_late(raw: RawData, settings: Settings) -> pd.DataFrame:
    """Every order of ``raw`` scored in time order as the service would have seen it, the
    way ``fraud score --outcomes`` does: an outcome joins history once its order is known
    and is visible only to orders after its own time."""
    scorer = BatchScorer(settings, outcomes=[(e.order_id, e.outcome, e.at) for e in raw.outcomes])
    rows = []
    for order in raw.orders:
        decision = scorer.score(order).decision
        rows.append((order.order_id, utc(order.created_at), decision.score, int(decision.action)))
    return pd.DataFrame(rows, columns=["order_id", "created_at", "score", "action"])


def figures(scored: pd.DataFrame, truth: pd.DataFrame, judged_from: pd.Timestamp
            ) -> dict[str, Any]:
    """The table's columns for the orders created from ``judged_from`` on."""
    from sklearn.metrics import roc_auc_score

    frame = scored.merge(truth[["order_id", "is_fraud", "pattern", "honest_quirk"]],
                         on="order_id")
    frame = frame[frame["created_at"] >= judged_from]
    y = frame["is_fraud"].to_numpy().astype(int)
    s = frame["score"].to_numpy().astype(float)
    honest = frame[~frame["is_fraud"]]
    out: dict[str, Any] = {"orders": len(frame), "fraud": int(y.sum())}
    for rate in REVIEW_RATES:
        out[f"recall@{rate:.0%}"] = at_review_rate(y, s, rate)["recall"] if y.any() else None
    out["roc_auc"] = float(roc_auc_score(y, s)) if 0 < y.sum() < len(y) else None
    out["honest_flagged"] = float((honest["action"] >= Action.REVIEW).mean())
    out["honest_declined"] = float((honest["action"] == Action.DECLINE).mean())
    out["fraud_flagged"] = float((frame.loc[frame["is_fraud"], "action"] >= Action.REVIEW).mean())
    flagged = frame["action"] >= Action.REVIEW
    fraud, plain = frame["is_fraud"], frame["honest_quirk"]
    out["flagged_by_kind"] = {
        **{f"fraud: {p}": (float(flagged[frame["pattern"] == p].mean()), int((frame["pattern"]
                                                                             == p).sum()))
           for p in sorted(set(frame.loc[fraud, "pattern"]))},
        **{f"honest: {q}": (float(flagged[~fraud & (plain == q)].mean()),
                            int((~fraud & (plain == q)).sum()))
           for q in sorted(set(frame.loc[~fraud, "honest_quirk"]))},
    }
    return out


def kind_table(rows: dict[str, dict[str, Any]]) -> str:
    """Share flagged (review or decline) per fraud pattern and honest quirk, per model."""
    names = list(rows)
    kinds = list(next(iter(rows.values()))["flagged_by_kind"])
    lines = ["| flagged (review or decline) | orders | "
             + " | ".join(n.split(" ", 1)[0] for n in names) + " |",
             "|---|---|" + "---|" * len(names)]
    for kind in kinds:
        count = rows[names[0]]["flagged_by_kind"][kind][1]
        cells = " | ".join(f"{100 * rows[n]['flagged_by_kind'][kind][0]:.0f} %" for n in names)
        lines.append(f"| {kind} | {count} | {cells} |")
    return "\n".join(lines)


def table(rows: dict[str, dict[str, Any]]) -> str:
    def pct(v: float | None) -> str:
        return "–" if v is None else f"{100 * v:.1f} %"

    lines = ["| model judged on shop B's later weeks | recall @2 % | recall @5 % | ROC-AUC "
             "| honest flagged | honest declined | fraud flagged |",
             "|---|---|---|---|---|---|---|"]
    for name, m in rows.items():
        auc = "–" if m["roc_auc"] is None else f"{m['roc_auc']:.3f}"
        lines.append(f"| {name} | {pct(m['recall@2%'])} | {pct(m['recall@5%'])} | {auc} | "
                     f"{pct(m['honest_flagged'])} | {pct(m['honest_declined'])} | "
                     f"{pct(m['fraud_flagged'])} |")
    return "\n".join(lines)


def add_own_model_options(p: argparse.ArgumentParser) -> None:
    """How the shop's own model is trained as of the cut-off (``fraud train`` options)."""
    p.add_argument("--maturity-days", type=float, default=40.0,
                   help="fraud train --maturity-days: an order this old with no chargeback "
                   "counts as good")
    p.add_argument("--valid-days", type=float, default=14.0,
                   help="fraud train --valid-days: days of matured orders it is validated on")
    p.add_argument("--gap-days", type=float, default=3.0,
                   help="fraud train --gap-days: days between its training and validation orders")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--train-shops", type=int, default=3, help="how many training shops A")
    p.add_argument("--orders", type=int, default=4000, help="orders per training shop")
    p.add_argument("--days", type=int, default=90, help="days of traffic per training shop")
    p.add_argument("--shop-seed", type=int, default=100, help="shop seed of the first shop A")
    p.add_argument("--seed", type=int, default=1, help="simulation seed of the first shop A")
    p.add_argument("--test-orders", type=int, default=6000, help="orders of shop B")
    p.add_argument("--test-days", type=int, default=120, help="days of traffic of shop B")
    p.add_argument("--cutoff-day", type=int, default=90,
                   help="B's own model trains on days before this; all models are judged after")
    add_own_model_options(p)
    p.add_argument("--test-shop-seed", type=int, default=900, help="shop seed of shop B")
    p.add_argument("--test-seed", type=int, default=901, help="simulation seed of shop B")
    p.add_argument("--out", type=Path, default=ROOT / "var" / "bench-generalisation")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if not 0 < args.cutoff_day < args.test_days:
        raise SystemExit("error: --cutoff-day must fall inside --test-days")
    args.out.mkdir(parents=True, exist_ok=True)
    settings = get_settings()

    say(f"simulating {args.train_shops} training shops A, {args.orders} orders each")
    family = simulate_family(args.train_shops, args.orders, days=args.days, seed=args.seed,
                             shop_seed=args.shop_seed)
    for run in family:
        say(f"  {run.tag}: {run.shop.summary()}")
    orders, outcomes, _ = pooled(family)
    raw_a = to_raw(orders, outcomes, "shops-a")
    say("training on shops A (features through the scoring pipeline)")
    served_a = train_model(raw_a, settings, args.out / "models-a", TrainConfig())

    shop_b = ShopConfig.random(args.test_shop_seed)
    say(f"simulating held-out {shop_b.summary()}: {args.test_orders} orders over "
        f"{args.test_days} days")
    sim_b = simulate(args.test_orders, days=args.test_days, seed=args.test_seed, shop=shop_b)
    raw_b = to_raw(list(sim_b.orders()), sim_b.outcomes, "shop-b")
    truth_b = sim_b.truth()
    cutoff = pd.Timestamp(sim_b.start + timedelta(days=args.cutoff_day)).tz_convert("UTC")
    say(f"training shop B's own model as of {cutoff.date()} (day {args.cutoff_day})")
    served_b = train_as_of(raw_b.as_of(cutoff.to_pydatetime()), settings,
                           args.out / "models-b", cutoff, args)

    results = {}
    for name, served in (("(a) bundled model + rules, out of the box", settings),
                         ("(b) trained on shops A", served_a),
                         ("(c) same shop: trained on B's first weeks", served_b)):
        began = time.perf_counter()
        scored = score_late(raw_b, served)
        results[name] = figures(scored, truth_b, cutoff)
        say(f"scored shop B with {name}: {len(scored) / (time.perf_counter() - began):,.0f} "
            "orders/s")

    judged = next(iter(results.values()))
    ceiling = ", ".join(f"{min(1.0, r * judged['orders'] / max(judged['fraud'], 1)):.0%} at "
                        f"{r:.0%}" for r in REVIEW_RATES)
    text = table(results)
    print()
    print(f"Shop B: {shop_b.summary()}; judged on {judged['orders']} orders after day "
          f"{args.cutoff_day} ({judged['fraud']} fraudulent, ground truth). Training shops A: "
          f"{args.train_shops} x {args.orders} orders (shop seeds {args.shop_seed}..."
          f"{args.shop_seed + args.train_shops - 1}). Highest recall reviewing that share of "
          f"orders can reach: {ceiling}.")
    print(text)
    print()
    print(kind_table(results))
    payload = {"args": {k: str(v) for k, v in vars(args).items()},
               "shop_b": shop_b.to_dict(), "shops_a": [r.shop.to_dict() for r in family],
               "results": results}
    (args.out / "results.json").write_text(json.dumps(payload, indent=2) + "\n")
    (args.out / "table.md").write_text(text + "\n\n" + kind_table(results) + "\n")
    shop_b.write(args.out / "shop_b.json")
    say(f"wrote {args.out / 'results.json'}, {args.out / 'table.md'} and "
        f"{args.out / 'shop_b.json'}")


if __name__ == "__main__":
    main()
