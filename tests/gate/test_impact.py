"""Which certified products a change would break, from a real results store (SQLite)."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from changes import a_new_test_in_object_create, flag_the_marker_test
from server_support import Live, _guidelines_env, interop_dir, refstack_body, start_live

from defcore.gate.impact import impact
from defcore.guidelines.sources import load
from defcore.guidelines.targets import resolve_target

__all__ = ["_guidelines_env", "interop_dir"]  # fixtures, found by name

ETAG = "tempest.api.object_storage.test_object_services.ObjectTest.test_create_object_with_etag"
MARKER = flag_the_marker_test


@pytest.fixture(scope="module")
def store(request: pytest.FixtureRequest) -> Iterator[Live]:
    yield from start_live("sqlite", request)


Tests = list[tuple[str, str | None]]


def _storage(*extra: str) -> Tests:
    guideline = load("2020.06")
    target = resolve_target(guideline, "storage")
    tests = {s.test.name: s.test.uuid for s in guideline.tests_for(target)}
    return [*tests.items(), *((name, None) for name in extra)]


def _verified_product(live: Live, vendor_id: int, token: str, tests: Tests) -> str:
    product_id, version_id = live.product(vendor_id, token)
    r = live.upload(refstack_body(tests, salt=uuid.uuid4().hex), token)
    assert r.status_code == 201, r.text
    result_id: str = r.json()["id"]
    r = live.call(
        "PATCH", f"/v1/results/{result_id}", token, json={"product_version_id": version_id}
    )
    assert r.status_code == 200, r.text
    r = live.call(
        "POST",
        f"/v1/results/{result_id}/verifications",
        live.admin.token,
        json={"guideline": "2020.06", "target": "storage"},
    )
    assert r.status_code == 201, r.text
    data = live.call("GET", f"/v1/products/{product_id}", token).json()
    return f"{data['vendor']} / {data['name']}"


def test_products_the_change_would_break(store: Live) -> None:
    vendor_id, vadmin = store.vendor("impact")
    # Both pass Storage 2020.06 and are verified for it (the server verifies nothing else).
    ran_etag = _verified_product(store, vendor_id, vadmin.token, _storage(ETAG))
    no_etag = _verified_product(store, vendor_id, vadmin.token, _storage())
    change = a_new_test_in_object_create()
    found = {i.product: i for i in impact(store.database_url, load("2020.06"), change)}
    assert set(found) >= {ran_etag, no_etag}
    assert found[ran_etag].passes_base and found[ran_etag].passes_change
    assert not found[ran_etag].breaks
    assert found[no_etag].breaks
    assert found[no_etag].newly_failing == ("objectstore-object-create",)


def test_a_flag_breaks_nobody(store: Live) -> None:
    vendor_id, vadmin = store.vendor("flag")
    product = _verified_product(store, vendor_id, vadmin.token, _storage())
    found = {
        i.product: i for i in impact(store.database_url, load("2020.06"), flag_the_marker_test())
    }
    assert product in found
    assert not any(i.breaks for i in found.values())
