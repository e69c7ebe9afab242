"""Two results judged against one guideline's target, side by side: what changed.

Both sides are verdicts in `Verdict.as_dict()`'s shape, so a local file (judged here by
compute_verdict) and a stored result (judged by the server, the same code) compare alike.

- a test *changed* when its outcome differs (passed, failed, errored, skipped, missing);
- a capability is *gained* when it passes after and did not before, *lost* the other way;
- the second result is *better* when it loses no capability and no required test that passed,
  and gains something; *worse* when it loses any; else *same* (or *mixed*: some of each).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TestChange:
    name: str
    capabilities: tuple[str, ...]
    required: bool  # False when the test is flagged in every capability it serves
    before: str
    after: str

    @property
    def fixed(self) -> bool:
        return self.after == "passed"

    @property
    def broke(self) -> bool:
        return self.before == "passed"


@dataclass
class ResultsDiff:
    guideline: str
    target: str
    before_passed: bool
    after_passed: bool
    before_tests: tuple[int, int]  # (required tests passed, required tests)
    after_tests: tuple[int, int]
    tests: list[TestChange] = field(default_factory=list)
    gained: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)

    @property
    def fixed(self) -> list[TestChange]:
        return [t for t in self.tests if t.fixed and t.required]

    @property
    def broke(self) -> list[TestChange]:
        return [t for t in self.tests if t.broke and t.required]

    @property
    def judgement(self) -> str:
        """better, worse, mixed or same."""
        up = bool(self.gained or self.fixed or (self.after_passed and not self.before_passed))
        down = bool(self.lost or self.broke or (self.before_passed and not self.after_passed))
        if up and down:
            return "mixed"
        return "better" if up else "worse" if down else "same"

    def as_dict(self) -> dict[str, Any]:
        return {
            "guideline": self.guideline,
            "target": self.target,
            "before": {"passed": self.before_passed, "required_tests": list(self.before_tests)},
            "after": {"passed": self.after_passed, "required_tests": list(self.after_tests)},
            "judgement": self.judgement,
            "capabilities_gained": self.gained,
            "capabilities_lost": self.lost,
            "tests_changed": [
                {
                    "name": t.name,
                    "capabilities": list(t.capabilities),
                    "required": t.required,
                    "before": t.before,
                    "after": t.after,
                }
                for t in self.tests
            ],
        }


def _tests(verdict: dict[str, Any]) -> dict[str, tuple[str, bool, list[str]]]:
    """name -> (outcome, required anywhere, capabilities), over the verdict's capabilities."""
    found: dict[str, tuple[str, bool, list[str]]] = {}
    for component in verdict["components"]:
        for capability in component["capabilities"]:
            for test in capability["tests"]:
                outcome, required, caps = found.get(test["name"], (test["outcome"], False, []))
                if capability["name"] not in caps:
                    caps.append(capability["name"])
                found[test["name"]] = (outcome, required or bool(test["required"]), caps)
    return found


def _capabilities(verdict: dict[str, Any]) -> dict[str, bool]:
    found: dict[str, bool] = {}
    for component in verdict["components"]:
        for capability in component["capabilities"]:
            passed = bool(capability["passed"])
            found[capability["name"]] = found.get(capability["name"], True) and passed
    return found


def _counts(verdict: dict[str, Any]) -> tuple[int, int]:
    return int(verdict["required_tests_passed"]), int(verdict["required_tests"])


def diff_verdicts(before: dict[str, Any], after: dict[str, Any]) -> ResultsDiff:
    """What changed from `before` to `after`; both judge the same guideline and target."""
    if (before["guideline"], before["target"]) != (after["guideline"], after["target"]):
        raise ValueError(
            f"cannot compare {before['target']} {before['guideline']} with "
            f"{after['target']} {after['guideline']}"
        )
    result = ResultsDiff(
        guideline=str(after["guideline"]),
        target=str(after["target"]),
        before_passed=bool(before["passed"]),
        after_passed=bool(after["passed"]),
        before_tests=_counts(before),
        after_tests=_counts(after),
    )
    old, new = _tests(before), _tests(after)
    for name in sorted(set(old) | set(new)):
        was = old.get(name, ("missing", False, []))
        now = new.get(name, ("missing", False, []))
        if was[0] != now[0]:
            capabilities = tuple(dict.fromkeys([*was[2], *now[2]]))
            result.tests.append(TestChange(name, capabilities, was[1] or now[1], was[0], now[0]))
    old_caps, new_caps = _capabilities(before), _capabilities(after)
    for name in sorted(set(old_caps) | set(new_caps)):
        was_ok, now_ok = old_caps.get(name, False), new_caps.get(name, False)
        if now_ok and not was_ok:
            result.gained.append(name)
        elif was_ok and not now_ok:
            result.lost.append(name)
    return result
