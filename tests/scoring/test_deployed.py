"""Widely Deployed from data: the pure computation on real guidelines and runs, and the same
numbers from a real results server (uploads, products and verifications over real HTTP, on
SQLite and PostgreSQL).

The evidence is built from the real test lists of Storage 2020.06 (58 tests) and Storage
2018.02 (52 of them: no SLO, DLO or token-delete tests), so a product verified for 2018.02 fails
2020.06's objectstore-slo-support, which the committee marks as deployed.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from server_support import (
    BACKENDS,
    Live,
    _guidelines_env,
    _interop_dir,
    interop_dir,
    postgres,
    refstack_body,
    start_live,
)

from defcore.cli import cli
from defcore.guidelines.loader import load_file
from defcore.guidelines.model import Guideline
from defcore.guidelines.targets import resolve_target
from defcore.results.model import Outcome, RunResults
from defcore.results.model import TestResult as RunTest
from defcore.scoring.deployed import (
    DeployedError,
    ProductEvidence,
    widely_deployed,
)

__all__ = ["_guidelines_env", "interop_dir", "postgres"]  # fixtures, found by name

SLO = "objectstore-slo-support"  # deployed per the committee in 2020.06; not in Storage 2018.02
CREATE = "objectstore-object-create"  # in both
TOKENS_DELETE = "identity-v3-tokens-delete"  # not marked deployed by the committee in 2020.06
COMPUTE = "compute-servers-create"


def _guideline(gid: str) -> Guideline:
    return load_file(_interop_dir() / f"{gid}.json")


def storage_tests(gid: str) -> list[tuple[str, str | None]]:
    guideline = _guideline(gid)
    seen: dict[str, str | None] = {}
    for selected in guideline.tests_for(resolve_target(guideline, "storage")):
        seen.setdefault(selected.test.name, selected.test.uuid)
    return list(seen.items())


def run_of(tests: list[tuple[str, str | None]]) -> RunResults:
    run = RunResults()
    for name, test_uuid in tests:
        run.add(RunTest(name, Outcome.PASSED, test_uuid))
    return run


# -- the computation --------------------------------------------------------------------------


def test_share_threshold_and_committee_mark() -> None:
    g = _guideline("2020.06")
    full, old = run_of(storage_tests("2020.06")), run_of(storage_tests("2018.02"))
    evidence = [
        ProductEvidence("A", full, ("OpenStack Powered Storage",)),
        ProductEvidence("B", old, ("storage",)),
    ]
    report = widely_deployed(g, evidence)
    slo = report.capability(SLO)
    assert (slo.passing, slo.failing, slo.share) == (("A",), ("B",), 0.5)
    # strictly above the threshold: half is not a majority
    assert slo.achieved is False and slo.committee is True and slo.agrees is False
    assert widely_deployed(g, evidence, threshold=0.49).capability(SLO).achieved is True
    create = report.capability(CREATE)
    assert create.share == 1.0 and create.achieved is True and create.agrees is True
    tokens = report.capability(TOKENS_DELETE)
    assert tokens.committee is False and tokens.achieved is False and tokens.agrees is True
    # a storage product says nothing about compute: not judged, so unknown
    compute = report.capability(COMPUTE)
    assert compute.judged == 0 and compute.share is None and compute.achieved is None
    assert SLO in {c.name for c in report.disagreements}
    # too few products judged: unknown, whatever the share
    assert widely_deployed(g, evidence, min_products=3).capability(CREATE).achieved is None
    # a platform product is judged on compute too, and fails what it did not run
    platform = widely_deployed(g, [ProductEvidence("P", full, ("platform",))])
    assert platform.capability(COMPUTE).failing == ("P",)
    assert platform.capability(CREATE).passing == ("P",)
    # targets the guideline does not define are no evidence
    none = widely_deployed(g, [ProductEvidence("X", full, ("OpenStack with DNS",))])
    assert none.products == {} and none.capability(CREATE).judged == 0


def test_a_capability_without_unflagged_tests_is_undetermined() -> None:
    g = _guideline("2020.06")
    untestable = [c.name for c in g.capabilities.values() if not c.unflagged_tests]
    if not untestable:
        pytest.skip("2020.06 has no capability whose every test is flagged")
    report = widely_deployed(g, [ProductEvidence("A", RunResults(), ("platform",))])
    for name in untestable:
        row = report.capability(name)
        assert row.share is None and row.achieved is None


@pytest.mark.parametrize(("threshold", "minimum"), [(-0.1, 1), (1.0, 1), (0.5, 0)])
def test_parameters_are_checked(threshold: float, minimum: int) -> None:
    with pytest.raises(DeployedError):
        widely_deployed(_guideline("2020.06"), [], threshold, minimum)


def test_duplicate_product_labels_are_refused() -> None:
    run = run_of(storage_tests("2020.06"))
    evidence = [ProductEvidence("A", run, ("storage",)), ProductEvidence("A", run, ("storage",))]
    with pytest.raises(DeployedError, match="product label"):
        widely_deployed(_guideline("2020.06"), evidence)


# -- from a real results server -----------------------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def store(request: pytest.FixtureRequest) -> Iterator[Live]:
    """A server of its own, so that no other test's verified results count here."""
    yield from start_live(str(request.param), request)


def _result(
    live: Live, token: str, version_id: int, gid: str, verify: bool = True, public: bool = False
) -> str:
    body = refstack_body(storage_tests(gid), salt=uuid.uuid4().hex)
    r = live.upload(body, token)
    assert r.status_code == 201, r.text
    result_id: str = r.json()["id"]
    r = live.call(
        "PATCH",
        f"/v1/results/{result_id}",
        token,
        json={"product_version_id": version_id, "public": public},
    )
    assert r.status_code == 200, r.text
    if verify:
        r = live.call(
            "POST",
            f"/v1/results/{result_id}/verifications",
            live.admin.token,
            json={"guideline": gid, "target": "storage"},
        )
        assert r.status_code == 201, r.text
    return result_id


def _name(live: Live, product_id: int, token: str | None = None) -> str:
    data = live.call("GET", f"/v1/products/{product_id}", token).json()
    return f"{data['vendor']} / {data['name']}"


def test_server_shares_from_newest_verified_results(store: Live) -> None:
    live = store
    vendor_id, vadmin = live.vendor("deployed")
    full = live.product(vendor_id, vadmin.token)  # newest verified: 2020.06 (all 58 tests)
    old = live.product(vendor_id, vadmin.token)  # newest verified: 2018.02 (no SLO)
    private = live.product(vendor_id, vadmin.token, public=False)  # 2018.02, private
    newer = live.product(vendor_id, vadmin.token)  # 2020.06 first, then 2018.02: the latter
    unverified = live.product(vendor_id, vadmin.token)  # only unverified uploads: no evidence
    _result(live, vadmin.token, full[1], "2020.06")
    _result(live, vadmin.token, old[1], "2018.02", public=True)
    _result(live, vadmin.token, private[1], "2018.02")
    _result(live, vadmin.token, newer[1], "2020.06")
    r = live.call("POST", f"/v1/products/{newer[0]}/versions", vadmin.token, json={"version": "2"})
    _result(live, vadmin.token, r.json()["id"], "2018.02")  # a newer version's newer result
    _result(live, vadmin.token, unverified[1], "2020.06", verify=False, public=True)

    r = live.call("GET", "/v1/guidelines/2020.06/deployed")
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["threshold"] == 0.5 and data["min_products"] == 1
    labels = {p["product"] for p in data["products"]}
    assert len(labels) == 4 and "private product 1" in labels
    assert _name(live, unverified[0]) not in labels
    assert _name(live, private[0], vadmin.token) not in labels  # no private name leaks
    caps = {c["name"]: c for c in data["capabilities"]}
    slo = caps[SLO]
    assert (slo["passing"], slo["judged"], slo["share"]) == (1, 4, 0.25)
    assert slo["passing_products"] == [_name(live, full[0])]
    assert slo["achieved"] is False and slo["committee"] is True and slo["agrees"] is False
    create = caps[CREATE]
    assert (create["passing"], create["judged"], create["achieved"], create["agrees"]) == (
        4,
        4,
        True,
        True,
    )
    assert caps[TOKENS_DELETE]["share"] == 0.25 and caps[TOKENS_DELETE]["agrees"] is True
    assert caps[COMPUTE]["judged"] == 0 and caps[COMPUTE]["achieved"] is None
    # the same store, a lower threshold: SLO at 25% is now above it
    low = live.call("GET", "/v1/guidelines/2020.06/deployed", params={"threshold": 0.2}).json()
    assert {c["name"]: c for c in low["capabilities"]}[SLO]["achieved"] is True
    # the vendor sees its private product by name; the numbers are the same for everyone
    mine = live.call("GET", "/v1/guidelines/2020.06/deployed", vadmin.token).json()
    assert _name(live, private[0], vadmin.token) in {p["product"] for p in mine["products"]}
    assert [c["share"] for c in mine["capabilities"]] == [c["share"] for c in data["capabilities"]]
    # a 2018.02 report: the same products, judged against 2018.02's capabilities
    older = live.call("GET", "/v1/guidelines/2018.02/deployed").json()
    assert len(older["products"]) == 4
    assert all(
        c["share"] == 1.0
        for c in older["capabilities"]
        if c["judged"] and c["status"] == "required"
    )
    # bad parameters
    assert live.call("GET", "/v1/guidelines/2020.06/deployed?threshold=1").status_code == 422
    assert live.call("GET", "/v1/guidelines/9999.01/deployed").status_code == 404

    # the page, beside the committee's mark
    page = live.call("GET", "/usage/deployed", params={"guideline": "2020.06"}).text
    row = page.split(f'data-capability="{SLO}"')[1].split("</tr>")[0]
    assert 'data-achieved="no"' in row and 'data-committee="yes"' in row
    assert "1 / 4" in row and "25%" in row and "disagrees" in row
    row = page.split(f'data-capability="{CREATE}"')[1].split("</tr>")[0]
    assert 'data-achieved="yes"' in row and 'data-agrees="yes"' in row
    assert "4 product(s) with verified evidence" in page
    assert 'href="/usage/deployed' in live.call("GET", "/usage").text

    # the command
    runner = CliRunner()
    args = ["deployed", "--server", live.url, "--guideline", "2020.06"]
    result = runner.invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith(SLO + " "))
    assert "1/4" in line and "25%" in line and "DISAGREES" in line
    result = runner.invoke(cli, [*args, "--threshold", "0.2", "--disagreements"])
    assert SLO not in result.output
