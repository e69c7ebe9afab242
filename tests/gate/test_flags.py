"""Flag candidates: three patterns from constructed runs, and the real case from two lab runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from runner_support import Finished

from defcore.cli import cli
from defcore.gate.flags import apply, candidates
from defcore.gate.runs import RunRecord, load_runs
from defcore.guidelines.check import check
from defcore.guidelines.findings import Severity
from defcore.guidelines.lint import lint
from defcore.guidelines.loader import load_file
from defcore.guidelines.model import Guideline, Target
from defcore.guidelines.sources import load
from defcore.guidelines.targets import resolve_target
from defcore.results.model import Outcome, RunResults, TestResult

MARKER = (
    "tempest.api.object_storage.test_account_services.AccountTest.test_list_containers_with_marker"
)
TEMPURL = (
    "tempest.api.object_storage.test_object_temp_url.ObjectTempUrlTest"
    ".test_get_object_using_temp_url"
)
ACCOUNT_LIST = "objectstore-account-list"


@pytest.fixture(scope="module")
def storage() -> tuple[Guideline, Target]:
    guideline = load("2020.06")
    return guideline, resolve_target(guideline, "OpenStack Powered Storage")


def _run(
    storage: tuple[Guideline, Target], cloud: str, config: str, **changed: Outcome
) -> RunRecord:
    guideline, target = storage
    results = RunResults()
    for selected in guideline.tests_for(target):
        test = selected.test
        outcome = changed.get(test.name.rsplit(".", 1)[-1], Outcome.PASSED)
        reason = "Skipped because of bug#2147232." if outcome is Outcome.SKIPPED else "boom"
        results.add(
            TestResult(test.name, outcome, test.uuid, "" if outcome is Outcome.PASSED else reason)
        )
    return RunRecord(f"{cloud}-{config}", cloud, config, results)


def test_nothing_to_flag_when_everything_passes(storage: tuple[Guideline, Target]) -> None:
    runs = [_run(storage, "a", "admin"), _run(storage, "b", "accounts")]
    assert candidates(*storage, runs) == []


def test_skipped_under_one_configuration_only(storage: tuple[Guideline, Target]) -> None:
    skip = {"test_list_containers_with_marker": Outcome.SKIPPED}
    runs = [_run(storage, "lab", "dynamic (admin)"), _run(storage, "lab", "accounts", **skip)]
    (found,) = candidates(*storage, runs)
    assert (found.test, found.capability, found.code) == (
        MARKER,
        "objectstore-account-list",
        "D401",
    )
    assert "Skipped because of bug#2147232." in found.reason
    assert "skipped in 1 of 1 runs with accounts on 1 cloud(s)" in found.evidence[0]


def test_intermittent_on_one_cloud(storage: tuple[Guideline, Target]) -> None:
    fail = {"test_get_object_using_temp_url": Outcome.FAILED}
    runs = [_run(storage, "c", "admin"), _run(storage, "c", "admin", **fail)]
    (found,) = candidates(*storage, runs)
    assert found.test == TEMPURL and found.code == "D401"
    assert found.evidence == ("on c with admin: passed 1 of 2 runs",)


def test_failing_on_some_clouds_only(storage: tuple[Guideline, Target]) -> None:
    fail = {"test_get_object_using_temp_url": Outcome.FAILED}
    runs = [_run(storage, "p1", "admin", **fail), _run(storage, "p2", "admin")]
    runs.append(_run(storage, "p3", "admin"))
    (found,) = candidates(*storage, runs)
    assert found.code == "D400" and "1 of 3 clouds" in found.reason
    assert found.evidence[-1] == "passed on 2 other cloud(s)"


def test_a_whole_capability_failing_is_not_a_flag(storage: tuple[Guideline, Target]) -> None:
    # The capability itself is missing on p1 (both temp-URL tests fail): that is a verdict,
    # not a test to flag. objectstore-temp-url-get has one test, so use the SLO tests.
    slo = {n: Outcome.FAILED for n in ("test_upload_manifest", "test_retrieve_large_object")}
    runs = [_run(storage, "p1", "admin", **slo), _run(storage, "p2", "admin")]
    assert candidates(*storage, runs) == []


def test_apply_flags_a_copy(storage: tuple[Guideline, Target]) -> None:
    skip = {"test_list_containers_with_marker": Outcome.SKIPPED}
    runs = [_run(storage, "lab", "admin"), _run(storage, "lab", "accounts", **skip)]
    guideline, _ = storage
    flagged = apply(guideline, candidates(*storage, runs))
    (test,) = [
        t for t in flagged.capabilities["objectstore-account-list"].tests if t.name == MARKER
    ]
    assert test.flag is not None and test.flag.code == "D401"
    assert not any(t.flagged for t in guideline.capabilities["objectstore-account-list"].tests)


@pytest.mark.lab
@pytest.mark.slow
def test_lab_runs_under_both_credentials_propose_the_marker_test(
    storage_run: Finished, member_storage_run: Finished, tmp_path: Path
) -> None:
    # The real case: with pre-provisioned (non-admin) accounts Tempest always skips it.
    member = json.loads((member_storage_run.run_dir / "result.json").read_text())
    assert member["defcore"]["credentials"] == "pre-provisioned accounts"
    not_passed = [t for t in member["tests"] if t["outcome"] != "passed"]
    assert [(t["name"], t["outcome"]) for t in not_passed] == [(MARKER, "skipped")]
    assert member_storage_run.returncode == 1  # so no such run can pass Storage

    runs = [storage_run.run_dir, member_storage_run.run_dir]
    guideline = load("2020.06")
    target = resolve_target(guideline, "storage")
    (found,) = candidates(guideline, target, load_runs(runs))
    assert found.test == MARKER and found.code == "D401"
    assert not_passed[0]["reason"] in found.reason
    assert found.evidence == (
        "skipped in 1 of 1 runs with pre-provisioned accounts on 1 cloud(s): "
        + not_passed[0]["reason"],
        "passed in 1 of 1 runs with dynamic (admin)",
    )

    draft = tmp_path / "2020.06.json"
    args = ["flag", "propose", *map(str, runs), "--guideline", "2020.06", "--target", "storage"]
    out = CliRunner().invoke(cli, [*args, "-o", str(draft)])
    assert out.exit_code == 0, out.output
    proposed = load_file(draft)
    (test,) = [
        t for t in proposed.capabilities["objectstore-account-list"].tests if t.name == MARKER
    ]
    assert test.flag is not None and test.flag.reason.startswith("[D401] Skipped by Tempest")
    # The draft brings no new check error and obeys the process rules against 2020.06.
    known = {(f.path, f.code) for f in check(guideline)}
    new_errors = [f for f in check(proposed) if f.severity is Severity.ERROR]
    assert [f for f in new_errors if (f.path, f.code) not in known] == []
    assert [f for f in lint(proposed, guideline) if f.severity is Severity.ERROR] == []
