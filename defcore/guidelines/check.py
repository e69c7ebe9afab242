"""Semantic checks of one guideline: what the published schemas never verify.

`check(guideline)` returns the loader's findings (unknown, misspelled and wrong-generation keys,
wrong types) followed by these, each with a stable code:

| code | severity | what |
| --- | --- | --- |
| `undefined-capability` | error | a component lists a capability the guideline does not define |
| `unreferenced-capability` | warning | a capability no component lists (not for schema 1.0) |
| `multiple-statuses` | error | a capability under two statuses, in one component or across them |
| `duplicate-listing` | warning | a capability twice under the same status of one component |
| `undefined-component` | error | a platform or add-on names a component not defined here |
| `undefined-designated-project` | error | a 2.0 component names a project without sections |
| `shared-test` | warning | a test in two capabilities |
| `no-tests` | error | a capability without tests (skipped when removed; warning for a
  schema 1.0 capability that is not core) |
| `all-flagged` | warning | a capability whose every test is flagged |
| `placeholder-test` | error | a test named as a placeholder (`NEED_TEST`, `TODO`, `FIXME`) |
| `test-id-missing` / `test-id-empty` | error | no idempotent id (schema 1.3 on) / an empty one |
| `test-id-not-uuid` | error | the id, without prefix and suffixes, is not a UUID |
| `test-id-suffix` | warning | `,smoke`-style suffixes after the id |
| `test-id-prefix` | warning | no `id-` prefix in a 1.5+ platform guideline |
| `achievement-not-criterion` | error | an achievement naming no criterion of the guideline |
| `admin-required` | warning | an admin-only capability that is required |
| `flag-no-code` | warning | a flag reason without a `[Dnnn]` code |
| `flag-code-unbracketed` | info | a reason code written `Dnnn` instead of `[Dnnn]` |
| `own-status-mismatch` | warning | a 1.x capability's own status differs from its components' |
| `own-status-dropped` | warning | a 1.4+ capability states a status of its own |
| `id-missing`, `id-format`, `id-file-mismatch`, `add-on-prefix` | error | the guideline id is
  absent, malformed, differs from the file stem, or its add-on prefix names no add-on |
| `schema-unknown`, `schema-structure` | error | an unknown schema string, or one the file's
  structure contradicts |
| `replaces-not-earlier` | error | `replaces` names a guideline not earlier than this one |
| `target-approval-mismatch` | warning | target approval date in another month than the id |
| `releases-empty` | error | no releases named |
| `cutoff-missing` | error | no cutoff score in a 1.5+ guideline; `cutoff-range` (warning)
  outside 1..100 |
| `required-since-later` | error | `required_since` later than the guideline;
  `required-since-format` (warning) when it is no `YYYY.MM` |

Decisions where the rules leave room:
- Idempotent ids: platform guidelines of schema 1.5 and later write `id-<uuid>`, and every real
  one does; add-ons (schema 2.0) write the bare UUID, every one of them. So the prefix is
  demanded of 1.5+ platform guidelines only (a warning: `Test.uuid` recovers the id), and either
  form is accepted in add-ons. Schema 1.3/1.4 (documented only) are not held to the prefix.
- Suffixes (`,smoke`) are a warning: Tempest's attribute syntax leaked into the id, and the id is
  still recoverable. Anything that is not a UUID once prefix and suffixes are stripped is an
  error, as is a missing or empty id: Tempest and RefStack match tests by it.
- Flag reasons: most real reasons start with a bare `D405` rather than `[D405]`; the code is
  still unambiguous, so that is info, and only a reason with no code at all is a warning. Schema
  1.0/1.2 flags carry no reason at all, so they are not checked.
- A capability both defined and listed by no component is only a warning: it is dead text,
  harmless to a product; schema 1.0 files have no components, so they are skipped.
"""

from __future__ import annotations

import re
from collections import defaultdict

from defcore.guidelines.findings import Finding, Severity
from defcore.guidelines.jsonpath import jp
from defcore.guidelines.loader import generation_of
from defcore.guidelines.model import STATUS_ORDER, Capability, Component, Guideline, Status

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_DATED_ID = re.compile(r"^(?:(?P<prefix>[A-Za-z][\w-]*)\.)?(?P<year>\d{4})\.(?P<month>\d{2})$")
_MONTH = re.compile(r"^(?P<year>\d{4})[.-](?P<month>\d{2})(?:[.-]\d{2})?$")
_PLACEHOLDER = re.compile(r"NEED_TEST|TODO|FIXME|PLACEHOLDER", re.I)
_KNOWN_SCHEMAS = {"1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "2.0"}


def check(guideline: Guideline) -> list[Finding]:
    """Everything wrong with one guideline: load findings first, then the semantic checks."""
    return [*guideline.load_findings, *_Checker(guideline).run()]


def file_of(guideline: Guideline) -> str:
    """The name findings give for the guideline: its path, else its id."""
    if guideline.path is not None:
        return str(guideline.path)
    if guideline.load_findings:
        return guideline.load_findings[0].file
    return guideline.id or "<guideline>"


def is_v2(guideline: Guideline) -> bool:
    """Whether the file has the 2.0 structure (`metadata`), whatever its schema string says.

    The loader gives every 1.x file a platform with RefStack's short name `platform`; 2.0
    platforms have none, and add-ons exist only in 2.0.
    """
    if guideline.kind == "legacy":
        return False
    return guideline.kind == "add-on" or not any(p.short_name for p in guideline.platforms.values())


def schema_at_least(guideline: Guideline, version: tuple[int, int]) -> bool:
    try:
        major, minor = (int(x) for x in guideline.schema.split(".")[:2])
    except ValueError:
        return False
    return (major, minor) >= version


def listing_path(guideline: Guideline, component: Component, status: Status) -> str:
    """JSON path of the list of capabilities a component gives under `status`."""
    if guideline.kind == "legacy":
        return component.json_path
    if is_v2(guideline):
        return jp(component.json_path, "capabilities", status.value)
    return jp(component.json_path, status.value)


def capability_path(guideline: Guideline, name: str) -> str:
    """Where a capability is: its definition, else the first place a component lists it."""
    if name in guideline.capabilities:
        return guideline.capabilities[name].json_path
    for component in guideline.components.values():
        for status in STATUS_ORDER:
            names = component.capabilities.get(status, ())
            if name in names:
                return jp(listing_path(guideline, component, status), names.index(name))
    return "$.capabilities"


def year_month(value: str | None) -> tuple[int, int] | None:
    """(year, month) of `2016.01`, `2016-01-27` or `dns.2018.11`; None when not dated."""
    if not value:
        return None
    dated = _DATED_ID.match(value.strip())
    match = dated or _MONTH.match(value.strip())
    return (int(match["year"]), int(match["month"])) if match else None


def id_prefix(value: str) -> str | None:
    match = _DATED_ID.match(value)
    return match["prefix"] if match else None


class _Checker:
    def __init__(self, guideline: Guideline) -> None:
        self.g = guideline
        self.file = file_of(guideline)
        self.findings: list[Finding] = []
        self.meta = "$.metadata" if is_v2(guideline) else "$"
        self.approval = "$.metadata.os_trademark_approval" if is_v2(guideline) else "$"

    def note(self, path: str, severity: Severity, code: str, message: str) -> None:
        self.findings.append(Finding(self.file, path, severity, code, message))

    def run(self) -> list[Finding]:
        self.metadata()
        self.components()
        self.targets()
        self.capabilities()
        self.tests()
        return self.findings

    # -- metadata ---------------------------------------------------------------------------

    def metadata(self) -> None:
        g = self.g
        id_path = jp(self.meta, "id")
        if g.schema not in _KNOWN_SCHEMAS:
            self.note(
                jp(self.meta, "schema"),
                Severity.ERROR,
                "schema-unknown",
                f"unknown schema {g.schema!r} (known: {', '.join(sorted(_KNOWN_SCHEMAS))})",
            )
        self._schema_structure()
        if not g.id:
            self.note(id_path, Severity.ERROR, "id-missing", "the guideline has no id")
        elif g.kind != "legacy":
            match = _DATED_ID.match(g.id)
            if match is None:
                self.note(
                    id_path,
                    Severity.ERROR,
                    "id-format",
                    f"id {g.id!r} is not YYYY.MM (platform) or NAME.YYYY.MM (add-on)",
                )
            elif g.kind == "add-on":
                names = {n.casefold() for n in g.add_ons}
                if not match["prefix"]:
                    self.note(
                        id_path,
                        Severity.ERROR,
                        "add-on-prefix",
                        f"add-on id {g.id!r} lacks the add-on's name (e.g. dns.{g.id})",
                    )
                elif match["prefix"].casefold() not in names:
                    self.note(
                        id_path,
                        Severity.ERROR,
                        "add-on-prefix",
                        f"id prefix {match['prefix']!r} names no add-on of the guideline "
                        f"({', '.join(g.add_ons) or 'none'})",
                    )
            elif match["prefix"]:
                self.note(
                    id_path,
                    Severity.ERROR,
                    "add-on-prefix",
                    f"platform guideline id {g.id!r} has an add-on prefix but defines no add-on",
                )
        if g.path is not None and g.id and g.path.stem != g.id:
            self.note(
                id_path,
                Severity.ERROR,
                "id-file-mismatch",
                f"id {g.id!r} differs from the file name {g.path.name!r}",
            )
        self._replaces()
        self._target_approval()
        if not g.releases:
            key = "release" if g.kind == "legacy" else "releases"
            self.note(jp(self.approval, key), Severity.ERROR, "releases-empty", "no releases named")
        cutoff_path = (
            "$.metadata.scoring.cutoff_score" if is_v2(g) else jp(self.meta, "cutoff_score")
        )
        if g.cutoff is None:
            if g.kind != "legacy" and schema_at_least(g, (1, 5)):
                self.note(
                    cutoff_path,
                    Severity.ERROR,
                    "cutoff-missing",
                    f"no cutoff score (schema {g.schema} requires one)",
                )
        elif not 0 < g.cutoff <= 100:
            self.note(
                cutoff_path, Severity.WARNING, "cutoff-range", f"cutoff score {g.cutoff} not 1..100"
            )

    def _schema_structure(self) -> None:
        g = self.g
        gen = generation_of(g.schema)
        path = jp(self.meta, "schema")
        # (A 2.0 schema string without `metadata` is reported by the loader.)
        if is_v2(g) and gen != "2.0":
            self.note(
                path,
                Severity.ERROR,
                "schema-structure",
                f"schema {g.schema!r}, but the file has the 2.0 structure (metadata)",
            )
            return
        # Tests as a list belong to 1.0/1.2; as objects with ids to 1.3 and later.
        listed = dict_form = 0
        for capability in g.capabilities.values():
            for test in capability.tests:
                if re.search(r"\[\d+\]$", test.json_path):
                    listed += 1
                else:
                    dict_form += 1
        if gen in {"1.0", "1.2"} and dict_form:
            self.note(
                path,
                Severity.ERROR,
                "schema-structure",
                f"schema {g.schema} lists tests by name, but {dict_form} tests are objects "
                "(schema 1.3 and later)",
            )
        elif gen in {"1.x", "2.0"} and listed:
            self.note(
                path,
                Severity.ERROR,
                "schema-structure",
                f"schema {g.schema} gives tests as objects, but {listed} are listed by name "
                "(schema 1.2 and earlier)",
            )
        if gen == "1.x" and schema_at_least(g, (1, 4)):
            own = [c.name for c in g.capabilities.values() if c.own_status]
            if own:
                self.note(
                    capability_path(g, own[0]),
                    Severity.WARNING,
                    "own-status-dropped",
                    f"schema {g.schema} dropped the per-capability status, yet {len(own)} "
                    "capabilities state one",
                )

    def _replaces(self) -> None:
        g = self.g
        if not g.replaces or g.kind == "legacy":
            return
        path = jp(self.approval, "replaces")
        mine, theirs = year_month(g.id), year_month(g.replaces)
        if theirs is None:
            self.note(
                path,
                Severity.ERROR,
                "replaces-not-earlier",
                f"replaces {g.replaces!r}, which is not a guideline id",
            )
            return
        if mine is not None and theirs >= mine:
            self.note(
                path,
                Severity.ERROR,
                "replaces-not-earlier",
                f"replaces {g.replaces!r}, which is not earlier than {g.id!r}",
            )
        mine_prefix, their_prefix = id_prefix(g.id), id_prefix(g.replaces)
        if mine is not None and (mine_prefix or "").casefold() != (their_prefix or "").casefold():
            self.note(
                path,
                Severity.ERROR,
                "replaces-not-earlier",
                f"replaces {g.replaces!r}, a guideline of another program than {g.id!r}",
            )

    def _target_approval(self) -> None:
        g = self.g
        if not g.target_approval:
            return
        path = jp(self.approval, "target_approval")
        approval, mine = year_month(g.target_approval), year_month(g.id)
        if approval is None:
            self.note(
                path,
                Severity.WARNING,
                "target-approval-mismatch",
                f"target approval {g.target_approval!r} is neither a date nor a guideline id",
            )
        elif mine is not None and approval != mine:
            self.note(
                path,
                Severity.WARNING,
                "target-approval-mismatch",
                f"target approval {g.target_approval!r} is not in the month of {g.id!r}",
            )
        prefix = id_prefix(g.target_approval)
        if prefix and prefix.casefold() != (id_prefix(g.id) or "").casefold():
            self.note(
                path,
                Severity.WARNING,
                "target-approval-mismatch",
                f"target approval {g.target_approval!r} names another program than {g.id!r}",
            )

    # -- components and targets -------------------------------------------------------------

    def components(self) -> None:
        g = self.g
        where: dict[str, list[tuple[Component, Status]]] = defaultdict(list)
        for component in g.components.values():
            for status in STATUS_ORDER:
                names = component.capabilities.get(status, ())
                seen: set[str] = set()
                for i, name in enumerate(names):
                    path = jp(listing_path(g, component, status), i)
                    if name in seen:
                        self.note(
                            path,
                            Severity.WARNING,
                            "duplicate-listing",
                            f"{name!r} is listed twice as {status} in {component.name}",
                        )
                        continue
                    seen.add(name)
                    where[name].append((component, status))
                    if name not in g.capabilities:
                        self.note(
                            path,
                            Severity.ERROR,
                            "undefined-capability",
                            f"{component.name} lists {name!r} as {status}, "
                            "but the guideline does not define it",
                        )
            for status, projects in component.designated_sections.items():
                for i, project in enumerate(projects):
                    if status not in g.designated_sections.get(project, {}):
                        self.note(
                            jp(component.json_path, "designated_sections", status.value, i),
                            Severity.ERROR,
                            "undefined-designated-project",
                            f"{component.name} names {project!r} {status} designated sections, "
                            f"but designated_sections has no {status} entry for {project!r}",
                        )
        for name, places in where.items():
            statuses = {status for _, status in places}
            if len(statuses) > 1:
                listed = ", ".join(f"{status} in {c.name}" for c, status in places)
                self.note(
                    capability_path(g, name),
                    Severity.ERROR,
                    "multiple-statuses",
                    f"{name!r} is listed under {len(statuses)} statuses: {listed}",
                )
        if g.kind == "legacy":
            return
        for name, capability in g.capabilities.items():
            if name not in where:
                own = (
                    f" (its own status says {capability.own_status})"
                    if capability.own_status
                    else ""
                )
                self.note(
                    capability.json_path,
                    Severity.WARNING,
                    "unreferenced-capability",
                    f"{name!r} is defined but no component lists it{own}",
                )
            elif capability.own_status and capability.own_status not in {
                s.value for s in statuses_of(where[name])
            }:
                self.note(
                    jp(capability.json_path, "status"),
                    Severity.WARNING,
                    "own-status-mismatch",
                    f"{name!r} says status {capability.own_status!r}, but components list it as "
                    + ", ".join(sorted(s.value for s in statuses_of(where[name]))),
                )

    def targets(self) -> None:
        g = self.g
        groups = [(jp("$.platforms", n), p.components) for n, p in g.platforms.items()]
        groups += [(jp("$.add-ons", n, "components"), a.components) for n, a in g.add_ons.items()]
        for path, refs in groups:
            if not is_v2(g):
                continue  # 1.x platforms are built by the loader from `platform`
            for i, ref in enumerate(refs):
                if ref.source is None and ref.name not in g.components:
                    self.note(
                        f"{path}[{i}]" if path.endswith("components") else path,
                        Severity.ERROR,
                        "undefined-component",
                        f"refers to component {ref.name!r}, which the guideline does not define",
                    )

    # -- capabilities -----------------------------------------------------------------------

    def capabilities(self) -> None:
        g = self.g
        mine = year_month(g.id)
        for name, capability in g.capabilities.items():
            status = g.status_of(name)
            self._tests_present(capability, status)
            for i, achievement in enumerate(capability.achievements):
                if achievement not in g.criteria:
                    self.note(
                        jp(capability.json_path, "achievements", i),
                        Severity.ERROR,
                        "achievement-not-criterion",
                        f"achievement {achievement!r} is not a criterion of this guideline",
                    )
            if capability.admin and status is Status.REQUIRED:
                self.note(
                    jp(capability.json_path, "admin"),
                    Severity.WARNING,
                    "admin-required",
                    f"{name!r} needs admin rights, yet it is required",
                )
            since = capability.required_since
            if since:
                key = "required_since" if is_v2(g) else "required-since"
                when = year_month(since)
                if when is None or id_prefix(since):
                    self.note(
                        jp(capability.json_path, key),
                        Severity.WARNING,
                        "required-since-format",
                        f"required-since {since!r} is not a YYYY.MM guideline date",
                    )
                elif mine is not None and when > mine:
                    self.note(
                        jp(capability.json_path, key),
                        Severity.ERROR,
                        "required-since-later",
                        f"required since {since}, later than the guideline {g.id}",
                    )

    def _tests_present(self, capability: Capability, status: Status | None) -> None:
        if not capability.tests:
            if status is Status.REMOVED:
                return
            severity = Severity.ERROR
            if self.g.kind == "legacy" and status is not Status.REQUIRED:
                severity = Severity.WARNING
            self.note(
                jp(capability.json_path, "tests"),
                severity,
                "no-tests",
                f"{capability.name!r} ({status or 'no status'}) has no tests",
            )
        elif all(t.flagged for t in capability.tests):
            self.note(
                jp(capability.json_path, "tests"),
                Severity.WARNING,
                "all-flagged",
                f"every test of {capability.name!r} ({len(capability.tests)}) is flagged: "
                "nothing of it must pass",
            )

    # -- tests -------------------------------------------------------------------------------

    def tests(self) -> None:
        g = self.g
        gen = generation_of(g.schema)
        with_ids = gen in {"1.x", "2.0"}
        want_prefix = g.kind == "platform" and schema_at_least(g, (1, 5))
        first_home: dict[str, str] = {}
        for capability in g.capabilities.values():
            for test in capability.tests:
                other = first_home.setdefault(test.name, capability.name)
                if other != capability.name:
                    self.note(
                        test.json_path,
                        Severity.WARNING,
                        "shared-test",
                        f"test also belongs to {other!r}",
                    )
                if _PLACEHOLDER.search(test.name):
                    self.note(
                        test.json_path,
                        Severity.ERROR,
                        "placeholder-test",
                        f"{test.name!r} is a placeholder, not a test",
                    )
                if with_ids:
                    self._idempotent_id(test.idempotent_id, test.json_path, want_prefix)
                if test.flag is not None and gen not in {"1.0", "1.2"}:
                    path = jp(test.json_path, "flagged", "reason")
                    if test.flag.code is None:
                        self.note(
                            path,
                            Severity.WARNING,
                            "flag-no-code",
                            "flag reason has no [Dnnn] code: "
                            + (repr(_short(test.flag.reason)) if test.flag.reason else "empty"),
                        )
                    elif not test.flag.code_bracketed:
                        self.note(
                            path,
                            Severity.INFO,
                            "flag-code-unbracketed",
                            f"reason code written {test.flag.code}, not [{test.flag.code}]",
                        )

    def _idempotent_id(self, value: str | None, test_path: str, want_prefix: bool) -> None:
        path = jp(test_path, "idempotent_id")
        if value is None:
            self.note(test_path, Severity.ERROR, "test-id-missing", "test has no idempotent_id")
            return
        if not value.strip():
            self.note(path, Severity.ERROR, "test-id-empty", "idempotent_id is empty")
            return
        bare, *suffixes = (part.strip() for part in value.split(","))
        if suffixes:
            self.note(
                path,
                Severity.WARNING,
                "test-id-suffix",
                f"idempotent_id {value!r} carries suffixes ({', '.join(suffixes)}); "
                f"the id is {bare!r}",
            )
        uuid = bare.removeprefix("id-")
        if not _UUID.match(uuid):
            self.note(
                path, Severity.ERROR, "test-id-not-uuid", f"idempotent_id {value!r} is not a UUID"
            )
        elif want_prefix and not bare.startswith("id-"):
            self.note(
                path,
                Severity.WARNING,
                "test-id-prefix",
                f"idempotent_id {value!r} lacks the 'id-' prefix this generation uses",
            )


def statuses_of(places: list[tuple[Component, Status]]) -> set[Status]:
    return {status for _, status in places}


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
