"""The verdict on the real 2020.06 Storage target, from constructed runs of its real tests."""

from __future__ import annotations

import pytest

from defcore.guidelines.model import Guideline, Target
from defcore.guidelines.sources import load
from defcore.guidelines.targets import resolve_target
from defcore.results.model import Outcome, RunResults, TestResult
from defcore.results.verdict import compute_verdict

TEMPURL_GET = "objectstore-temp-url-get"


@pytest.fixture(scope="module")
def storage() -> tuple[Guideline, Target]:
    guideline = load("2020.06")
    return guideline, resolve_target(guideline, "OpenStack Powered Storage")


def _all_passed(guideline: Guideline, target: Target) -> RunResults:
    run = RunResults()
    for component in target.components:
        for _, cap in component.all_capabilities():
            for test in guideline.capabilities[cap].tests:
                run.add(TestResult(test.name, Outcome.PASSED, test.uuid))
    return run


def _only_test(guideline: Guideline, capability: str) -> tuple[str, str | None]:
    (test,) = guideline.capabilities[capability].tests
    return test.name, test.uuid


def test_everything_passed(storage: tuple[Guideline, Target]) -> None:
    verdict = compute_verdict(*storage, _all_passed(*storage))
    assert verdict.passed
    assert verdict.as_dict()["required_tests"] == 58


def test_a_skip_fails_its_capability_with_the_reason(storage: tuple[Guideline, Target]) -> None:
    guideline, target = storage
    run = _all_passed(guideline, target)
    name, uuid = _only_test(guideline, TEMPURL_GET)
    run.results[name] = TestResult(name, Outcome.SKIPPED, uuid, "tempurl not enabled")
    verdict = compute_verdict(guideline, target, run)
    assert not verdict.passed
    failing = [c for c in verdict.capabilities if not c.passed]
    assert [c.name for c in failing] == [TEMPURL_GET]
    assert failing[0].tests[0].reason == "tempurl not enabled"


def test_a_missing_test_is_not_passed(storage: tuple[Guideline, Target]) -> None:
    guideline, target = storage
    run = _all_passed(guideline, target)
    name, _ = _only_test(guideline, TEMPURL_GET)
    del run.results[name]
    verdict = compute_verdict(guideline, target, run)
    (cap,) = [c for c in verdict.capabilities if c.name == TEMPURL_GET]
    assert cap.tests[0].outcome is Outcome.MISSING and not verdict.passed


def test_id_in_the_same_class_family_is_accepted(storage: tuple[Guideline, Target]) -> None:
    guideline, target = storage
    run = _all_passed(guideline, target)
    name, uuid = _only_test(guideline, TEMPURL_GET)
    del run.results[name]
    renamed = name.rsplit(".", 1)[0] + ".test_get_object_using_temp_url_renamed"
    run.add(TestResult(renamed, Outcome.PASSED, uuid))
    verdict = compute_verdict(guideline, target, run)
    assert verdict.passed
    (cap,) = [c for c in verdict.capabilities if c.name == TEMPURL_GET]
    assert cap.tests[0].matched_as == renamed


def test_id_in_another_module_is_not_taken(storage: tuple[Guideline, Target]) -> None:
    guideline, target = storage
    run = _all_passed(guideline, target)
    name, uuid = _only_test(guideline, TEMPURL_GET)
    del run.results[name]
    run.add(TestResult("tempest.api.compute.test_other.OtherTest.test_x", Outcome.PASSED, uuid))
    verdict = compute_verdict(guideline, target, run)
    (cap,) = [c for c in verdict.capabilities if c.name == TEMPURL_GET]
    assert cap.tests[0].outcome is Outcome.MISSING and not verdict.passed


def test_a_flagged_test_does_not_count() -> None:
    guideline = load("2020.06")
    target = resolve_target(guideline, "OpenStack Powered Platform")
    run = _all_passed(guideline, target)
    flagged = next(
        t
        for comp in target.components
        for _, cap in comp.all_capabilities()
        for t in guideline.capabilities[cap].tests
        if t.flagged
    )
    run.results[flagged.name] = TestResult(flagged.name, Outcome.FAILED, flagged.uuid, "boom")
    assert compute_verdict(guideline, target, run).passed
