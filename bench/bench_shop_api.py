"""A new shop's first months through the real HTTP API (issue 9, the new-user walkthrough).

    .venv/bin/python bench/bench_shop_api.py [--shop-seed 777] [--seed 778] [--orders 4000]
        [--days 120] [--cutoff-day 90] [--out var/bench-shop-api]

The batch study of ``bench/bench_generalisation.py``, done the way a new user would do it,
through a running service:

1. Simulates a shop the bundled model was not trained on (``ShopConfig.random(--shop-seed)``,
   ``--orders`` orders over ``--days`` days) and writes its orders, outcome events and
   ground truth (``--out/data``).
2. Starts ``fraud serve`` as a subprocess on a free port, on an empty SQLite store in a
   temporary data dir, with the bundled model and rules; creates an API key with
   ``fraud apikey create``; then walks the shop's events in time order over HTTP (httpx):
   ``POST /v1/score`` for each order at its time and ``POST /v1/orders/{id}/outcome`` for
   each outcome once its reported time is reached (outcomes arrive late, as the service
   would see them).
3. Judges the orders after ``--cutoff-day`` against the simulator's ground truth: recall
   when the top 2 % and 5 % by score are reviewed, ROC-AUC, share of honest orders flagged
   (review or decline) and declined, with the default thresholds.
4. Trains the shop's own model with ``fraud train --cutoff <day --cutoff-day>`` on files
   holding only what the shop had by then (orders created and outcomes reported by the
   cut-off; ``--cutoff`` would drop later ones as well), starts a fresh service on that
   model (``FRAUD_MODEL_DIR``/``FRAUD_MODEL_VERSION``, a new empty store), replays the same
   events and judges the same later orders.

Unless ``--no-batch-check``, the service's scores are also compared with the batch scorer's
(:func:`bench.bench_generalisation.score_late`) for the same model and history: they should
be equal. Figures are printed and written to ``--out`` (``results.json``, ``table.md``);
nothing is asserted.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_generalisation import (  # noqa: E402
    REVIEW_RATES,
    add_own_model_options,
    figures,
    kind_table,
    say,
    score_late,
    table,
    to_raw,
)
from fraud.domain import Action  # noqa: E402
from fraud.settings import get_settings  # noqa: E402
from fraud.simulate import ShopConfig, Simulation, simulate  # noqa: E402


def fraud_command() -> list[str]:
    """The ``fraud`` console script of this interpreter's environment."""
    script = Path(sys.executable).parent / "fraud"
    if script.exists():
        return [str(script)]
    found = shutil.which("fraud")
    if found is None:
        raise SystemExit("error: no 'fraud' command; run 'make install' first")
    return [found]


def clean_env(**fraud: str) -> dict[str, str]:
    """The environment without any FRAUD_* setting of the caller, plus ``fraud``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRAUD_")}
    env.update({f"FRAUD_{k.upper()}": v for k, v in fraud.items()})
    return env


def run_fraud(args: Sequence[str], env: dict[str, str], cwd: Path) -> str:
    """Run a ``fraud`` command; its stdout, or exit with its stderr."""
    done = subprocess.run(  # noqa: S603 - our own fraud command, arguments we built
        [*fraud_command(), *args], env=env, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"error: fraud {' '.join(args)} failed ({done.returncode}):\n"
                         f"{done.stderr}{done.stdout}")
    return done.stdout


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Service:
    url: str
    key: str
    data_dir: Path
    log: Path


@contextmanager
def service(data_dir: Path, log: Path, timeout: float, **fraud: str) -> Iterator[Service]:
    """``fraud serve`` on a free port over an empty SQLite store in ``data_dir``, with an API
    key made by ``fraud apikey create``; stopped (by its own process id) on leaving."""
    data_dir.mkdir(parents=True, exist_ok=True)
    env = clean_env(data_dir=str(data_dir), **fraud)
    # cwd = the data dir: no stray .env file of the caller's folder is read
    key = run_fraud(["apikey", "create", "bench-shop-api"], env, data_dir).strip().splitlines()[-1]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("w") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own fraud command, arguments we built
            [*fraud_command(), "serve", "--port", str(port)], env=env, cwd=data_dir,
            stdout=out, stderr=subprocess.STDOUT)
    try:
        began = time.perf_counter()
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"error: fraud serve stopped ({proc.returncode}); see {log}")
            try:
                ready = httpx.get(f"{url}/readyz", timeout=5.0)
                if ready.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.perf_counter() - began > timeout:
                raise SystemExit(f"error: fraud serve not ready after {timeout:.0f} s; see {log}")
            time.sleep(0.25)
        say(f"service up at {url} (pid {proc.pid}, {time.perf_counter() - began:.1f} s): "
            f"/readyz {ready.json()['status']}, {json.dumps(ready.json()['checks'])}")
        yield Service(url, key, data_dir, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def events_in_time_order(orders: Sequence[dict], outcomes: pd.DataFrame
                         ) -> list[tuple[pd.Timestamp, int, int]]:
    """(time, kind, index): kind 0 an order at its creation, kind 1 an outcome at its
    reported time (never before its own order); an order comes before an outcome at the
    same instant."""
    created = {o["order_id"]: pd.Timestamp(o["created_at"]).tz_convert("UTC") for o in orders}
    events = [(t, 0, i) for i, t in enumerate(created[o["order_id"]] for o in orders)]
    at = pd.to_datetime(outcomes["at"], utc=True)
    events += [(max(t, created[oid]), 1, j)
               for j, (oid, t) in enumerate(zip(outcomes["order_id"], at, strict=True))]
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    return events


def walk(svc: Service, orders: Sequence[dict], outcomes: pd.DataFrame, label: str,
         every: int = 1000) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Every order scored and every outcome reported over HTTP, in time order."""
    events = events_in_time_order(orders, outcomes)
    rows, latency, posted = [], [], 0
    headers = {"Authorization": f"Bearer {svc.key}"}
    began = time.perf_counter()
    with httpx.Client(base_url=svc.url, headers=headers, timeout=60.0) as client:
        for _, kind, i in events:
            if kind == 0:
                order = orders[i]
                t0 = time.perf_counter()
                answer = client.post("/v1/score", json=order)
                latency.append(time.perf_counter() - t0)
                if answer.status_code != 200:
                    raise SystemExit(f"error: POST /v1/score {order['order_id']}: "
                                     f"{answer.status_code} {answer.text}")
                body = answer.json()
                rows.append((order["order_id"], pd.Timestamp(order["created_at"]).tz_convert(
                    "UTC"), float(body["score"]), int(Action.from_label(body["action"]))))
                if len(rows) % every == 0 or len(rows) == len(orders):
                    say(f"  {label}: scored {len(rows):,} of {len(orders):,} orders, "
                        f"{posted:,} outcomes reported")
            else:
                oid = str(outcomes["order_id"].iat[i])
                answer = client.post(f"/v1/orders/{oid}/outcome",
                                     json={"outcome": str(outcomes["outcome"].iat[i]),
                                           "at": str(outcomes["at"].iat[i])})
                if answer.status_code != 201:
                    raise SystemExit(f"error: POST /v1/orders/{oid}/outcome: "
                                     f"{answer.status_code} {answer.text}")
                posted += 1
    took = time.perf_counter() - began
    ms = pd.Series(latency) * 1000
    stats = {"orders": len(rows), "outcomes": posted, "seconds": round(took, 1),
             "score_ms_p50": round(float(ms.median()), 1),
             "score_ms_p95": round(float(ms.quantile(0.95)), 1)}
    say(f"  {label}: {len(rows):,} orders and {posted:,} outcomes in {took:.0f} s; "
        f"POST /v1/score {stats['score_ms_p50']} ms median, {stats['score_ms_p95']} ms p95 "
        "(client-side, loaded machine)")
    return pd.DataFrame(rows, columns=["order_id", "created_at", "score", "action"]), stats


def write_as_of(sim: Simulation, orders: Sequence[dict], cutoff: pd.Timestamp, folder: Path
                ) -> tuple[Path, Path, int, int]:
    """The shop's export at the cut-off: orders created and outcomes reported by then."""
    folder.mkdir(parents=True, exist_ok=True)
    kept = [o for o in orders if pd.Timestamp(o["created_at"]) <= cutoff]
    ids = {o["order_id"] for o in kept}
    o = sim.outcomes
    at = pd.to_datetime(o["at"], utc=True)
    known = o[(at <= cutoff).to_numpy() & o["order_id"].isin(ids).to_numpy()]
    orders_path = folder / "orders_by_cutoff.jsonl.gz"
    outcomes_path = folder / "outcomes_by_cutoff.jsonl.gz"
    with gzip.open(orders_path, "wt", encoding="utf-8") as f:
        for order in kept:
            f.write(json.dumps(order, ensure_ascii=False) + "\n")
    with gzip.open(outcomes_path, "wt", encoding="utf-8") as f:
        for oid, kind, t in zip(known["order_id"], known["outcome"], known["at"], strict=True):
            f.write(json.dumps({"order_id": oid, "outcome": kind, "at": t}) + "\n")
    return orders_path, outcomes_path, len(kept), len(known)


def batch_check(scored: pd.DataFrame, expected: pd.DataFrame) -> dict[str, Any]:
    """How many of the service's scores and actions differ from the batch scorer's."""
    both = scored.merge(expected, on="order_id", suffixes=("_api", "_batch"))
    diff = (both["score_api"] - both["score_batch"]).abs()
    return {"orders": len(both), "score_differs": int((diff > 1e-9).sum()),
            "max_score_difference": float(diff.max()) if len(both) else 0.0,
            "action_differs": int((both["action_api"] != both["action_batch"]).sum())}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--shop-seed", type=int, default=777, help="seed that draws the shop")
    p.add_argument("--seed", type=int, default=778, help="simulation seed")
    p.add_argument("--orders", type=int, default=4000, help="orders of the shop")
    p.add_argument("--days", type=int, default=120, help="days of traffic")
    p.add_argument("--cutoff-day", type=int, default=90,
                   help="the own model trains as of this day; both are judged on later orders")
    add_own_model_options(p)
    p.add_argument("--start-timeout", type=float, default=180.0,
                   help="seconds to wait for the service to answer /readyz")
    p.add_argument("--no-batch-check", action="store_true",
                   help="skip comparing the service's scores with the batch scorer's")
    p.add_argument("--keep-stores", action="store_true",
                   help="keep the services' SQLite stores under --out instead of a temporary "
                   "folder")
    p.add_argument("--out", type=Path, default=ROOT / "var" / "bench-shop-api")
    return p.parse_args(argv)


def shown(path: Path) -> str:
    """A path relative to the project when it lies inside it."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if not 0 < args.cutoff_day < args.days:
        raise SystemExit("error: --cutoff-day must fall inside --days")
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    settings = get_settings()
    bundled = settings.model_version or (settings.model_dir / "CURRENT").read_text().strip()

    shop = ShopConfig.random(args.shop_seed)
    say(f"simulating {shop.summary()}: {args.orders} orders over {args.days} days "
        f"(seed {args.seed})")
    sim = simulate(args.orders, days=args.days, seed=args.seed, shop=shop)
    orders = list(sim.orders())
    truth = sim.truth()
    data = out / "data"
    data.mkdir(exist_ok=True)
    sim.write(data / "orders.jsonl.gz")
    sim.write_outcomes(data / "outcomes.jsonl.gz")
    sim.write_truth(data / "truth.csv.gz")
    shop.write(data / "shop.json")
    say(f"wrote {len(orders):,} orders ({int(truth['is_fraud'].sum())} fraudulent), "
        f"{len(sim.outcomes):,} outcome events, ground truth and the shop to {shown(data)}/")
    cutoff = pd.Timestamp(sim.start + timedelta(days=args.cutoff_day)).tz_convert("UTC")
    raw = to_raw(orders, sim.outcomes, "shop") if not args.no_batch_check else None

    stores = Path(tempfile.mkdtemp(prefix="bench-shop-api-")) if not args.keep_stores \
        else out / "stores"
    results: dict[str, dict[str, Any]] = {}
    runs: dict[str, Any] = {}
    try:
        name_a = f"(a) bundled model {bundled} + rules, out of the box"
        say(f"starting the service with the bundled model and rules (store in {stores}/bundled)")
        with service(stores / "bundled", out / "service-bundled.log", args.start_timeout) as svc:
            scored_a, stats_a = walk(svc, orders, sim.outcomes, "bundled")
        results[name_a] = figures(scored_a, truth, cutoff)
        runs[name_a] = {"http": stats_a}
        if raw is not None:
            check = batch_check(scored_a, score_late(raw, settings))
            runs[name_a]["batch_check"] = check
            say(f"  batch scorer, same model and history: {check}")

        say(f"training the shop's own model as of {cutoff.isoformat()} (day {args.cutoff_day}) "
            "with fraud train")
        orders_path, outcomes_path, n_orders, n_events = write_as_of(
            sim, orders, cutoff, data)
        say(f"  wrote what the shop had by then: {n_orders:,} orders -> {shown(orders_path)}, "
            f"{n_events:,} outcome events reported by the cut-off -> {shown(outcomes_path)}")
        models = out / "models"
        train_args = ["train", "--orders", str(orders_path), "--outcomes", str(outcomes_path),
                      "--cutoff", cutoff.isoformat(), "--out-dir", str(models),
                      "--source", f"shop{args.shop_seed}"]
        for option in ("maturity_days", "valid_days", "gap_days"):
            if getattr(args, option) is not None:  # unset: the command's own defaults
                train_args += [f"--{option.replace('_', '-')}", str(getattr(args, option))]
        if args.no_recent_labels:
            train_args.append("--no-recent-labels")
        if args.from_scratch:
            train_args.append("--from-scratch")
        say("  fraud " + " ".join(shown(Path(a)) if a.startswith("/") else a
                                  for a in train_args))
        began = time.perf_counter()
        printed = run_fraud(train_args, clean_env(), out)
        for line in printed.strip().splitlines():
            print(f"    | {line}", flush=True)
        version = printed.strip().splitlines()[-1].strip()
        say(f"  trained {version} in {time.perf_counter() - began:.0f} s -> "
            f"{shown(models / version)}")

        name_c = f"(b) own model {version}, trained as of day {args.cutoff_day}"
        say(f"starting a fresh service on that model (store in {stores}/own)")
        with service(stores / "own", out / "service-own.log", args.start_timeout,
                     model_dir=str(models), model_version=version) as svc:
            scored_c, stats_c = walk(svc, orders, sim.outcomes, "own model")
        results[name_c] = figures(scored_c, truth, cutoff)
        runs[name_c] = {"http": stats_c}
        if raw is not None:
            own = settings.model_copy(update={"model_dir": models, "model_version": version})
            check = batch_check(scored_c, score_late(raw, own))
            runs[name_c]["batch_check"] = check
            say(f"  batch scorer, same model and history: {check}")
    finally:
        if not args.keep_stores:
            shutil.rmtree(stores, ignore_errors=True)

    judged = next(iter(results.values()))
    ceiling = ", ".join(f"{min(1.0, r * judged['orders'] / max(judged['fraud'], 1)):.0%} at "
                        f"{r:.0%}" for r in REVIEW_RATES)
    text = table(results)
    print()
    print(f"Shop B = {shop.summary()} (shop seed {args.shop_seed}, seed {args.seed}); "
          f"{args.orders} orders over {args.days} days, every order scored and every outcome "
          f"reported through the HTTP API in time order. Judged on {judged['orders']} orders "
          f"after day {args.cutoff_day} ({judged['fraud']} fraudulent, ground truth), default "
          f"thresholds. Highest recall reviewing that share of orders can reach: {ceiling}.")
    print()
    print(text)
    print()
    print(kind_table(results))
    payload = {"args": {k: str(v) for k, v in vars(args).items()}, "shop": shop.to_dict(),
               "cutoff": cutoff.isoformat(), "results": results, "runs": runs}
    (out / "results.json").write_text(json.dumps(payload, indent=2) + "\n")
    (out / "table.md").write_text(text + "\n\n" + kind_table(results) + "\n")
    print()
    say(f"wrote {shown(out / 'results.json')}, {shown(out / 'table.md')}, the service logs "
        f"{shown(out / 'service-bundled.log')} and {shown(out / 'service-own.log')}, "
        f"the model in {shown(out / 'models')}/ and the shop's data in {shown(data)}/")


if __name__ == "__main__":
    main()
