"""The operations loop tried as a new user, end to end and repeatable.

    .venv/bin/python scripts/ops-walkthrough.py [--work DIR] [--screenshots docs]

1. starts `fraud serve` on a fresh SQLite store (no model: the rules decide) and sends
   90 days of simulated traffic up to now through the API (`POST /v1/score`), with the
   outcomes known by now;
2. trains the first model on the store (`fraud train --from-store --promote`: it saves
   drift.json, the drift reference); the running server picks it up without a restart;
   signs in as an analyst and screenshots the dashboard (Playwright, Debian's chromium);
3. sends a shifted batch (recent orders again, every price x4) and waits until `/readyz`
   says "drifting", then screenshots the dashboard's drift panel;
4. retrains from the store, sets the new model as the challenger, sends more traffic
   (scored in shadow), compares champion and challenger (`fraud models compare`) and
   promotes it; `/readyz` names the new model without a restart.

Every command and its output is printed; nothing outside --work is written except the
screenshots. The server is stopped at the end, also on failure.
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
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
FRAUD = str(BIN / "fraud")
PASSWORD = "walkthrough analyst"  # noqa: S105 - a throw-away store's password
CHROMIUM = Path("/usr/bin/chromium")


def say(text: str) -> None:
    print(text, flush=True)


def run(env: dict[str, str], *args: str, stdin: str | None = None, check: bool = True) -> str:
    say(f"\n$ fraud {' '.join(args)}")
    done = subprocess.run([FRAUD, *args], env=env, input=stdin, capture_output=True,  # noqa: S603
                          text=True, check=False)
    out = (done.stdout + done.stderr).strip()
    say(out)
    if check and done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): fraud {' '.join(args)}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def read_jsonl(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def simulate(env: dict[str, str], folder: Path, name: str, orders: int, days: int, seed: int,
             start: date) -> tuple[Path, Path]:
    out = folder / f"{name}.jsonl.gz"
    run(env, "simulate", "--orders", str(orders), "--days", str(days), "--seed", str(seed),
        "--start", start.isoformat(), "--out", str(out))
    return out, folder / f"{name}_outcomes.jsonl.gz"


def send_orders(client: httpx.Client, orders: list[dict], what: str) -> dict[str, int]:
    """POST each order to /v1/score (four at a time); counts by action."""
    counts: dict[str, int] = {}
    began = time.perf_counter()

    def one(order: dict) -> str:
        answer = client.post("/v1/score", json=order)
        if answer.status_code != 200:
            return f"http {answer.status_code}"
        return str(answer.json()["action"])

    with ThreadPoolExecutor(4) as pool:
        for i, action in enumerate(pool.map(one, orders), 1):
            counts[action] = counts.get(action, 0) + 1
            if i % 500 == 0:
                say(f"  {what}: {i:,}/{len(orders):,} sent")
    took = time.perf_counter() - began
    say(f"  {what}: {len(orders):,} orders in {took:.0f} s -> {counts}")
    return counts


def send_outcomes(client: httpx.Client, events: list[dict], now: datetime) -> int:
    sent = 0
    for event in events:
        if datetime.fromisoformat(event["at"]) > now:
            continue  # not known yet
        answer = client.post(f"/v1/orders/{event['order_id']}/outcome",
                             json={"outcome": event["outcome"], "at": event["at"]})
        sent += answer.status_code in (200, 201)
    say(f"  outcomes known by now: {sent:,} sent")
    return sent


def shifted(order: dict, prefix: str, at: datetime) -> dict:
    """The same order with every price x4 (a new product mix, or a new fraud wave)."""
    order = json.loads(json.dumps(order))
    order["order_id"] = prefix + order["order_id"]
    order["created_at"] = at.isoformat()
    four = Decimal(4)
    order["payment"]["amount"] = str(Decimal(order["payment"]["amount"]) * four)
    for item in order["items"]:
        item["unit_price"] = str(Decimal(item["unit_price"]) * four)
    return order


def restamped(order: dict, prefix: str, at: datetime) -> dict:
    order = json.loads(json.dumps(order))
    order["order_id"] = prefix + order["order_id"]
    order["created_at"] = at.isoformat()
    return order


def review_some(url: str, truth: set[str], limit: int = 25) -> None:
    """A reviewer works the queue through the review pages: cancels the held orders that
    are fraud (the simulator's ground truth stands in for her judgement), approves the
    rest. Her decisions become outcomes, labels for the next training."""
    import re

    with httpx.Client(base_url=url, timeout=30) as web:
        token = re.search(r'name="csrf_token" value="([^"]+)"',
                          web.get("/review/login").text).group(1)  # type: ignore[union-attr]
        web.post("/review/login", data={"username": "rita", "password": PASSWORD,
                                        "csrf_token": token, "next": "/review"})
        held = re.findall(r'class="order-link" href="/review/orders/([^"]+)"',
                          web.get("/review").text)[:limit]
        done = {"approve": 0, "cancel": 0}
        for order_id in held:
            page = web.get(f"/review/orders/{order_id}").text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            version = re.search(r'name="version" value="([0-9]+)"', page).group(1)  # type: ignore[union-attr]
            action = "cancel" if order_id in truth else "approve"
            answer = web.post(f"/review/orders/{order_id}/act", data={
                "action": action, "reason": "walkthrough: the simulator's truth",
                "version": version, "csrf_token": csrf})
            done[action] += answer.status_code in (200, 303)
    say(f"  reviewer rita on the review pages: {done} of {len(held)} held orders")


def wait_for_drift(client: httpx.Client, want: str, seconds: float = 120) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        ready = client.get("/readyz").json()
        status = ready["checks"].get("model_drift", "")
        if status.startswith(want) or time.monotonic() > deadline:
            say(f"  /readyz checks.model_drift: {status}")
            return ready
        time.sleep(1)


def screenshot(url: str, path: Path, *, anchor: str | None = None) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/review/login?next=/review/dashboard")
        page.fill("input[name=username]", "ann")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/review/dashboard")
        page.wait_for_load_state("networkidle")
        if anchor:
            page.locator(anchor).scroll_into_view_if_needed()
            page.screenshot(path=str(path))
        else:
            page.screenshot(path=str(path), full_page=True)
        browser.close()
    say(f"  screenshot -> {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, default=None, help="work folder (default: temp)")
    parser.add_argument("--screenshots", type=Path, default=Path("docs"))
    parser.add_argument("--orders", type=int, default=6000, help="orders of traffic over 90 days")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="ops-walkthrough-"))
    work.mkdir(parents=True, exist_ok=True)
    args.screenshots.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRAUD_")}
    env.update(FRAUD_DATA_DIR=str(work / "data"), FRAUD_MODEL_DIR=str(work / "models"),
               FRAUD_DRIFT_CHECK_SECONDS="3", FRAUD_DRIFT_DAYS="2")
    now = datetime.now(UTC)
    today = now.date()
    say(f"work folder: {work}; now {now.isoformat(timespec='seconds')}")

    say("\n== 1. the service on an empty store, and 90 days of traffic up to now ==")
    run(env, "users", "add", "ann", "--role", "analyst", "--password-stdin", stdin=PASSWORD)
    run(env, "users", "add", "rita", "--role", "reviewer", "--password-stdin", stdin=PASSWORD)
    key = run(env, "apikey", "create", "order-service").split()
    secret = next(w for w in key if w.startswith("fsk_"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (work / "serve.log").open("w")
    server = subprocess.Popen([FRAUD, "serve", "--port", str(port)], env=env,  # noqa: S603
                              stdout=log, stderr=subprocess.STDOUT)
    say(f"\n$ fraud serve --port {port}   (log: {work / 'serve.log'})")
    try:
        client = httpx.Client(base_url=url, timeout=30,
                              headers={"Authorization": f"Bearer {secret}"})
        for _ in range(600):
            try:
                if client.get("/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        traffic, traffic_out = simulate(env, work, "traffic", args.orders, 90, 11,
                                        today - timedelta(days=89))
        orders = [o for o in read_jsonl(traffic)
                  if datetime.fromisoformat(o["created_at"]) <= now]
        send_orders(client, orders, "traffic")
        send_outcomes(client, read_jsonl(traffic_out), now)
        with gzip.open(work / "traffic_truth.csv.gz", "rt") as f:
            fraud = {row.split(",")[0] for row in f if row.split(",")[1:2] == ["1"]}
        review_some(url, fraud)

        say("\n== 2. the first model, trained on the store, served without a restart ==")
        run(env, "train", "--from-store", "--maturity-days", "30", "--promote")
        time.sleep(2)  # every worker looks at CURRENT at most once a second
        say(f"  /readyz checks.model: {client.get('/readyz').json()['checks']['model']}")
        ready = wait_for_drift(client, "ok", 30)
        say(f"  /readyz: {json.dumps(ready)}")
        screenshot(url, args.screenshots / "dashboard.png")

        say("\n== 3. a shifted batch: every price x4 ==")
        shift = [shifted(o, "SHIFT-", now - timedelta(minutes=400 - i))
                 for i, o in enumerate(orders[-1000:-600])]
        send_orders(client, shift, "shifted batch")
        ready = wait_for_drift(client, "drifting")
        run(env, "models", "drift", "--days", "2", "--top", "14", check=False)
        screenshot(url, args.screenshots / "dashboard-drift.png", anchor="#drift")

        say("\n== 4. retrain from the store, run it as the challenger, compare, promote ==")
        # a data label of its own: the version name holds the labelled orders' fingerprint,
        # and orders without labels yet (the new ones) do not change it
        trained = run(env, "train", "--from-store", "--maturity-days", "30",
                      "--source", "retrained")
        challenger = trained.strip().splitlines()[-1]
        run(env, "models", "challenger", "set", challenger, "--actor", "ann")
        time.sleep(2)  # every worker looks at CHALLENGER at most once a second
        send_orders(client, [restamped(o, "MORE-", now - timedelta(minutes=300 - i))
                             for i, o in enumerate(orders[-1600:-1300])], "shadowed traffic")
        run(env, "models", "challenger", "show")
        run(env, "models", "compare", "--days", "90", "--maturity-days", "30")
        run(env, "models", "promote", challenger, "--actor", "ann")
        time.sleep(2)
        ready = client.get("/readyz").json()
        say(f"  /readyz checks.model after the promotion, same server process: "
            f"{ready['checks']['model']}")
        if ready["checks"]["model"] != challenger:
            raise SystemExit("the running service did not pick up the promotion")
        run(env, "models", "list")
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    say(f"\ndone; work folder {work} (remove it with: rm -r {work})")
    if args.work is None:
        shutil.rmtree(work / "data", ignore_errors=True)


if __name__ == "__main__":
    main()
