"""One model for every guideline generation (schema 1.0 legacy files through 2.0 and add-ons).

The loader turns any generation into these objects; everything else in defcore (checks, the
runner, scoring, the server) works on them only and never looks at raw JSON, except the checks,
which also get each object's JSON path so that findings point into the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from defcore.guidelines.findings import Finding


class Status(StrEnum):
    """A capability's (or designated section's) standing in a guideline."""

    REQUIRED = "required"
    ADVISORY = "advisory"
    DEPRECATED = "deprecated"
    REMOVED = "removed"
    INFORMATIONAL = "informational"


STATUS_ORDER: tuple[Status, ...] = tuple(Status)

# Reason codes come bracketed ("[D404] ...") and, in many real files, bare ("D405 Test ...").
_FLAG_CODE = re.compile(r"^\s*(?:\[(D\d{3})\]|(D\d{3})\b)")


@dataclass(frozen=True)
class Flag:
    """Why a test is not required although its capability is."""

    reason: str
    action: str | None = None
    date: str | None = None

    @property
    def code(self) -> str | None:
        """The reason code (`D404`) the reason starts with, bracketed or not."""
        match = _FLAG_CODE.match(self.reason)
        return (match.group(1) or match.group(2)) if match else None

    @property
    def code_bracketed(self) -> bool:
        """Whether the code is in the documented `[Dnnn]` form."""
        match = _FLAG_CODE.match(self.reason)
        return bool(match and match.group(1))


@dataclass(frozen=True)
class Test:
    """A Tempest (or plugin) test as a guideline names it."""

    name: str
    idempotent_id: str | None = None
    aliases: tuple[str, ...] = ()
    flag: Flag | None = None
    json_path: str = ""

    @property
    def flagged(self) -> bool:
        return self.flag is not None

    @property
    def uuid(self) -> str | None:
        """The bare idempotent id (no `id-` prefix, no `,smoke`-style suffixes)."""
        if not self.idempotent_id:
            return None
        bare = self.idempotent_id.split(",")[0].strip()
        return bare.removeprefix("id-") or None

    @property
    def load_list_entry(self) -> str:
        """The form Tempest's --load-list takes: `name[id-<uuid>]`, or the name alone."""
        return f"{self.name}[id-{self.uuid}]" if self.uuid else self.name


@dataclass(frozen=True)
class Capability:
    """A named group of tests that together show one thing a cloud can do."""

    name: str
    tests: tuple[Test, ...] = ()
    description: str = ""
    project: str | None = None
    admin: bool | None = None
    achievements: tuple[str, ...] = ()
    required_since: str | None = None
    # Schema 1.0 and 1.2/1.3 state a status on the capability itself; later ones only via
    # components. `own_status` keeps what the file said, for checks to compare.
    own_status: str | None = None
    core: bool | None = None
    json_path: str = ""

    def test(self, name: str) -> Test | None:
        return next((t for t in self.tests if t.name == name), None)

    @property
    def flagged_tests(self) -> tuple[Test, ...]:
        return tuple(t for t in self.tests if t.flagged)

    @property
    def unflagged_tests(self) -> tuple[Test, ...]:
        return tuple(t for t in self.tests if not t.flagged)


@dataclass(frozen=True)
class Component:
    """A group of capabilities by status (`os_powered_compute`, or 1.x's `compute`/`object`)."""

    name: str
    capabilities: dict[Status, tuple[str, ...]] = field(default_factory=dict)
    # 2.0 components name the projects whose designated sections apply, by status.
    designated_sections: dict[Status, tuple[str, ...]] = field(default_factory=dict)
    json_path: str = ""

    def status_of(self, capability: str) -> Status | None:
        for status in STATUS_ORDER:
            if capability in self.capabilities.get(status, ()):
                return status
        return None

    def all_capabilities(self) -> Iterator[tuple[Status, str]]:
        for status in STATUS_ORDER:
            for name in self.capabilities.get(status, ()):
                yield status, name


@dataclass(frozen=True)
class ComponentRef:
    """A platform's or add-on's reference to a component, possibly in another guideline."""

    name: str
    source: str | None = None
    status: Status = Status.REQUIRED


@dataclass(frozen=True)
class Platform:
    """A trademark program a product can qualify for ("OpenStack Powered Storage")."""

    name: str
    description: str = ""
    components: tuple[ComponentRef, ...] = ()
    # RefStack's short name for the platform in 1.x guidelines: platform, compute, object.
    short_name: str | None = None


@dataclass(frozen=True)
class AddOn:
    """An add-on program (dns, orchestration) on top of platform components."""

    name: str
    description: str = ""
    components: tuple[ComponentRef, ...] = ()
    required_platform_components: tuple[ComponentRef, ...] = ()
    optional_platform_components: tuple[ComponentRef, ...] = ()


@dataclass(frozen=True)
class Criterion:
    """A scoring criterion (Widely Deployed, Used by Clients, ...) and its weight."""

    key: str
    name: str
    weight: int
    description: str = ""


@dataclass(frozen=True)
class TestRepository:
    name: str
    url: str | None = None
    reference: str | None = None
    description: str = ""


@dataclass(frozen=True)
class Section:
    """One named section of a project's code, designated (must be upstream) or not."""

    name: str
    designated: bool
    description: str = ""
    comment: str = ""


@dataclass(frozen=True)
class ProjectSections:
    """A project's designated sections under one status."""

    project: str
    status: Status
    guidance: str = ""
    comment: str = ""
    sections: tuple[Section, ...] = ()
    json_path: str = ""


@dataclass(frozen=True)
class Target:
    """What a product is tested for: a platform, an add-on or a single component."""

    kind: str  # "platform", "add-on" or "component"
    name: str
    components: tuple[Component, ...]
    # Components the target needs from another guideline (add-ons name platform components).
    external_components: tuple[ComponentRef, ...] = ()


@dataclass(frozen=True)
class SelectedTest:
    """A test chosen for a target, with the capability and status it is chosen for."""

    test: Test
    capability: str
    status: Status
    component: str

    @property
    def name(self) -> str:
        return self.test.name


@dataclass
class Guideline:
    """A guideline of any generation, in one shape."""

    id: str
    schema: str
    kind: str  # "platform", "add-on" or "legacy"
    status: str | None = None
    releases: tuple[str, ...] = ()
    replaces: str | None = None
    cutoff: int | None = None
    target_approval: str | None = None
    source: str | None = None
    criteria: dict[str, Criterion] = field(default_factory=dict)
    test_repositories: dict[str, TestRepository] = field(default_factory=dict)
    platforms: dict[str, Platform] = field(default_factory=dict)
    add_ons: dict[str, AddOn] = field(default_factory=dict)
    components: dict[str, Component] = field(default_factory=dict)
    capabilities: dict[str, Capability] = field(default_factory=dict)
    designated_sections: dict[str, dict[Status, ProjectSections]] = field(default_factory=dict)
    path: Path | None = None
    # What the loader had to skip or guess while reading the file (see loader.py).
    load_findings: list[Finding] = field(default_factory=list)

    # -- capabilities and their status ------------------------------------------------------

    def statuses_of(self, capability: str) -> set[Status]:
        """Every status any component gives the capability (more than one is a finding)."""
        found = {c.status_of(capability) for c in self.components.values()}
        found.discard(None)
        return {s for s in found if s is not None}

    def status_of(self, capability: str) -> Status | None:
        """The capability's status: the strongest one a component gives it."""
        statuses = self.statuses_of(capability)
        if statuses:
            return next(s for s in STATUS_ORDER if s in statuses)
        own = self.capabilities[capability].own_status if capability in self.capabilities else None
        return Status(own) if own in set(Status) else None

    def capabilities_with_status(self, status: Status) -> list[str]:
        """Distinct capability names that components list under `status`, in file order."""
        seen: dict[str, None] = {}
        for component in self.components.values():
            for name in component.capabilities.get(status, ()):
                seen.setdefault(name, None)
        return list(seen)

    def referenced_capabilities(self) -> set[str]:
        return {name for c in self.components.values() for _, name in c.all_capabilities()}

    # -- tests ---------------------------------------------------------------------------------

    def all_tests(self) -> dict[str, Test]:
        """Distinct tests by name; a test in two capabilities counts once."""
        tests: dict[str, Test] = {}
        for capability in self.capabilities.values():
            for test in capability.tests:
                tests.setdefault(test.name, test)
        return tests

    def flagged_tests(self) -> set[str]:
        """Names of tests flagged in any capability."""
        return {t.name for c in self.capabilities.values() for t in c.tests if t.flagged}

    def must_pass(self) -> set[str]:
        """Unflagged tests of required capabilities: what a product must pass."""
        required = set(self.capabilities_with_status(Status.REQUIRED))
        return {
            t.name
            for name in required
            if name in self.capabilities
            for t in self.capabilities[name].unflagged_tests
        }

    # -- targets -------------------------------------------------------------------------------

    def target_names(self) -> list[str]:
        names = list(self.platforms) + list(self.add_ons) + list(self.components)
        names += [p.short_name for p in self.platforms.values() if p.short_name]
        return names

    def tests_for(
        self,
        target: Target,
        statuses: Iterable[Status] = (Status.REQUIRED,),
        flagged: str = "exclude",
    ) -> list[SelectedTest]:
        """The target's tests of capabilities in `statuses`; `flagged` is include|exclude|only.

        A test serving two capabilities appears once per capability: the verdict of each
        capability needs it, while a runner runs each distinct name once.
        """
        wanted = tuple(statuses)
        selected: list[SelectedTest] = []
        seen: set[tuple[str, str]] = set()
        for component in target.components:
            for status, cap_name in component.all_capabilities():
                if status not in wanted or cap_name not in self.capabilities:
                    continue
                for test in self.capabilities[cap_name].tests:
                    if (flagged == "exclude" and test.flagged) or (
                        flagged == "only" and not test.flagged
                    ):
                        continue
                    if (cap_name, test.name) in seen:
                        continue
                    seen.add((cap_name, test.name))
                    selected.append(SelectedTest(test, cap_name, status, component.name))
        return selected
