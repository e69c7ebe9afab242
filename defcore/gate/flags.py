"""Flag candidates from data: tests that fail vendors for reasons other than the capability.

Three patterns, each with the reason code it suggests and its evidence:
- skipped under one configuration and passed under another (or skipped in every run): the test
  depends on how it is run, not on the cloud ([D401], with Tempest's skip message);
- passing in some runs and not in others on the same cloud in the same configuration:
  intermittent ([D401]);
- never passing on some clouds whose every other test of the capability passed, while passing
  on others: specific to an implementation or backend ([D400]).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import TypeVar

from defcore.gate.runs import RunRecord
from defcore.guidelines.model import Flag, Guideline, Target
from defcore.results.model import Outcome, headline
from defcore.results.verdict import TestVerdict, compute_verdict

K = TypeVar("K")


@dataclass(frozen=True)
class Candidate:
    test: str
    capability: str
    code: str
    reason: str
    evidence: tuple[str, ...]

    @property
    def flag_reason(self) -> str:
        return f"[{self.code}] {self.reason}"


@dataclass(frozen=True)
class _Seen:
    run: RunRecord
    test: TestVerdict
    capability_others_passed: bool


def candidates(guideline: Guideline, target: Target, runs: list[RunRecord]) -> list[Candidate]:
    seen: dict[tuple[str, str], list[_Seen]] = defaultdict(list)
    for run in runs:
        for cap in compute_verdict(guideline, target, run.results).capabilities:
            for test in cap.required_tests:
                others = all(t.passed for t in cap.required_tests if t.name != test.name)
                seen[(cap.name, test.name)].append(_Seen(run, test, others))
    found: list[Candidate] = []
    for (capability, name), observations in seen.items():
        candidate = (
            _by_configuration(capability, name, observations)
            or _intermittent(capability, name, observations)
            or _by_cloud(capability, name, observations)
        )
        if candidate:
            found.append(candidate)
    return sorted(found, key=lambda c: (c.capability, c.test))


def _group(obs: list[_Seen], key: Callable[[RunRecord], K]) -> dict[K, list[_Seen]]:
    groups: dict[K, list[_Seen]] = defaultdict(list)
    for o in obs:
        groups[key(o.run)].append(o)
    return groups


def _by_configuration(capability: str, name: str, obs: list[_Seen]) -> Candidate | None:
    by_config = _group(obs, lambda run: run.config)
    skipped = {
        c: group for c, group in by_config.items()
        if all(o.test.outcome is Outcome.SKIPPED for o in group)
    }  # fmt: skip
    passed = {c: g for c, g in by_config.items() if any(o.test.passed for o in g)}
    if not skipped or (not passed and len(obs) < 2):
        return None
    config, group = sorted(skipped.items())[0]
    message = headline(group[0].test.reason) or "skipped"
    evidence = [
        f"skipped in {len(g)} of {len(g)} runs with {c} "
        f"on {len({o.run.cloud for o in g})} cloud(s): {message}"
        for c, g in sorted(skipped.items())
    ]
    evidence += [
        f"passed in {sum(o.test.passed for o in g)} of {len(g)} runs with {c}"
        for c, g in sorted(passed.items())
    ]
    if passed:
        reason = (
            f"Skipped by Tempest when run with {config} ({message}), so no such run can pass; "
            f"passes with {', '.join(sorted(passed))}."
        )
    else:
        reason = f"Skipped by Tempest in every run ({message})."
    return Candidate(name, capability, "D401", reason, tuple(evidence))


def _intermittent(capability: str, name: str, obs: list[_Seen]) -> Candidate | None:
    groups = _group(obs, lambda run: (run.cloud, run.config))
    flaky = {
        key: g
        for key, g in groups.items()
        # Not passed in any way: a RefStack upload lists passed tests only, so there a test
        # that did not pass is simply missing.
        if any(o.test.passed for o in g) and not all(o.test.passed for o in g)
    }
    if not flaky:
        return None
    evidence = tuple(
        f"on {cloud} with {config}: passed {sum(o.test.passed for o in g)} of {len(g)} runs"
        for (cloud, config), g in sorted(flaky.items())
    )
    reason = "Fails intermittently on the same cloud in the same configuration."
    return Candidate(name, capability, "D401", reason, evidence)


def _by_cloud(capability: str, name: str, obs: list[_Seen]) -> Candidate | None:
    clouds = _group(obs, lambda run: run.cloud)
    never = {
        c: g for c, g in clouds.items()
        if not any(o.test.passed for o in g) and all(o.capability_others_passed for o in g)
    }  # fmt: skip
    passing = sorted(c for c, g in clouds.items() if any(o.test.passed for o in g))
    if not never or not passing:
        return None
    evidence = [
        f"never passed on {c} ({len(g)} runs; the rest of {capability} passed): "
        f"{g[0].test.outcome}" + (f": {headline(g[0].test.reason)}" if g[0].test.reason else "")
        for c, g in sorted(never.items())
    ]
    evidence.append(f"passed on {len(passing)} other cloud(s)")
    reason = (
        f"Fails on {len(never)} of {len(clouds)} clouds whose every other {capability} test "
        "passes: specific to an implementation, not the capability."
    )
    return Candidate(name, capability, "D400", reason, tuple(evidence))


def apply(guideline: Guideline, found: list[Candidate], today: date | None = None) -> Guideline:
    """A copy of the guideline with each candidate's test flagged, for review as a draft."""
    stamp = (today or date.today()).isoformat()
    by_test = {(c.capability, c.test): c for c in found}
    capabilities = {}
    for name, cap in guideline.capabilities.items():
        tests = tuple(
            replace(t, flag=Flag(reason=by_test[(name, t.name)].flag_reason, date=stamp))
            if (name, t.name) in by_test and not t.flagged
            else t
            for t in cap.tests
        )
        capabilities[name] = replace(cap, tests=tests)
    flagged = replace(guideline)
    flagged.capabilities = capabilities
    return flagged
