"""The review and evidence walkthrough, as a new user would try it, scripted.

    .venv/bin/python scripts/walkthrough.py [--dir DIR] [--screenshots docs]

Starts ``fraud serve --demo`` on a free port over a new data folder, reads the admin
password it prints once, waits until the demo loader has stored some held orders, and then,
in Debian's Chromium driven by Playwright: signs in as the admin, approves one held order,
cancels one with a reason, escalates one and opens a case from its page (with the linked
orders the page suggests), reports the case with a police reference and a note, downloads
its export, opens ``report.html`` from the bundle, and erases a customer on the admin page
(first one in the case: refused under the legal hold; then another: erased). Then stops
the server (which signs the evidence head) and runs ``fraud case verify`` on the bundle and
``fraud evidence verify`` on the store. Every step is printed with what it wrote where;
screenshots go to ``--screenshots`` (default: the data folder).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
FRAUD = ROOT / ".venv" / "bin" / "fraud"
CHROMIUM = "/usr/bin/chromium"
PASSWORD_LINE = re.compile(r"created admin 'admin', password (\S+) \(shown once")


def say(text: str) -> None:
    print(text, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(args: list[str], env: dict[str, str]) -> str:
    """Run a CLI command, print it and its output as a user would see them."""
    done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    shown = " ".join(["fraud", *args[1:]])
    out = (done.stdout + done.stderr).strip()
    say(f"$ {shown}\n{out}\n(exit code {done.returncode})")
    return out


def wait_for(what: str, check, timeout: float) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(1)
    raise SystemExit(f"gave up waiting for {what} after {timeout:.0f} s")


def held_count(db: Path) -> int:
    if not db.exists():
        return 0
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(
                "SELECT count(*) FROM decisions WHERE action = 'review'")).scalar_one())
    except Exception:  # tables not created yet
        return 0
    finally:
        engine.dispose()


def order_email(db: Path, order_id: str) -> str:
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            raw = conn.execute(text("SELECT order_json FROM orders WHERE order_id = :o"),
                               {"o": order_id}).scalar_one()
    finally:
        engine.dispose()
    data = raw if isinstance(raw, dict) else json.loads(raw)
    return str(data["customer"]["email"])


def main() -> None:  # noqa: PLR0915 - one story, told in order
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=None, help="data folder (default: new)")
    parser.add_argument("--screenshots", type=Path, default=None)
    parser.add_argument("--held", type=int, default=8, help="held orders to wait for")
    args = parser.parse_args()
    data = args.dir or Path(tempfile.mkdtemp(prefix="fraud-walkthrough-"))
    data.mkdir(parents=True, exist_ok=True)
    shots = args.screenshots or data
    shots.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "FRAUD_DATA_DIR": str(data)}
    env.pop("FRAUD_REVIEW_ADMIN_PASSWORD", None)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = data / "server.log"
    say(f"data folder: {data}\n$ fraud serve --demo --port {port}   (log: {log_path})")
    with log_path.open("w") as log:
        server = subprocess.Popen([str(FRAUD), "serve", "--demo", "--port", str(port)],  # noqa: S603
                                  env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for("the admin password", lambda: PASSWORD_LINE.search(log_path.read_text()), 120)
        password = PASSWORD_LINE.search(log_path.read_text()).group(1)  # type: ignore[union-attr]
        say(f"the server printed the admin password once: {password[:4]}...")
        wait_for("/healthz", lambda: _up(url), 120)
        db = data / "fraud.db"
        wait_for(f"{args.held} held orders", lambda: held_count(db) >= args.held, 1800)
        say(f"demo loader: {held_count(db)} orders held for review so far")
        bundle = browse(url, password, data, shots, db)
    finally:
        server.send_signal(signal.SIGINT)  # a clean stop: the evidence head is signed
        try:
            server.wait(120)
        except subprocess.TimeoutExpired:
            server.kill()
        say(f"server stopped (exit code {server.returncode})")
    run([str(FRAUD), "case", "verify", str(bundle)], env)
    run([str(FRAUD), "evidence", "verify"], env)
    say(f"screenshots in {shots}: review-queue.png, review-order.png, case-report.png")


def _up(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def browse(url: str, password: str, data: Path, shots: Path, db: Path) -> Path:
    """The reviewer's and admin's part, in the browser; returns the unpacked bundle."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.goto(url + "/review")
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(url + "/review")
        page.screenshot(path=str(shots / "review-queue.png"))
        held = page.locator("a.order-link").all_inner_texts()
        say(f"signed in as admin; the queue shows {len(held)} held orders")
        approve, cancel, escalate, other = held[0], held[1], held[2], held[3:]

        page.goto(f"{url}/review/orders/{approve}")
        page.screenshot(path=str(shots / "review-order.png"))
        page.click("#approve")
        page.wait_for_selector("p.done")
        say(f"approved {approve}: {page.inner_text('p.done')}")
        page.goto(f"{url}/review/orders/{cancel}")
        page.fill("#reason", "card holder says the card was stolen")
        page.click("#cancel")
        page.wait_for_selector("p.done")
        say(f"cancelled {cancel}: {page.inner_text('p.done')}")

        page.goto(f"{url}/review/orders/{escalate}")
        page.fill("#reason", "drop address shared with earlier chargebacks")
        page.click("#escalate")
        page.wait_for_selector("p.done")
        page.fill("#case-title", f"Fraud ring around {escalate}")
        page.click("#open-case")
        page.wait_for_selector("p.done")
        case_url = page.url.split("?")[0]
        say(f"escalated {escalate} and opened {case_url}: {page.inner_text('p.done')}")
        say("  orders in the case: " + ", ".join(page.locator("ul.case-orders a")
                                                  .all_inner_texts()))
        page.select_option("#status", "reported")
        page.fill("#reference", "PR-2026-0042")
        page.click("#set-status")
        page.wait_for_selector("p.done")
        page.fill("#case-note", "Customer's phone is disconnected; reported to the police.")
        page.click("#add-note")
        page.wait_for_selector("p.done")
        page.fill("#export-reason", "police request, Utrecht")
        with page.expect_download() as download:
            page.click("#download-export")
        archive = data / download.value.suggested_filename
        download.value.save_as(archive)
        with zipfile.ZipFile(archive) as z:
            names = z.namelist()
            z.extractall(data / "export")
        bundle = data / "export" / names[0].split("/")[0]
        say(f"downloaded {archive} ({len(names)} files), unpacked into {bundle}")

        report = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        report.goto((bundle / "report.html").as_uri())
        report.screenshot(path=str(shots / "case-report.png"))
        say(f"opened {bundle / 'report.html'}: {report.title()}")

        in_case = order_email(db, escalate)
        outcome = _erase(page, url, in_case)
        say(f"erase the customer of {escalate} ({in_case}): {outcome}")
        for order_id in other:
            email = order_email(db, order_id)
            outcome = _erase(page, url, email)
            say(f"erase the customer of {order_id} ({email}): {outcome}")
            if outcome.startswith("Erased"):
                break
        browser.close()
    return bundle


def _erase(page, url: str, email: str) -> str:  # noqa: ANN001
    page.goto(url + "/review/admin/erase")
    page.fill("#erase-email", email)
    page.check("#erase-confirm")
    page.click("#erase")
    page.wait_for_selector("p.done, p.error")
    return page.inner_text("p.done, p.error")


if __name__ == "__main__":
    main()
