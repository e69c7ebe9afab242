"""The verdict on the real 2020.06 targets, from runs of their real test names and ids."""

from __future__ import annotations

from pathlib import Path

import pytest
from results_support import FakeTempest, RunTempest, storage_tests

from defcore.guidelines.model import Guideline, Status, Target
from defcore.guidelines.sources import load
from defcore.guidelines.targets import resolve_target
from defcore.results.model import Outcome, RunResults
from defcore.results.model import TestResult as Result
from defcore.results.subunit import read_subunit
from defcore.results.verdict import CapabilityVerdict, Verdict, compute_verdict

Storage = tuple[Guideline, Target]

MODULE = "tempest.api.object_storage.test_object_temp_url"
TEMPURL_GET = "objectstore-temp-url-get"
TEMPURL_PUT = "objectstore-temp-url-put"
GET_NAME = f"{MODULE}.ObjectTempUrlTest.test_get_object_using_temp_url"
GET_UUID = "f91c96d4-1230-4bba-8eb9-84476d18d991"
# objectstore-dlo-support lists an alias for test_object_upload_in_segments;
# objectstore-object-create lists the same test without it.
SEGMENTS = (
    "tempest.api.object_storage.test_object_services.ObjectTest.test_object_upload_in_segments"
)
VERSIONED = "tempest.api.object_storage.test_object_version.ContainerTest.test_versioned_container"
SEGMENTS_ALIAS = (
    "tempest.api.object_storage.test_object_services.ObjectTest"
    ".test_get_object_with_x_object_manifest"
)


def _all_passed(guideline: Guideline, target: Target) -> RunResults:
    run = RunResults()
    for name, uuid in storage_tests(guideline, target).items():
        run.add(Result(name, Outcome.PASSED, uuid))
    return run


def _cap(verdict: Verdict, name: str) -> CapabilityVerdict:
    (cap,) = [c for c in verdict.capabilities if c.name == name]
    return cap


def _not_passed(verdict: Verdict) -> list[str]:
    return sorted(c.name for c in verdict.capabilities if not c.passed)


def test_the_real_guideline_is_what_the_tests_assume(storage: Storage) -> None:
    guideline, target = storage
    tests = storage_tests(guideline, target)
    assert len(tests) == 58
    assert tests[GET_NAME] == GET_UUID
    (dlo,) = [t for t in guideline.capabilities["objectstore-dlo-support"].tests if t.aliases]
    assert dlo.name == SEGMENTS and dlo.aliases == (SEGMENTS_ALIAS,)
    create = [t for t in guideline.capabilities["objectstore-object-create"].tests]
    assert any(t.name == SEGMENTS and not t.aliases for t in create)


def test_everything_passed(storage: Storage) -> None:
    verdict = compute_verdict(*storage, _all_passed(*storage))
    assert verdict.passed
    assert _not_passed(verdict) == []
    summary = verdict.as_dict()
    assert summary["required_tests"] == summary["required_tests_passed"] == 58


def test_nothing_run_is_not_a_pass(storage: Storage) -> None:
    verdict = compute_verdict(*storage, RunResults())
    assert not verdict.passed
    assert all(not c.passed for c in verdict.capabilities)
    assert verdict.as_dict()["required_tests_passed"] == 0


def test_a_skip_fails_its_capability_with_the_reason(storage: Storage) -> None:
    guideline, target = storage
    run = _all_passed(guideline, target)
    run.results[GET_NAME] = Result(GET_NAME, Outcome.SKIPPED, GET_UUID, "tempurl not enabled")
    verdict = compute_verdict(guideline, target, run)
    assert not verdict.passed
    assert _not_passed(verdict) == [TEMPURL_GET]
    (test,) = _cap(verdict, TEMPURL_GET).tests
    assert test.outcome is Outcome.SKIPPED and test.reason == "tempurl not enabled"
    assert _cap(verdict, TEMPURL_GET).count(Outcome.SKIPPED) == 1


@pytest.mark.parametrize("outcome", [Outcome.FAILED, Outcome.ERRORED, Outcome.MISSING])
def test_any_outcome_but_passed_fails_the_capability(storage: Storage, outcome: Outcome) -> None:
    guideline, target = storage
    run = _all_passed(guideline, target)
    run.results[GET_NAME] = Result(GET_NAME, outcome, GET_UUID, "why")
    verdict = compute_verdict(guideline, target, run)
    assert _not_passed(verdict) == [TEMPURL_GET] and not verdict.passed


def test_a_missing_test_is_not_passed_and_says_so(storage: Storage) -> None:
    guideline, target = storage
    run = _all_passed(guideline, target)
    del run.results[GET_NAME]
    verdict = compute_verdict(guideline, target, run)
    assert _not_passed(verdict) == [TEMPURL_GET] and not verdict.passed
    (test,) = _cap(verdict, TEMPURL_GET).tests
    assert test.outcome is Outcome.MISSING
    assert test.reason.startswith("not in the results (not run")


def test_a_test_in_two_capabilities_fails_both(storage: Storage) -> None:
    guideline, target = storage
    run = _all_passed(guideline, target)
    name = "tempest.api.object_storage.test_account_services.AccountTest.test_list_extensions"
    run.results[name] = Result(name, Outcome.FAILED, None, "500")
    verdict = compute_verdict(guideline, target, run)
    assert _not_passed(verdict) == ["objectstore-account-list", "objectstore-info-request"]
    assert verdict.as_dict()["required_tests_passed"] == 57


def test_a_failed_class_set_up_fails_the_tests_absent_from_the_run(storage: Storage) -> None:
    guideline, target = storage
    run = _all_passed(guideline, target)
    for name in [n for n in run.results if n.startswith(f"{MODULE}.ObjectTempUrlTest.")]:
        del run.results[name]
    run.class_failures[f"{MODULE}.ObjectTempUrlTest"] = "RuntimeError: no tempurl key"
    verdict = compute_verdict(guideline, target, run)
    assert _not_passed(verdict) == [TEMPURL_GET, TEMPURL_PUT]
    for cap in (TEMPURL_GET, TEMPURL_PUT):
        (test,) = _cap(verdict, cap).tests
        assert test.outcome is Outcome.ERRORED
        assert test.reason == "class set-up failed: RuntimeError: no tempurl key"


def test_a_class_skipped_at_set_up_skips_the_tests_absent_from_the_run(storage: Storage) -> None:
    guideline, target = storage
    run = _all_passed(guideline, target)
    for name in [n for n in run.results if n.startswith(f"{MODULE}.ObjectTempUrlTest.")]:
        del run.results[name]
    run.class_skips[f"{MODULE}.ObjectTempUrlTest"] = "tempurl is not enabled"
    verdict = compute_verdict(guideline, target, run)
    assert _not_passed(verdict) == [TEMPURL_GET, TEMPURL_PUT]
    for cap in (TEMPURL_GET, TEMPURL_PUT):
        (test,) = _cap(verdict, cap).tests
        assert test.outcome is Outcome.SKIPPED
        assert test.reason == "class skipped at set-up: tempurl is not enabled"


def test_an_alias_counts_only_where_the_guideline_gives_it(storage: Storage) -> None:
    guideline, target = storage
    run = _all_passed(guideline, target)
    del run.results[SEGMENTS]
    # An older Tempest: the test under its old name, with an id of its own.
    run.add(Result(SEGMENTS_ALIAS, Outcome.PASSED, "00000000-0000-4000-8000-000000000001"))
    verdict = compute_verdict(guideline, target, run)
    dlo = _cap(verdict, "objectstore-dlo-support")
    assert dlo.passed
    (via_alias,) = [t for t in dlo.tests if t.name == SEGMENTS]
    assert via_alias.passed and via_alias.matched_as == SEGMENTS_ALIAS
    # objectstore-object-create lists the test without the alias: there it is missing.
    assert _not_passed(verdict) == ["objectstore-object-create"]
    assert not verdict.passed


def test_an_exact_name_wins_over_an_alias(storage: Storage) -> None:
    guideline, target = storage
    run = _all_passed(guideline, target)
    run.add(Result(SEGMENTS_ALIAS, Outcome.FAILED, None, "old test failed"))
    verdict = compute_verdict(guideline, target, run)
    assert verdict.passed
    (test,) = [t for t in _cap(verdict, "objectstore-dlo-support").tests if t.name == SEGMENTS]
    assert test.matched_as == ""


def test_an_id_in_the_same_class_is_accepted(storage: Storage) -> None:
    guideline, target = storage
    run = _all_passed(guideline, target)
    del run.results[GET_NAME]
    renamed = f"{MODULE}.ObjectTempUrlTest.test_get_object_using_a_temp_url"
    run.add(Result(renamed, Outcome.PASSED, GET_UUID))
    verdict = compute_verdict(guideline, target, run)
    assert verdict.passed
    (test,) = _cap(verdict, TEMPURL_GET).tests
    assert test.matched_as == renamed


def test_an_id_in_a_subclass_in_the_same_module_is_accepted(storage: Storage) -> None:
    # Tempest subclasses inherit ids (NetworksTest / NetworksIpV6Test).
    guideline, target = storage
    run = _all_passed(guideline, target)
    del run.results[GET_NAME]
    inherited = f"{MODULE}.ObjectTempUrlIpv6Test.test_get_object_using_temp_url"
    run.add(Result(inherited, Outcome.SKIPPED, GET_UUID, "IPv6 is not enabled"))
    verdict = compute_verdict(guideline, target, run)
    (test,) = _cap(verdict, TEMPURL_GET).tests
    assert test.matched_as == inherited and test.outcome is Outcome.SKIPPED
    assert test.reason == "IPv6 is not enabled" and not verdict.passed


def test_the_own_class_wins_among_tests_with_the_id(storage: Storage) -> None:
    guideline, target = storage
    run = _all_passed(guideline, target)
    del run.results[GET_NAME]
    own = f"{MODULE}.ObjectTempUrlTest.test_get_object_using_temp_url_v2"
    run.add(Result(f"{MODULE}.ObjectTempUrlIpv6Test.test_get", Outcome.FAILED, GET_UUID, "x"))
    run.add(Result(own, Outcome.PASSED, GET_UUID))
    verdict = compute_verdict(guideline, target, run)
    (test,) = _cap(verdict, TEMPURL_GET).tests
    assert test.matched_as == own and verdict.passed


@pytest.mark.parametrize(
    "elsewhere",
    [
        # The same API, another module: another class family.
        "tempest.api.object_storage.test_object_temp_url_negative"
        ".ObjectTempUrlNegativeTest.test_get_object_using_temp_url",
        # Another service altogether.
        "tempest.api.compute.servers.test_servers.ServersTest.test_get_object_using_temp_url",
        # A plugin with a module of the same name.
        "swift_tempest_plugin.tests.api.test_object_temp_url"
        ".ObjectTempUrlTest.test_get_object_using_temp_url",
    ],
)
def test_an_id_from_another_class_family_is_not_accepted(storage: Storage, elsewhere: str) -> None:
    guideline, target = storage
    run = _all_passed(guideline, target)
    del run.results[GET_NAME]
    run.add(Result(elsewhere, Outcome.PASSED, GET_UUID))
    verdict = compute_verdict(guideline, target, run)
    (test,) = _cap(verdict, TEMPURL_GET).tests
    assert test.outcome is Outcome.MISSING and test.matched_as == ""
    assert not verdict.passed


def test_flagged_tests_do_not_count(interop_dir: Path) -> None:
    guideline = load(str(interop_dir / "2020.06.json"))
    target = resolve_target(guideline, "OpenStack Powered Platform")
    run = _all_passed(guideline, target)
    cap_name, flagged = next(
        (cap, t)
        for comp in target.components
        for status, cap in comp.all_capabilities()
        if str(status) == "required"
        for t in guideline.capabilities[cap].tests
        if t.flagged
    )
    assert compute_verdict(guideline, target, run).passed
    del run.results[flagged.name]
    verdict = compute_verdict(guideline, target, run)
    assert verdict.passed
    (judged,) = [t for t in _cap(verdict, cap_name).tests if t.name == flagged.name]
    assert not judged.required and judged.outcome is Outcome.MISSING and judged.flag_reason
    assert flagged.name not in verdict.distinct_tests()
    # The same capability's unflagged tests still count.
    unflagged = next(t for t in guideline.capabilities[cap_name].tests if not t.flagged)
    run.results[unflagged.name] = Result(unflagged.name, Outcome.FAILED, unflagged.uuid, "boom")
    assert _not_passed(compute_verdict(guideline, target, run)) == [cap_name]


def test_a_verdict_from_a_real_stestr_run(storage: Storage, tempest_run: RunTempest) -> None:
    """The throwaway Tempest, run by stestr: its stream read and judged."""
    expiry = "tempest.api.object_storage.test_object_expiry.ObjectExpiryTest"
    spec = FakeTempest(
        skip={f"{expiry}.test_get_object_after_expiry_time": "object expirer is not running"},
        broken_classes={f"{MODULE}.ObjectTempUrlTest": "tempurl middleware is missing"},
        leave_out=[VERSIONED],
    )
    run = read_subunit(tempest_run(spec))
    verdict = compute_verdict(*storage, run)
    assert _not_passed(verdict) == sorted(
        ["objectstore-object-get", "objectstore-object-versioned", TEMPURL_GET, TEMPURL_PUT]
    )
    assert not verdict.passed
    (skipped,) = [
        t for t in _cap(verdict, "objectstore-object-get").tests if t.outcome is not Outcome.PASSED
    ]
    assert skipped.outcome is Outcome.SKIPPED and skipped.reason == "object expirer is not running"
    (get,) = _cap(verdict, TEMPURL_GET).tests
    assert get.outcome is Outcome.ERRORED
    assert get.reason.startswith("class set-up failed: Traceback")
    assert get.reason.endswith("RuntimeError: tempurl middleware is missing")
    (versioned,) = _cap(verdict, "objectstore-object-versioned").tests
    assert versioned.outcome is Outcome.MISSING
    assert verdict.as_dict()["required_tests_passed"] == 58 - 4


def test_targets_judged_with_a_shared_memo_are_judged_as_alone() -> None:
    """The server judges every target of a guideline on one run with one `judged` memo (the
    platform shares its capabilities with compute and storage): each verdict is the same as
    judged alone, a failure in a shared capability included."""
    guideline = load("2020.06")
    platform = resolve_target(guideline, "OpenStack Powered Platform")
    run = RunResults()
    for name, uuid in storage_tests(guideline, platform).items():
        run.add(Result(name, Outcome.PASSED, uuid))
    storage_target = resolve_target(guideline, "OpenStack Powered Storage")
    failing = next(iter(storage_tests(guideline, storage_target)))
    run.results[failing] = Result(failing, Outcome.FAILED, None, "it broke")
    judged: dict[tuple[str, str, Status, str], CapabilityVerdict] = {}
    for name in (
        "OpenStack Powered Storage",
        "OpenStack Powered Platform",
        "OpenStack Powered Compute",
    ):
        target = resolve_target(guideline, name)
        shared = compute_verdict(guideline, target, run, judged=judged).as_dict()
        assert shared == compute_verdict(guideline, target, run).as_dict()
    assert judged  # the memo was used
    assert not compute_verdict(guideline, storage_target, run, judged=judged).passed
    assert not compute_verdict(guideline, platform, run, judged=judged).passed
