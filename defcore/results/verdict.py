"""The verdict: does a run pass a guideline's target? One implementation for the runner, the
offline importer and the server.

A capability passes only if every unflagged test of it passed. Skipped, failed, errored and
missing tests are not passed, each with its reason. Flagged tests are reported but not required.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from defcore.guidelines.addons import component_target, required_platform_components
from defcore.guidelines.model import Guideline, Status, Target, Test
from defcore.guidelines.sources import load
from defcore.results.model import Outcome, RunResults, TestResult, base_name


@dataclass(frozen=True)
class TestVerdict:
    name: str
    capability: str
    outcome: Outcome
    required: bool  # False for flagged tests
    reason: str = ""
    matched_as: str = ""  # the result's name when matched by alias or idempotent id
    flag_reason: str = ""

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASSED


@dataclass(frozen=True)
class CapabilityVerdict:
    name: str
    status: Status
    component: str
    tests: tuple[TestVerdict, ...]

    # Cached: the verdict is frozen, and these were computed again at every level of a
    # verdict's report (a third of the time of showing one).
    @cached_property
    def required_tests(self) -> tuple[TestVerdict, ...]:
        return tuple(t for t in self.tests if t.required)

    @cached_property
    def passed(self) -> bool:
        # A capability whose every test is flagged asks nothing of the product: it passes
        # vacuously, and the report says so (`required_tests` is empty).
        return all(t.passed for t in self.required_tests)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for t in self.required_tests if t.outcome is outcome)

    @cached_property
    def report(self) -> dict[str, Any]:
        """The capability in Verdict.as_dict's form (made once: targets that share the
        capability share its verdict, see compute_verdict's `judged`)."""
        return {
            "name": self.name,
            "status": str(self.status),
            "passed": self.passed,
            "tests": [
                {
                    "name": t.name,
                    "outcome": str(t.outcome),
                    "required": t.required,
                    "reason": t.reason,
                    "matched_as": t.matched_as,
                    "flag_reason": t.flag_reason,
                }
                for t in self.tests
            ],
        }


@dataclass(frozen=True)
class ComponentVerdict:
    name: str
    capabilities: tuple[CapabilityVerdict, ...]

    @cached_property
    def passed(self) -> bool:
        return all(c.passed for c in self.capabilities if c.status is Status.REQUIRED)


@dataclass(frozen=True)
class PlatformComponentVerdict:
    """A platform component an add-on requires, judged on the same run's results.

    `state` is "passed", "not passed" (some of its tests ran, not all passed), "not run" (none
    of its tests is in the run) or "unknown" (its platform guideline could not be read).
    The add-on's own verdict does not include it: the platform program certifies it.
    """

    name: str
    guideline: str
    state: str
    required_tests: int = 0
    passed_tests: int = 0
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "guideline": self.guideline,
            "state": self.state,
            "required_tests": self.required_tests,
            "passed_tests": self.passed_tests,
            "reason": self.reason,
        }


@dataclass
class Verdict:
    guideline: str
    target: str
    target_kind: str
    components: list[ComponentVerdict] = field(default_factory=list)
    # An add-on also needs platform components from another guideline; not judged here.
    external_components: list[str] = field(default_factory=list)
    # ... and here is whether the same run passed them (defcore.guidelines.addons).
    platform_components: list[PlatformComponentVerdict] = field(default_factory=list)

    @property
    def capabilities(self) -> list[CapabilityVerdict]:
        return [c for comp in self.components for c in comp.capabilities]

    @property
    def passed(self) -> bool:
        return bool(self.components) and all(c.passed for c in self.components)

    def distinct_tests(self, required_only: bool = True) -> dict[str, TestVerdict]:
        out: dict[str, TestVerdict] = {}
        for cap in self.capabilities:
            if cap.status is not Status.REQUIRED and required_only:
                continue
            for t in cap.tests:
                if t.required or not required_only:
                    out.setdefault(t.name, t)
        return out

    def required_tally(self) -> tuple[int, int]:
        """(passed, all) of the distinct required tests: the figure every report shows."""
        tests = self.distinct_tests()
        return sum(1 for t in tests.values() if t.passed), len(tests)

    def as_dict(self) -> dict[str, Any]:
        passed, required = self.required_tally()
        return {
            "guideline": self.guideline,
            "target": self.target,
            "target_kind": self.target_kind,
            "passed": self.passed,
            "required_tests": required,
            "required_tests_passed": passed,
            "external_components": self.external_components,
            "platform_components": [c.as_dict() for c in self.platform_components],
            "components": [
                {
                    "name": comp.name,
                    "passed": comp.passed,
                    "capabilities": [cap.report for cap in comp.capabilities],
                }
                for comp in self.components
            ],
        }


def _class_of(name: str) -> str:
    return base_name(name).rsplit(".", 1)[0]


def find_result(test: Test, run: RunResults) -> tuple[TestResult | None, str]:
    """The run's result for a guideline test: by exact name, then alias, then the test's
    scenarios (`name(scenario)`), then idempotent id.

    An id match is accepted only within the test's own class family: Tempest subclasses inherit
    ids (NetworksTest / NetworksIpV6Test), so among the results with the id the one in the
    guideline's class wins, else one in the same module. A test with the id in another module
    is not taken for it: a moved test is recognised by the alias the guideline gives it.
    """
    if test.name in run.results:
        return run.results[test.name], ""
    for alias in test.aliases:
        if alias in run.results:
            return run.results[alias], alias
    for name in (test.name, *test.aliases):
        scenarios = run.scenarios(name)
        if scenarios:
            # A test run once per scenario passes only when every scenario passed.
            worst = next((r for r in scenarios if not r.passed), scenarios[0])
            return worst, worst.name
    if not test.uuid:
        return None, ""
    candidates = run.by_uuid(test.uuid)
    if not candidates:
        return None, ""
    own_class = _class_of(test.name)
    module = own_class.rsplit(".", 1)[0]
    same_class = [r for r in candidates if _class_of(r.name) == own_class]
    same_module = [r for r in candidates if _class_of(r.name).rsplit(".", 1)[0] == module]
    for chosen in (same_class, same_module):
        if chosen:
            best = min(chosen, key=lambda r: len(r.name))
            return best, best.name
    return None, ""


def compute_verdict(
    guideline: Guideline,
    target: Target,
    run: RunResults,
    statuses: Iterable[Status] = (Status.REQUIRED,),
    load_platform: Callable[[str], Guideline] = load,
    judged: dict[tuple[str, str, Status, str], CapabilityVerdict] | None = None,
) -> Verdict:
    """The target's verdict on the run; for an add-on also its platform components' (read
    with `load_platform`, a guideline id -> Guideline; the server passes its registry's).

    `judged`, kept by the caller for one run, holds the capabilities judged so far: a
    guideline's targets share most of them (the platform is compute plus storage), and the
    server judges every target of a result for its page."""
    wanted = tuple(statuses)
    verdict = Verdict(
        guideline.id,
        target.name,
        target.kind,
        external_components=[c.name for c in target.external_components],
    )
    for component in target.components:
        caps = []
        for status, cap_name in component.all_capabilities():
            if status not in wanted:
                continue
            key = (guideline.id, cap_name, status, component.name)
            if judged is not None and key in judged:
                caps.append(judged[key])
                continue
            capability = guideline.capabilities.get(cap_name)
            if capability is None:
                continue  # `check` reports it; nothing to run
            tests = tuple(_judge(test, cap_name, run) for test in capability.tests)
            caps.append(CapabilityVerdict(cap_name, status, component.name, tests))
            if judged is not None:
                judged[key] = caps[-1]
        verdict.components.append(ComponentVerdict(component.name, tuple(caps)))
    if target.kind == "add-on":
        verdict.platform_components = judge_platform_components(
            guideline, target, run, load_platform
        )
    return verdict


def judge_platform_components(
    add_on: Guideline,
    target: Target,
    run: RunResults,
    load_platform: Callable[[str], Guideline] = load,
) -> list[PlatformComponentVerdict]:
    """Whether `run` passed each platform component the add-on `target` requires."""
    out = []
    for needed in required_platform_components(add_on, target, load_platform):
        if needed.guideline is None or needed.component is None:
            out.append(
                PlatformComponentVerdict(
                    needed.name, needed.guideline_ref, "unknown", reason=needed.problem
                )
            )
            continue
        judged = compute_verdict(needed.guideline, component_target(needed.component), run)
        tests = judged.distinct_tests()
        ran = [t for t in tests.values() if t.outcome is not Outcome.MISSING]
        passed = sum(1 for t in tests.values() if t.passed)
        if not ran:
            state, why = "not run", "none of its tests is in this run"
        elif judged.passed:
            state, why = "passed", ""
        else:
            state, why = (
                "not passed",
                f"{len(tests) - passed} of its {len(tests)} tests did not pass",
            )
        out.append(
            PlatformComponentVerdict(
                needed.name, needed.guideline.id, state, len(tests), passed, why
            )
        )
    return out


def _judge(test: Test, capability: str, run: RunResults) -> TestVerdict:
    result, matched_as = find_result(test, run)
    flag_reason = test.flag.reason if test.flag else ""
    if result is None:
        never = run.never_ran(test.name)
        if never is not None:
            return TestVerdict(
                test.name,
                capability,
                never.outcome,
                not test.flagged,
                never.reason,
                flag_reason=flag_reason,
            )
        return TestVerdict(
            test.name,
            capability,
            Outcome.MISSING,
            not test.flagged,
            "not in the results (not run, or not found in the test suite)",
            flag_reason=flag_reason,
        )
    return TestVerdict(
        test.name,
        capability,
        result.outcome,
        not test.flagged,
        result.reason,
        matched_as,
        flag_reason,
    )
