"""Escalate → open case → download the export, in a real browser: the reviewer escalates
a held order and opens a case from its page with the suggested linked orders, the admin
reports it to the police and downloads the bundle, which verifies offline and whose
report opens in the browser with the hostile customer text as text."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from test_review_pages import screenshot_dir, sign_in, watched_page

from fraud.cases import get_case, verify_bundle

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]


def test_escalate_open_a_case_and_download_its_export(browser, site, tmp_path: Path):
    hostile, plain = site["orders"]["hostile"], site["orders"]["plain"]
    rita = watched_page(browser)
    sign_in(rita, site, "rita")
    rita.goto(f"{site['url']}/review/orders/{hostile}")
    rita.fill("#reason", "same device as an order the customer denied")
    rita.click("#escalate")
    rita.wait_for_selector("p.done")
    # the case box suggests the orders sharing keys with this one, strongest first
    suggested = rita.locator("form.open-case input[type=checkbox]")
    assert plain in suggested.evaluate_all("els => els.map(e => e.value)")
    rita.fill("#case-title", "Brake pads to a forwarder <b>again</b>")
    rita.check(f"form.open-case input[value='{plain}']")
    rita.click("#open-case")
    rita.wait_for_selector("p.done")
    assert "Case opened" in rita.inner_text("p.done")
    assert "<b>again</b>" in rita.inner_text("h1")  # the title is text, not markup
    assert rita.locator("#download-export").count() == 0  # only admins export
    with site["runtime"].sessions() as s:
        case = get_case(s, 1)
    assert {hostile, plain} <= set(case.order_ids) and case.owner == "rita"

    ada = watched_page(browser)
    sign_in(ada, site, "ada")
    ada.goto(f"{site['url']}/review/cases/1")
    ada.select_option("#status", "reported")
    ada.fill("#reference", "PR-2026-0042")
    ada.click("#set-status")
    ada.wait_for_selector("p.done")
    assert ada.inner_text("#case-status") == "reported"
    assert ada.evaluate("document.documentElement.scrollWidth") <= 1280
    ada.fill("#export-reason", "police request, Utrecht")
    with ada.expect_download() as download:
        ada.click("#download-export")
    archive = tmp_path / download.value.suggested_filename
    download.value.save_as(archive)
    assert archive.name == "case-1.zip"
    with zipfile.ZipFile(archive) as z:
        z.extractall(tmp_path / "bundle")
    bundle = tmp_path / "bundle" / "case-1"
    report = verify_bundle(bundle)
    assert report.ok, report.problems
    assert "police request, Utrecht" in (bundle / "custody.log").read_text()

    reader = watched_page(browser)
    reader.goto((bundle / "report.html").as_uri())
    assert "PR-2026-0042" in reader.inner_text("body")
    assert "<script>alert(1)</script>" in reader.inner_text("body")  # shown, not run
    reader.screenshot(path=str(screenshot_dir(tmp_path) / "case-report.png"), full_page=False)
    assert rita.problems == [] and ada.problems == [] and reader.problems == []
