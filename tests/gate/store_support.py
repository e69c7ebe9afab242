"""A results store for the gate tests: products with uploaded, linked and verified results."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from server_support import Live, refstack_body

from defcore.guidelines.sources import load
from defcore.guidelines.targets import resolve_target

Tests = list[tuple[str, str | None]]


def storage_tests_2020(*extra: str) -> Tests:
    guideline = load("2020.06")
    target = resolve_target(guideline, "storage")
    tests = {s.test.name: s.test.uuid for s in guideline.tests_for(target)}
    return [*tests.items(), *((name, None) for name in extra)]


def upload_to(live: Live, token: str, version_id: int, body: bytes) -> str:
    """Upload a result and tie it to a product version; its id."""
    r = live.upload(body, token)
    assert r.status_code == 201, r.text
    result_id: str = r.json()["id"]
    link = {"product_version_id": version_id}
    r = live.call("PATCH", f"/v1/results/{result_id}", token, json=link)
    assert r.status_code == 200, r.text
    return result_id


def verified_product(live: Live, vendor_id: int, token: str, tests: Tests) -> str:
    """A product whose one result passes `tests` and is verified for Storage 2020.06."""
    product_id, version_id = live.product(vendor_id, token)
    result_id = upload_to(live, token, version_id, refstack_body(tests, salt=uuid.uuid4().hex))
    r = live.call(
        "POST",
        f"/v1/results/{result_id}/verifications",
        live.admin.token,
        json={"guideline": "2020.06", "target": "storage"},
    )
    assert r.status_code == 201, r.text
    data = live.call("GET", f"/v1/products/{product_id}", token).json()
    return f"{data['vendor']} / {data['name']}"
