"""An add-on's verdict names the platform components it requires and whether the same run
passed them: judged on the real 2020.06 add-on and platform guidelines."""

from __future__ import annotations

from defcore.guidelines.addons import load_target
from defcore.guidelines.model import Target
from defcore.guidelines.sources import load
from defcore.guidelines.targets import resolve_target
from defcore.results.model import Outcome, RunResults
from defcore.results.model import TestResult as Result
from defcore.results.table import platform_component_line
from defcore.results.verdict import compute_verdict


def _passed(run: RunResults, guideline_ref: str, target: Target) -> None:
    for selected in load(guideline_ref).tests_for(target):
        run.add(Result(selected.name, Outcome.PASSED, selected.test.uuid))


def _dns_run(with_compute: bool, fail_one_compute: bool = False) -> RunResults:
    run = RunResults(source="test")
    _passed(run, "dns.2020.06", load_target("2020.06", "dns")[1])
    if with_compute:
        platform = load("2020.06")
        compute = resolve_target(platform, "os_powered_compute")
        _passed(run, "2020.06", compute)
        if fail_one_compute:
            first = platform.tests_for(compute)[0]
            run.results[first.name] = Result(first.name, Outcome.FAILED, first.test.uuid, "boom")
    return run


def test_without_the_platform_tests_the_component_is_not_run() -> None:
    guideline, target = load_target("2020.06", "dns")
    verdict = compute_verdict(guideline, target, _dns_run(with_compute=False))
    assert verdict.passed  # the add-on's own capabilities
    (needed,) = verdict.platform_components
    assert (needed.name, needed.guideline, needed.state) == (
        "os_powered_compute",
        "2020.06",
        "not run",
    )
    assert needed.passed_tests == 0 and needed.required_tests > 100
    assert verdict.as_dict()["platform_components"][0]["state"] == "not run"
    assert platform_component_line(needed).startswith("needs os_powered_compute (2020.06): not run")


def test_a_run_with_the_platform_tests_says_they_passed() -> None:
    guideline, target = load_target("2020.06", "dns")
    (needed,) = compute_verdict(guideline, target, _dns_run(with_compute=True)).platform_components
    assert needed.state == "passed" and needed.passed_tests == needed.required_tests


def test_one_failed_platform_test_makes_the_component_not_passed() -> None:
    guideline, target = load_target("2020.06", "dns")
    run = _dns_run(with_compute=True, fail_one_compute=True)
    verdict = compute_verdict(guideline, target, run)
    (needed,) = verdict.platform_components
    assert needed.state == "not passed" and needed.passed_tests == needed.required_tests - 1
    assert "1 of its" in needed.reason


def test_a_platform_target_has_no_platform_components() -> None:
    platform = load("2020.06")
    target = resolve_target(platform, "platform")
    assert compute_verdict(platform, target, RunResults()).platform_components == []


def test_an_add_on_test_missing_from_the_run_is_never_passed() -> None:
    guideline, target = load_target("2020.06", "orchestration")
    run = RunResults(source="test")
    _passed(run, "orchestration.2020.06", target)
    gone = guideline.tests_for(target)[0].name
    del run.results[gone]
    verdict = compute_verdict(guideline, target, run)
    assert not verdict.passed
    assert verdict.distinct_tests()[gone].outcome is Outcome.MISSING
