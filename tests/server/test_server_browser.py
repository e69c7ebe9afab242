"""The pages in a real headless Chromium (Debian's, installed by scripts/setup.d/chromium.sh)."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from server_support import Live, refstack_body, storage_tests

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

playwright_sync = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing (scripts/setup.d/chromium.sh installs it)")
        pytest.skip("no /usr/bin/chromium")
    profile = tempfile.mkdtemp(prefix="defcore-chromium-")
    with playwright_sync.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=FLAGS
        )
        try:
            yield context
        finally:
            context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def listed(live: Live) -> dict[str, str]:
    """Two public products with public results; the first verified for Storage 2020.06."""
    vendor_id, vendor_admin = live.vendor("browser")
    tests = storage_tests()
    names = []
    for i, passed in enumerate((tests, tests[2:])):
        product_id, version_id = live.product(vendor_id, vendor_admin.token, public=True)
        names.append(live.call("GET", f"/v1/products/{product_id}").json()["name"])
        result_id = live.upload(
            refstack_body(passed, salt=uuid.uuid4().hex), vendor_admin.token
        ).json()["id"]
        live.call(
            "PATCH",
            f"/v1/results/{result_id}",
            vendor_admin.token,
            json={"product_version_id": version_id, "public": True},
        )
        if i == 0:
            r = live.call(
                "POST",
                f"/v1/results/{result_id}/verifications",
                live.admin.token,
                json={"guideline": "2020.06", "target": "storage"},
            )
            assert r.status_code == 201, r.text
    return {"verified": names[0], "other": names[1]}


def test_marketplace_shows_product_and_badge(
    browser: playwright_sync.BrowserContext, live: Live, listed: dict[str, str]
) -> None:
    page = browser.new_page()
    page.goto(f"{live.url}/marketplace")
    card = page.locator(f'.product[data-product="{listed["verified"]}"]')
    card.wait_for()
    assert card.locator("h2").inner_text() == listed["verified"]
    badge = card.locator('[data-testid="badge"]')
    assert badge.first.inner_text() == "OpenStack Powered Storage 2020.06"
    assert badge.first.is_visible()
    other = page.locator(f'.product[data-product="{listed["other"]}"]')
    assert other.locator('[data-testid="badge"]').count() == 0
    page.close()


def test_heatmap_renders(
    browser: playwright_sync.BrowserContext, live: Live, listed: dict[str, str], tmp_path: Path
) -> None:
    page = browser.new_page()
    page.goto(f"{live.url}/heatmap?guideline=2020.06&target=OpenStack+Powered+Storage")
    table = page.locator("#heatmap")
    table.wait_for()
    headers = page.locator("#heatmap th.product").all_inner_texts()
    assert listed["verified"] in headers and listed["other"] in headers
    caps = page.locator("#heatmap th.cap").count()
    assert caps == 20  # Storage 2020.06 requires 20 capabilities
    assert page.locator('td.cell[data-state="pass"]').count() >= caps
    assert page.locator('td.cell[data-state="fail"]').count() >= 1
    # the cells are painted: a passing cell is green, a failing one red
    green = page.locator('td.cell[data-state="pass"]').first.evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    red = page.locator('td.cell[data-state="fail"]').first.evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    assert green == "rgb(60, 157, 93)" and red == "rgb(217, 83, 79)"
    box = table.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 100
    page.screenshot(path=str(tmp_path / "heatmap.png"), full_page=True)
    page.close()
