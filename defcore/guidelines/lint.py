"""Process rules between a guideline and the one it replaces.

`lint(new, previous)` compares each capability's (and designated section's) status in the two
guidelines and reports moves the interop process does not allow. Findings point into NEW.

Capabilities (status = the strongest any component gives; absent = listed by no component):

| previous -> new | finding |
| --- | --- |
| advisory -> required | fine: the one way in |
| absent -> required | `required-without-advisory` error, unless every test of it comes from a
  previous required/advisory capability: then `renamed-from` info |
| deprecated / removed / informational -> required | `required-without-advisory` error |
| required -> advisory | `demoted-without-deprecation` error: a required capability leaves via
  deprecated |
| deprecated -> advisory | `deprecation-reverted` warning |
| advisory / absent / removed -> deprecated | `deprecated-not-required` warning: only what was
  required needs deprecating |
| deprecated -> removed | fine: the one way out |
| required -> removed | `removed-without-deprecation` error |
| advisory -> removed | `advisory-removed` warning (advisory capabilities may be dropped; this
  one says so, the warning makes sure it was meant) |
| absent -> removed | `removed-unknown` warning |
| required / deprecated -> absent | `vanished` error |
| advisory -> absent | `vanished-advisory` warning |
| removed -> absent | fine: removed lists are pruned |

Before `removed-without-deprecation`, `advisory-removed`, `vanished` and `vanished-advisory`,
the capability's tests are looked up in NEW by name, alias and idempotent id: if every one
reappears in capabilities that have the status the capability had, the finding is a
`renamed` ("renamed to X") or `split` ("split into X, Y") info instead.

Designated sections, per project and section: a section's standing is its status when it is
designated (`designated: true`) under required, advisory or deprecated; not designated, or
informational, is no standing. The same rules apply: a section becomes required only via
advisory (`section-required-without-advisory` error; a project listed as advisory with no
sections yet counts as advisory for each of its sections: 2015.x list keystone that way before
2016.01 designates its sections), and a required section loses its standing (undesignated,
informational, or gone) only via deprecated (`section-removed-without-deprecation` error);
an advisory one that loses it is a `section-advisory-dropped` warning. In the real files the
only moves are neutron advisory (2016.01) -> required (2016.08), and keystone's
"auth (v2.0) API" required (2017.01) -> deprecated (2017.09) -> gone (2018.02): all clean.

Also: `replaces-mismatch` (warning) when NEW's `replaces` does not name OLD's id, and
`different-programs` (warning) when the two are not guidelines of the same program.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from defcore.guidelines.check import capability_path, file_of, id_prefix, is_v2
from defcore.guidelines.findings import Finding, Severity
from defcore.guidelines.jsonpath import jp
from defcore.guidelines.model import Capability, Guideline, Status, Test

_STANDING = (Status.REQUIRED, Status.ADVISORY, Status.DEPRECATED)


def lint(new: Guideline, previous: Guideline) -> list[Finding]:
    """Process findings for NEW replacing PREVIOUS."""
    return _Linter(new, previous).run()


def test_keys(test: Test) -> set[str]:
    """What identifies a test across guidelines: its name, aliases and bare idempotent id."""
    keys = {test.name, *test.aliases}
    if test.uuid:
        keys.add(f"id-{test.uuid.lower()}")
    return keys


def capability_status(guideline: Guideline, name: str) -> Status | None:
    """The status components give a capability in the guideline; None when none lists it."""
    statuses = guideline.statuses_of(name)
    if not statuses:
        return None
    return next(s for s in (*_STANDING, Status.REMOVED, Status.INFORMATIONAL) if s in statuses)


class _Linter:
    def __init__(self, new: Guideline, previous: Guideline) -> None:
        self.new = new
        self.old = previous
        self.file = file_of(new)
        self.findings: list[Finding] = []
        self.new_index = self._index(new)
        self.old_index = self._index(previous)

    def note(self, path: str, severity: Severity, code: str, message: str) -> None:
        self.findings.append(Finding(self.file, path, severity, code, message))

    def run(self) -> list[Finding]:
        self.metadata()
        self.capabilities()
        self.sections()
        return self.findings

    @staticmethod
    def _index(guideline: Guideline) -> dict[str, set[str]]:
        """Test key -> names of the capabilities, listed by some component, that hold it."""
        listed = guideline.referenced_capabilities()
        index: dict[str, set[str]] = defaultdict(set)
        for capability in guideline.capabilities.values():
            if capability.name in listed:
                for test in capability.tests:
                    for key in test_keys(test):
                        index[key].add(capability.name)
        return index

    # -- metadata -----------------------------------------------------------------------------

    def metadata(self) -> None:
        new, old = self.new, self.old
        approval = "$.metadata.os_trademark_approval" if is_v2(new) else "$"
        if new.replaces != old.id:
            said = repr(new.replaces) if new.replaces else "nothing"
            self.note(
                jp(approval, "replaces"),
                Severity.WARNING,
                "replaces-mismatch",
                f"{new.id or 'NEW'} replaces {said}, not {old.id!r} it is linted against",
            )
        if new.kind != old.kind or (id_prefix(new.id) or "") != (id_prefix(old.id) or ""):
            self.note(
                jp("$.metadata" if is_v2(new) else "$", "id"),
                Severity.WARNING,
                "different-programs",
                f"{new.id!r} ({new.kind}) and {old.id!r} ({old.kind}) are not guidelines of "
                "the same program",
            )

    # -- capabilities -------------------------------------------------------------------------

    def capabilities(self) -> None:
        new, old = self.new, self.old
        names = dict.fromkeys([*old.referenced_capabilities(), *new.referenced_capabilities()])
        for name in sorted(names):
            before, after = capability_status(old, name), capability_status(new, name)
            if before == after:
                continue
            self._move(name, before, after)

    def _move(self, name: str, before: Status | None, after: Status | None) -> None:
        path = capability_path(self.new, name)
        was = f"was {before}" if before else "was not in the previous guideline"
        if after is Status.REQUIRED:
            if before is Status.ADVISORY:
                return
            if before is None:
                sources = self._sources(name)
                if sources:
                    self.note(
                        path,
                        Severity.INFO,
                        "renamed-from",
                        f"{name!r} is new and required, but all its tests come from "
                        f"{_names(sources)} (required or advisory before): a rename or split, "
                        "not a new requirement",
                    )
                    return
            self.note(
                path,
                Severity.ERROR,
                "required-without-advisory",
                f"{name!r} became required but {was}; a capability becomes required only "
                "after a guideline as advisory",
            )
        elif after is Status.ADVISORY:
            if before is Status.REQUIRED:
                self.note(
                    path,
                    Severity.ERROR,
                    "demoted-without-deprecation",
                    f"{name!r} went from required to advisory; required capabilities leave "
                    "through deprecated",
                )
            elif before is Status.DEPRECATED:
                self.note(
                    path,
                    Severity.WARNING,
                    "deprecation-reverted",
                    f"{name!r} went from deprecated back to advisory",
                )
        elif after is Status.DEPRECATED:
            if before is not Status.REQUIRED:
                self.note(
                    path,
                    Severity.WARNING,
                    "deprecated-not-required",
                    f"{name!r} is deprecated but {was}; only required capabilities need "
                    "deprecating",
                )
        elif after is Status.REMOVED:
            if before is Status.DEPRECATED:
                return
            if before is None:
                self.note(
                    path,
                    Severity.WARNING,
                    "removed-unknown",
                    f"{name!r} is listed as removed but {was}",
                )
            elif not self._renamed(name, before, path):
                if before is Status.ADVISORY:
                    self.note(
                        path,
                        Severity.WARNING,
                        "advisory-removed",
                        f"{name!r} went from advisory to removed without being required",
                    )
                elif before is Status.REQUIRED:
                    self.note(
                        path,
                        Severity.ERROR,
                        "removed-without-deprecation",
                        f"{name!r} went from required to removed; it must be deprecated first"
                        + self._partial(name, before),
                    )
        elif after is None and before in _STANDING:
            path = self._vanished_path(name)
            if self._renamed(name, before, path):
                return
            if before is Status.ADVISORY:
                self.note(
                    path,
                    Severity.WARNING,
                    "vanished-advisory",
                    f"advisory {name!r} disappeared without a word (not listed as removed)"
                    + self._partial(name, before),
                )
            else:
                self.note(
                    path,
                    Severity.ERROR,
                    "vanished",
                    f"{before} {name!r} disappeared; "
                    + (
                        "it must be listed as removed"
                        if before is Status.DEPRECATED
                        else "it must be deprecated, then removed"
                    )
                    + self._partial(name, before),
                )

    def _renamed(self, name: str, before: Status | None, path: str) -> bool:
        """Report a rename or split of a capability gone from NEW; False when it is none."""
        capability = self.old.capabilities.get(name)
        if capability is None or not capability.tests or before is None:
            return False
        homes = _homes(capability, self.new, self.new_index, name, {before})
        if homes is None:
            return False
        if len(homes) == 1:
            code, what = "renamed", f"renamed to {_names(homes)}"
        else:
            code, what = "split", f"split into {_names(homes)}"
        self.note(
            path,
            Severity.INFO,
            code,
            f"{before} {name!r} {what}: all its tests are there, still {before}",
        )
        return True

    def _partial(self, name: str, before: Status) -> str:
        """For a capability that is no clean rename: where the tests that did move went."""
        capability = self.old.capabilities.get(name)
        if capability is None or not capability.tests:
            return " (it had no tests to follow)"
        moved: set[str] = set()
        kept = 0
        for test in capability.tests:
            found = _homes(Capability(name, (test,)), self.new, self.new_index, name, {before})
            if found:
                kept += 1
                moved |= found
        if not kept:
            return ""
        return (
            f" ({kept} of its {len(capability.tests)} tests are {before} in {_names(moved)}; "
            f"the other {len(capability.tests) - kept} are not)"
        )

    def _sources(self, name: str) -> set[str]:
        """Previous required/advisory capabilities that hold every test of a new capability."""
        capability = self.new.capabilities.get(name)
        if capability is None or not capability.tests:
            return set()
        homes = _homes(
            capability, self.old, self.old_index, name, {Status.REQUIRED, Status.ADVISORY}
        )
        return homes or set()

    def _vanished_path(self, name: str) -> str:
        """Where a vanished capability was listed, as the path of that list in NEW."""
        for component in self.old.components.values():
            status = component.status_of(name)
            if status is not None and component.name in self.new.components:
                listed = self.new.components[component.name]
                if is_v2(self.new):
                    return jp(listed.json_path, "capabilities", status.value)
                return jp(listed.json_path, status.value)
        return "$.components"

    # -- designated sections ------------------------------------------------------------------

    def sections(self) -> None:
        before, after = _standings(self.old), _standings(self.new)
        advisory_projects = {
            project
            for project, statuses in self.old.designated_sections.items()
            if Status.ADVISORY in statuses
        }
        for project, section in sorted(set(before) | set(after)):
            was, now = before.get((project, section)), after.get((project, section))
            if was == now:
                continue
            path = self._section_path(project, section, now)
            label = f"{project} section {section!r}"
            if now is Status.REQUIRED:
                if was is Status.ADVISORY or (was is None and project in advisory_projects):
                    continue
                self.note(
                    path,
                    Severity.ERROR,
                    "section-required-without-advisory",
                    f"{label} became designated and required but was "
                    f"{_standing_word(was)}; it must be advisory first",
                )
            elif now is None or now is Status.ADVISORY:
                if was is Status.REQUIRED:
                    self.note(
                        path,
                        Severity.ERROR,
                        "section-removed-without-deprecation",
                        f"{label} was designated and required, now "
                        f"{_standing_word(now)}; it must be deprecated first",
                    )
                elif was is Status.ADVISORY and now is None:
                    self.note(
                        path,
                        Severity.WARNING,
                        "section-advisory-dropped",
                        f"{label} was designated as advisory, now {_standing_word(now)}",
                    )
            elif now is Status.DEPRECATED and was is not Status.REQUIRED:
                self.note(
                    path,
                    Severity.WARNING,
                    "section-deprecated-not-required",
                    f"{label} is deprecated but was {_standing_word(was)}",
                )

    def _section_path(self, project: str, section: str, status: Status | None) -> str:
        statuses = self.new.designated_sections.get(project, {})
        for candidate in (status, *statuses):
            if candidate is not None and candidate in statuses:
                entry = statuses[candidate]
                if any(s.name == section for s in entry.sections):
                    return jp(entry.json_path, "sections", section)
        if statuses:
            return next(iter(statuses.values())).json_path
        return "$.designated_sections" if is_v2(self.new) else "$.designated-sections"


def _standings(guideline: Guideline) -> dict[tuple[str, str], Status]:
    """(project, section) -> status, for sections designated under a status with standing."""
    out: dict[tuple[str, str], Status] = {}
    for project, statuses in guideline.designated_sections.items():
        for status in _STANDING:
            entry = statuses.get(status)
            if entry is None:
                continue
            for section in entry.sections:
                if section.designated:
                    out.setdefault((project, section.name), status)
    return out


def _standing_word(status: Status | None) -> str:
    return f"designated as {status}" if status else "not designated (or absent)"


def _homes(
    capability: Capability,
    guideline: Guideline,
    index: dict[str, set[str]],
    exclude: str,
    statuses: set[Status],
) -> set[str] | None:
    """Capabilities of `guideline`, with a status in `statuses`, that hold the capability's
    tests (matched by name, alias or idempotent id); None when some test has no such home."""
    homes: set[str] = set()
    for test in capability.tests:
        found: set[str] = set()
        for key in test_keys(test):
            found |= index.get(key, set())
        found = {
            home
            for home in found
            if home != exclude and capability_status(guideline, home) in statuses
        }
        if not found:
            return None
        homes |= found
    return homes


def _names(names: Iterable[str]) -> str:
    return ", ".join(sorted(names))
