"""What a test run produced, whatever it came from (a subunit stream, RefStack JSON, the store)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

# `name[attrs](scenario)`: Tempest and plugins built with testscenarios add `(scenario)` to a
# test's id, after its attributes; refstack-client keeps it, as the name of a distinct test.
_ATTRS = re.compile(r"^(?P<name>[^\[(]+)(?:\[(?P<attrs>[^\]]*)\])?(?P<scenario>\([^()]*\))?$")
_SCENARIO = re.compile(r"\([^()]*\)$")


class Outcome(StrEnum):
    """A test's outcome. Only PASSED counts as passed."""

    PASSED = "passed"
    FAILED = "failed"
    ERRORED = "errored"  # never finished: a broken stream, a setUpClass failure
    SKIPPED = "skipped"
    MISSING = "missing"  # not in the results at all, or not found in the test suite


@dataclass(frozen=True)
class TestResult:
    """One test's outcome in a run, with the reason when it did not pass."""

    name: str
    outcome: Outcome
    uuid: str | None = None
    reason: str = ""
    duration: float | None = None

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASSED


def split_test_id(test_id: str) -> tuple[str, str | None, tuple[str, ...]]:
    """`name[id-<uuid>,smoke]` -> (name, uuid, attributes); a scenario stays in the name:
    `name[id-<uuid>](scenario)` -> (`name(scenario)`, uuid, attributes)."""
    stripped = test_id.strip()
    if "[" not in stripped and "(" not in stripped:
        # RefStack lists bare names: the regular expression below would give the same answer,
        # at a third of an upload's parse time (profiled with benchmarks/upload_profile.py)
        return (stripped or test_id), None, ()
    match = _ATTRS.match(stripped)
    if not match:
        return test_id, None, ()
    attrs = tuple(a.strip() for a in (match.group("attrs") or "").split(",") if a.strip())
    uuid = next((a.removeprefix("id-") for a in attrs if a.startswith("id-")), None)
    return match.group("name") + (match.group("scenario") or ""), uuid, attrs


def base_name(name: str) -> str:
    """A test's name without its `(scenario)` suffix."""
    return _SCENARIO.sub("", name)


@dataclass
class RunResults:
    """All test results of one run, indexed for lookup by name and by idempotent id."""

    results: dict[str, TestResult] = field(default_factory=dict)
    cpid: str | None = None
    duration_seconds: float | None = None
    # Failed set-ups, with their reason: `setUpClass (module.Class)` by class path and
    # `setUpModule (module)` by module path. Their tests never ran.
    class_failures: dict[str, str] = field(default_factory=dict)
    # Set-ups that skipped (Tempest's skip_checks raise SkipTest in setUpClass), with the skip
    # reason, keyed like class_failures. Their tests are skipped, not missing.
    class_skips: dict[str, str] = field(default_factory=dict)
    # Where the results came from, for messages.
    source: str = ""
    # scenario results by their test's name, built on first use (see `scenarios`)
    _by_base: dict[str, list[TestResult]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def add(self, result: TestResult) -> None:
        # A test reported twice (a re-run) keeps its best outcome: a later pass wins.
        previous = self.results.get(result.name)
        if previous is None or not previous.passed:
            self.results[result.name] = result
            self._by_base = None

    def set_up_failure(self, test_name: str) -> str | None:
        """Why a test never ran, if its class's or its module's set-up failed."""
        cls = test_name.rsplit(".", 1)[0]
        if cls in self.class_failures:
            return f"class set-up failed: {self.class_failures[cls]}"
        module = cls.rsplit(".", 1)[0]
        if module in self.class_failures:
            return f"module set-up failed: {self.class_failures[module]}"
        return None

    def set_up_skip(self, test_name: str) -> str | None:
        """Why a test never ran, if its class's or its module's set-up skipped it."""
        cls = test_name.rsplit(".", 1)[0]
        if cls in self.class_skips:
            return f"class skipped at set-up: {self.class_skips[cls]}"
        module = cls.rsplit(".", 1)[0]
        if module in self.class_skips:
            return f"module skipped at set-up: {self.class_skips[module]}"
        return None

    def never_ran(self, test_name: str) -> TestResult | None:
        """A test that never started, judged by its class's or module's set-up: errored when
        the set-up failed, skipped (with the skip's reason) when the set-up skipped."""
        failed = self.set_up_failure(test_name)
        if failed is not None:
            return TestResult(test_name, Outcome.ERRORED, reason=failed)
        skipped = self.set_up_skip(test_name)
        if skipped is not None:
            return TestResult(test_name, Outcome.SKIPPED, reason=skipped)
        return None

    def scenarios(self, name: str) -> list[TestResult]:
        """The results of `name(<scenario>)`, one per scenario the run has of the test."""
        if self._by_base is None:
            self._by_base = {}
            for key, result in self.results.items():
                if key.endswith(")"):
                    self._by_base.setdefault(base_name(key), []).append(result)
        return self._by_base.get(name, [])

    def by_uuid(self, uuid: str) -> list[TestResult]:
        return [r for r in self.results.values() if r.uuid == uuid]

    def merge(self, other: RunResults) -> None:
        for result in other.results.values():
            self.add(result)
        self.class_failures.update(other.class_failures)
        self.class_skips.update(other.class_skips)


# An exception line with an empty message: `SomeError: {}`, `SomeError: ()`, `SomeError:`.
_EMPTY_WRAPPER = re.compile(r"^[\w.]+:\s*(\{\}|\(\)|\[\])?$")
# What Python prints between the tracebacks of a chain of exceptions.
_CHAIN_LINES = ("During handling of the above exception", "The above exception was the direct")


def headline(reason: str) -> str:
    """One line of a reason for a table: a traceback's last line (what went wrong), keeping
    a prefix such as `class set-up failed: ` that stood before the traceback."""
    lines = [line.strip() for line in reason.strip().splitlines() if line.strip()]
    if len(lines) <= 1:
        return lines[0] if lines else ""
    first = lines[0]
    marker = "Traceback (most recent call last):"
    prefix = first[: -len(marker)] if first.endswith(marker) else ""
    # A wrapper that says nothing (`fixtures.fixture.SetupError: {}`) is not the why: the end
    # of the traceback before it (the cause, in a chain or an earlier attachment) is.
    # Frames are indented; what an exception says starts at the margin.
    blocks: list[list[str]] = [[]]
    for line in reason.strip().splitlines():
        if line.strip().endswith(marker):
            blocks.append([])
        elif line.strip() and not line[0].isspace() and not line.startswith(_CHAIN_LINES):
            blocks[-1].append(line.strip())
    for block in reversed(blocks):
        if block and not _EMPTY_WRAPPER.match(block[-1]):
            return prefix + block[-1]
    return prefix + lines[-1]
