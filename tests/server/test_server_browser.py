"""The pages in a real headless Chromium (Debian's, installed by scripts/setup.d/chromium.sh)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from server_support import Live, refstack_body, storage_tests

playwright_sync = pytest.importorskip("playwright.sync_api")


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
    # the other product's result lacks the first two tests: a capability it did not run
    assert page.locator('td.cell[data-state="notrun"]').count() >= 1
    # the cells are painted: a passing cell is green, one not run grey (not red)
    green = page.locator('td.cell[data-state="pass"]').first.evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    grey = page.locator('td.cell[data-state="notrun"]').first.evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    assert green == "rgb(60, 157, 93)" and grey == "rgb(201, 206, 211)"
    box = table.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 100
    page.screenshot(path=str(tmp_path / "heatmap.png"), full_page=True)
    page.close()


def _required(guideline: str, target: str) -> dict[str, list[tuple[str, str | None]]]:
    """Each required capability of `target` with its unflagged tests: (name, idempotent id)."""
    from server_support import _interop_dir

    from defcore.guidelines.loader import load_file
    from defcore.guidelines.targets import resolve_target

    loaded = load_file(_interop_dir() / f"{guideline}.json")
    found: dict[str, list[tuple[str, str | None]]] = {}
    for selected in loaded.tests_for(resolve_target(loaded, target)):
        found.setdefault(selected.capability, []).append((selected.test.name, selected.test.uuid))
    return found


@pytest.fixture(scope="module")
def programs(live: Live) -> dict[str, str]:
    """A Storage product (verified) and a Compute product (not verified) with one capability
    half run: names, and that capability."""
    vendor_id, vendor_admin = live.vendor("programs")
    compute = _required("2020.06", "OpenStack Powered Compute")
    half = next(cap for cap, tests in sorted(compute.items()) if len(tests) >= 2)
    compute_tests = [
        t for cap, tests in compute.items() for t in (tests[:1] if cap == half else tests)
    ]
    names: dict[str, str] = {"half": half}
    made = (("storage", storage_tests(), True), ("compute", compute_tests, False))
    for label, tests, verify in made:
        product_id, version_id = live.product(vendor_id, vendor_admin.token, public=True)
        names[label] = live.call("GET", f"/v1/products/{product_id}").json()["name"]
        result_id = live.upload(
            refstack_body(sorted(set(tests)), salt=uuid.uuid4().hex), vendor_admin.token
        ).json()["id"]
        live.call(
            "PATCH",
            f"/v1/results/{result_id}",
            vendor_admin.token,
            json={"product_version_id": version_id, "public": True},
        )
        if verify:
            r = live.call(
                "POST",
                f"/v1/results/{result_id}/verifications",
                live.admin.token,
                json={"guideline": "2020.06", "target": "storage"},
            )
            assert r.status_code == 201, r.text
    return names


READ_MAP = """() => {
  const products = [...document.querySelectorAll('#heatmap th.product')];
  const out = {};
  products.forEach((th, i) => { out[th.innerText] = {program: th.dataset.program, cells: {}}; });
  for (const row of document.querySelectorAll('#heatmap tr')) {
    const cap = row.querySelector('th.cap');
    if (!cap) continue;
    row.querySelectorAll('td.cell').forEach((td, i) => {
      out[products[i].innerText].cells[cap.innerText] =
        [td.dataset.state, getComputedStyle(td).backgroundColor];
    });
  }
  return out;
}"""
RED = "rgb(217, 83, 79)"


def test_heatmap_tells_not_run_and_nothing_required_from_failures(
    browser: playwright_sync.BrowserContext, live: Live, programs: dict[str, str]
) -> None:
    page = browser.new_page()
    # by default each product is judged against its own program
    page.goto(f"{live.url}/heatmap?guideline=2020.06")
    page.locator("#heatmap").wait_for()
    seen = page.evaluate(READ_MAP)
    storage, compute = seen[programs["storage"]], seen[programs["compute"]]
    assert storage["program"] == "OpenStack Powered Storage"  # its verification
    assert compute["program"] == "OpenStack Powered Compute"  # it ran no storage test
    assert storage["cells"]["compute-servers-create"][0] == "outside"
    assert compute["cells"]["objectstore-container-list"][0] == "outside"
    assert storage["cells"]["objectstore-container-list"][0] == "pass"
    assert compute["cells"][programs["half"]] == ["fail", RED]
    assert compute["cells"]["compute-servers-resize"][0] == "nothing"  # every test flagged
    assert compute["cells"]["compute-servers-create"][0] == "pass"
    # against Platform, the Storage product's compute capabilities are not run, not red
    page.goto(f"{live.url}/heatmap?guideline=2020.06&target=OpenStack+Powered+Platform")
    page.locator("#heatmap").wait_for()
    seen = page.evaluate(READ_MAP)
    storage = seen[programs["storage"]]
    assert storage["program"] == "OpenStack Powered Platform"
    assert storage["cells"]["compute-servers-create"][0] == "notrun"
    assert storage["cells"]["identity-v3-list-projects"][0] == "nothing"
    painted_red = [cap for cap, (_, color) in storage["cells"].items() if color == RED]
    assert painted_red == []
    legend = page.locator(".legend").inner_text()
    assert "not run" in legend and "nothing required" in legend
    page.close()
