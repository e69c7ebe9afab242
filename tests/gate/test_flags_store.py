"""Flag candidates from the results store: every stored result, by product."""

from __future__ import annotations

import uuid

from click.testing import CliRunner
from server_support import Live, refstack_body
from store_support import storage_tests_2020, upload_to

from defcore.cli import cli
from defcore.gate.flags import candidates
from defcore.gate.runs import load_store_runs
from defcore.guidelines.sources import load
from defcore.guidelines.targets import resolve_target

TEMPURL = (
    "tempest.api.object_storage.test_object_temp_url.ObjectTempUrlTest"
    ".test_get_object_using_temp_url"
)


def test_a_test_failing_now_and_then_on_one_product(store: Live) -> None:
    vendor_id, vadmin = store.vendor("flaky")
    product_id, version_id = store.product(vendor_id, vadmin.token)
    everything = storage_tests_2020()
    without = [t for t in everything if t[0] != TEMPURL]  # RefStack lists passed tests only
    for tests in (everything, without, everything):
        upload_to(store, vadmin.token, version_id, refstack_body(tests, salt=uuid.uuid4().hex))
    _, other_version = store.product(vendor_id, vadmin.token)
    upload_to(store, vadmin.token, other_version, refstack_body(everything, salt="x"))

    runs = load_store_runs(store.database_url)
    assert len(runs) >= 4
    guideline = load("2020.06")
    found = candidates(guideline, resolve_target(guideline, "storage"), runs)
    (flaky,) = [c for c in found if c.test == TEMPURL]
    assert flaky.code == "D401" and "intermittently" in flaky.reason
    data = store.call("GET", f"/v1/products/{product_id}", vadmin.token).json()
    product = f"{data['vendor']} / {data['name']}"
    assert flaky.evidence == (f"on {product} with unknown: passed 2 of 3 runs",)

    args = ["--database", store.database_url, "--guideline", "2020.06", "--target", "storage"]
    out = CliRunner().invoke(cli, ["flag", "candidates", *args, "--format", "json"])
    assert out.exit_code == 0, out.output
    assert TEMPURL in out.output
