"""Test names with a testscenarios suffix (`name[attrs](scenario)`): kept as refstack-client
keeps them, and matched to the guideline's test on the real 2020.06 Storage target."""

from __future__ import annotations

from results_support import storage_tests
from test_verdict import GET_NAME, GET_UUID, Storage, _all_passed, _cap

from defcore.results.model import Outcome, RunResults, base_name, split_test_id
from defcore.results.model import TestResult as Result
from defcore.results.refstack import parse_refstack
from defcore.results.verdict import compute_verdict


def test_split_keeps_the_scenario_in_the_name() -> None:
    name = "tempest.api.image.v2.test_images.ImagesFormatTest.test_create_server"
    assert split_test_id(f"{name}[id-{GET_UUID},smoke](qcow2)") == (
        f"{name}(qcow2)",
        GET_UUID,
        (f"id-{GET_UUID}", "smoke"),
    )
    assert split_test_id(f"{name}(qcow2)") == (f"{name}(qcow2)", None, ())
    assert base_name(f"{name}(qcow2)") == name and base_name(name) == name


def test_a_scenario_run_counts_for_the_guideline_test(storage: Storage) -> None:
    guideline, target = storage
    run = _all_passed(guideline, target)
    del run.results[GET_NAME]
    run.add(Result(f"{GET_NAME}(some_scenario)", Outcome.PASSED))  # no id: matched by name
    verdict = compute_verdict(guideline, target, run)
    assert verdict.passed
    (test,) = [t for t in _cap(verdict, "objectstore-temp-url-get").tests if t.name == GET_NAME]
    assert test.matched_as == f"{GET_NAME}(some_scenario)"


def test_every_scenario_must_pass(storage: Storage) -> None:
    guideline, target = storage
    run = _all_passed(guideline, target)
    del run.results[GET_NAME]
    run.add(Result(f"{GET_NAME}(first)", Outcome.PASSED))
    run.add(Result(f"{GET_NAME}(second)", Outcome.FAILED, reason="boom"))
    verdict = compute_verdict(guideline, target, run)
    assert not _cap(verdict, "objectstore-temp-url-get").passed
    assert not verdict.passed


def test_refstack_json_with_a_scenario(storage: Storage) -> None:
    guideline, target = storage
    tests = storage_tests(guideline, target)
    results = [{"name": n, "uuid": u} for n, u in tests.items() if n != GET_NAME]
    results.append({"name": f"{GET_NAME}(some_scenario)"})
    run = parse_refstack({"cpid": "x", "duration_seconds": 1, "results": results})
    assert f"{GET_NAME}(some_scenario)" in run.results
    assert compute_verdict(guideline, target, run).passed
    assert isinstance(run, RunResults)
