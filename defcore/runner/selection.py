"""Which Tempest tests a run needs: a target's tests, resolved against the installed Tempest.

Each guideline test is looked up by exact name, then by alias, then by idempotent id within its
class family: the very matching the verdict uses (defcore.results.verdict.find_result), applied
to the list of installed tests instead of a run's results.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points, version
from pathlib import Path

from defcore.guidelines.model import Guideline, Status, Target, Test
from defcore.results.model import Outcome, RunResults, TestResult, split_test_id
from defcore.results.verdict import find_result
from defcore.runner import workspace

LIST_TIMEOUT = 300.0


@dataclass(frozen=True)
class Selected:
    test: Test
    capabilities: tuple[str, ...]
    installed_id: str | None  # the installed test's full id, with its [attributes]
    matched_as: str = ""  # the installed name, when found by alias or id


@dataclass(frozen=True)
class Selection:
    guideline: str
    target: str
    tests: tuple[Selected, ...]

    @property
    def runnable(self) -> list[Selected]:
        return [s for s in self.tests if s.installed_id]

    @property
    def not_found(self) -> list[Selected]:
        return [s for s in self.tests if not s.installed_id]


def target_tests(
    guideline: Guideline,
    target: Target,
    statuses: Iterable[Status] = (Status.REQUIRED,),
    include_flagged: bool = False,
) -> dict[str, tuple[Test, list[str]]]:
    """Test name -> (test, capabilities it belongs to), in guideline order."""
    flagged = "include" if include_flagged else "exclude"
    out: dict[str, tuple[Test, list[str]]] = {}
    for selected in guideline.tests_for(target, statuses, flagged):
        out.setdefault(selected.test.name, (selected.test, []))[1].append(selected.capability)
    return out


def installed_tests(cache: Path | None = None, modules: Iterable[str] | None = None) -> list[str]:
    """Every test id of the installed Tempest (and its plugins), as stestr lists them; with
    `modules`, only those modules' tests (a module that does not import is a RunnerError).

    Listing imports every test module (seconds; 17 s of a 133 s Storage run on a busy machine),
    so the list is kept in `cache` under a key of the installed Tempest's and plugins' versions
    (and of the modules). A run lists its own modules only, which imports a fraction of them.
    """
    wanted = sorted(set(modules)) if modules is not None else None
    key = _installed_key()
    if wanted is not None:
        key += "-" + hashlib.sha256(" ".join(wanted).encode()).hexdigest()[:12]
    cached = cache / f"tempest-tests-{key}.txt" if cache else None
    if cached and cached.is_file():
        return cached.read_text().split()
    with tempfile.TemporaryDirectory(prefix="defcore-list-") as tmp:
        tests = _list(workspace.prepare(Path(tmp), wanted))
    if cached:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp_file = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp_file.write_text("\n".join(tests) + "\n")
        tmp_file.replace(cached)
    return tests


def installed_versions() -> list[str]:
    """`tempest=47.0.0` and each registered Tempest plugin's `name=version`: what the list of
    installed tests depends on."""
    parts = [f"tempest={version('tempest')}"]
    for plugin in sorted(entry_points(group="tempest.test_plugins"), key=lambda e: e.name):
        dist = plugin.dist
        parts.append(f"{plugin.name}={dist.version if dist else '?'}")
    return parts


def _installed_key() -> str:
    return hashlib.sha256(";".join(installed_versions()).encode()).hexdigest()[:16]


def _list(space: Path) -> list[str]:
    out = workspace.stestr(
        space, "list", what="listing the installed Tempest tests", timeout=LIST_TIMEOUT
    )
    return [line.strip() for line in out.splitlines() if line.strip()]


def resolve(
    guideline: Guideline,
    target: Target,
    installed: Iterable[str],
    statuses: Iterable[Status] = (Status.REQUIRED,),
    include_flagged: bool = False,
) -> Selection:
    suite = RunResults(source="installed Tempest")
    full_ids: dict[str, str] = {}
    for test_id in installed:
        name, uuid, _ = split_test_id(test_id)
        suite.add(TestResult(name, Outcome.MISSING, uuid))
        full_ids[name] = test_id
    chosen = []
    for test, capabilities in target_tests(guideline, target, statuses, include_flagged).values():
        found, matched_as = find_result(test, suite)
        chosen.append(
            Selected(
                test=test,
                capabilities=tuple(capabilities),
                installed_id=full_ids[found.name] if found else None,
                matched_as=matched_as,
            )
        )
    return Selection(guideline.id, target.name, tuple(chosen))
