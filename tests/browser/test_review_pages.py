"""The review pages in a real browser: sign in, work the queue, hostile text stays text,
approve and cancel reach the order API, escalation, and two reviewers racing."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"


def screenshot_dir(tmp_path: Path) -> Path:
    """docs/ when asked for (FRAUD_TEST_SCREENSHOTS=1, to refresh the README's pictures);
    otherwise a temporary folder, so a test run leaves the work tree as it was."""
    return DOCS if os.environ.get("FRAUD_TEST_SCREENSHOTS") else tmp_path

# one worker runs them all (make test: --dist loadgroup), so the browser starts once
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]


def watched_page(browser, width: int = 1280):  # noqa: ANN001, ANN201
    """A page at ``width`` px that records dialogs (a script that ran) and console errors
    (including a blocked inline script: the CSP reports it there)."""
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    page.problems = []

    def on_dialog(dialog):  # noqa: ANN001, ANN202
        page.problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    # an answer of 409 or 422 (expected in these tests) is logged as "Failed to load
    # resource"; any other console error is a problem
    page.on("console", lambda m: m.type == "error" and not m.text.startswith(
        "Failed to load resource") and page.problems.append(m.text))
    page.on("response", lambda r: r.status == 404 and page.problems.append(f"404 {r.url}"))
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    return page


def sign_in(page, site: dict, name: str) -> None:  # noqa: ANN001
    page.goto(site["url"] + "/review")
    assert "/review/login" in page.url
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", site["password"])
    page.click("button[type=submit]")
    page.wait_for_url(site["url"] + "/review")


def order_api(site: dict, order_id: str) -> dict:
    answer = httpx.get(f"{site['url']}/v1/orders/{order_id}",
                       headers={"Authorization": f"Bearer {site['key']}"})
    return answer.json()


def test_a_reviewer_works_the_queue(browser, site, tmp_path):
    page = watched_page(browser)
    sign_in(page, site, "rita")
    orders = site["orders"]
    assert page.locator("table.queue tbody tr").count() == 3
    page.screenshot(path=str(screenshot_dir(tmp_path) / "review-queue.png"), full_page=True)

    page.fill("#search", "")
    page.fill("input[name=country]", "DE")
    page.click("form.filters button[type=submit]")
    assert page.locator("a.order-link").all_inner_texts() == [orders["german"]]

    # the hostile order: shown as text, no script runs, the layout holds at 1280 px
    page.goto(f"{site['url']}/review/orders/{orders['hostile']}")
    assert "<script>alert(1)</script>" in page.inner_text("dl.order")
    assert page.locator("img").count() == 0
    assert "[U+202E]evil" in page.inner_text("dl.order")  # shown, not reordering the text
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.screenshot(path=str(screenshot_dir(tmp_path) / "review-order.png"), full_page=True)

    # approve one with the keyboard shortcut, cancel one with a reason
    page.goto(f"{site['url']}/review/orders/{orders['plain']}")
    page.keyboard.press("a")
    page.keyboard.press("Enter")
    page.wait_for_selector("p.done")
    assert "Approved" in page.inner_text("p.done")

    page.goto(f"{site['url']}/review/orders/{orders['hostile']}")
    page.click("#cancel")
    assert "a reason to cancel is required" in page.inner_text("p.error")
    page.fill("#reason", "card holder denies the order")
    page.click("#cancel")
    page.wait_for_selector("p.done")

    page.goto(f"{site['url']}/review/audit")
    log = page.inner_text("table.audit-log")
    assert "card holder denies the order" in log and "approve" in log
    assert page.problems == []

    assert order_api(site, orders["plain"])["review"]["status"] == "approved"
    cancelled = order_api(site, orders["hostile"])
    assert cancelled["review"] == {**cancelled["review"], "status": "cancelled", "by": "rita"}
    assert [o["outcome"] for o in cancelled["outcomes"]] == ["fraud_confirmed"]


def test_an_escalated_order_waits_for_an_admin(browser, site):
    rita = watched_page(browser)
    sign_in(rita, site, "rita")
    order_id = site["orders"]["german"]
    rita.goto(f"{site['url']}/review/orders/{order_id}")
    rita.fill("#reason", "same address as last week's chargeback")
    rita.click("#escalate")
    rita.wait_for_selector("p.done")
    rita.click("#approve")
    assert "may not decide escalated" in rita.inner_text("main")

    ada = watched_page(browser)
    sign_in(ada, site, "ada")
    ada.goto(f"{site['url']}/review?status=escalated")
    assert ada.locator("a.order-link").all_inner_texts() == [order_id]
    ada.click("a.order-link")
    assert "same address as last week" in ada.inner_text("ol.audit")
    ada.click("#approve")
    ada.wait_for_selector("p.done")
    assert rita.problems == [] and ada.problems == []


def test_two_reviewers_deciding_the_same_order(browser, site):
    rita, rob = watched_page(browser), watched_page(browser)
    sign_in(rita, site, "rita")
    sign_in(rob, site, "rob")
    order_id = site["orders"]["plain"]
    for page in (rita, rob):
        page.goto(f"{site['url']}/review/orders/{order_id}")
    rita.click("#approve")
    rita.wait_for_selector("p.done")
    rob.fill("#reason", "looks like fraud")
    rob.click("#cancel")
    message = rob.inner_text("p.error")
    assert "changed by somebody else meanwhile" in message and "approved by rita" in message
    assert order_api(site, order_id)["review"]["status"] == "approved"


def test_the_pages_fit_a_tablet(browser, site):
    page = watched_page(browser, width=768)
    sign_in(page, site, "rob")
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    page.goto(f"{site['url']}/review/orders/{site['orders']['hostile']}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    assert page.problems == []
