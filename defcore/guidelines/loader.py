"""Read a guideline of any generation into the one model.

The loader is tolerant: real guidelines are untidy (misspelled keys, wrong types, lists where
objects belong), so it never crashes on content. What it had to skip or guess becomes a Finding
in `Guideline.load_findings`, which `defcore guideline check` reports with the rest. Only input
that is not a JSON object at all raises.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from defcore.errors import GuidelineError, GuidelineSyntaxError
from defcore.guidelines.findings import Finding, Severity
from defcore.guidelines.jsonpath import jp
from defcore.guidelines.model import (
    AddOn,
    Capability,
    Component,
    ComponentRef,
    Criterion,
    Flag,
    Guideline,
    Platform,
    ProjectSections,
    Section,
    Status,
    Test,
    TestRepository,
)

# Keys each generation defines, per object; anything else is reported.
_TOP_KEYS = {
    "1.0": {"release", "status", "schema", "criteria", "capabilities"},
    "1.2": {
        "id", "schema", "source", "status", "replaces", "releases", "platform", "components",
        "capabilities", "criteria", "designated-sections",
    },
    "1.x": {
        "id", "schema", "source", "status", "replaces", "releases", "platform", "components",
        "capabilities", "criteria", "designated-sections", "cutoff_score", "target_approval",
        "test-repositories", "reference",
    },
    "2.0": {
        "metadata", "platforms", "add-ons", "components", "capabilities", "designated_sections",
        "test_repositories",
    },
}  # fmt: skip
_CAPABILITY_KEYS = {
    "1.0": {"achievements", "admin", "core", "description", "flagged", "name", "tests"},
    "1.2": {
        "achievements", "admin", "status", "guidelines", "project", "description", "flagged",
        "name", "tests",
    },
    "1.x": {
        "achievements", "admin", "description", "project", "required-since", "tests", "status",
    },
    "2.0": {"achievements", "admin", "description", "project", "required_since", "tests"},
}  # fmt: skip
_TEST_KEYS = {"idempotent_id", "flagged", "aliases"}
_FLAG_KEYS = {"reason", "action", "date"}
_SECTION_KEYS = {"description", "designated", "comment"}
_PROJECT_SECTION_KEYS = {"guidance", "comment", "sections"}
# Keys real files misspell, read as the intended key (and reported by the checks).
_MISSPELLINGS = {"acheivements": "achievements", "descriptin": "description"}
# Keys that belong to another generation, read as this generation's equivalent.
_OTHER_GENERATION = {"required-since": "required_since", "required_since": "required-since"}

# 1.x guidelines have one platform and components `compute` and `object`; RefStack named the
# targets platform/compute/object. 2.0 names them as the trademark programs.
_LEGACY_PLATFORMS = {
    "compute": ("OpenStack Powered Compute", "compute"),
    "object": ("OpenStack Powered Storage", "object"),
}


class _Reader:
    """Walks one file's JSON, collecting findings instead of raising."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.findings: list[Finding] = []

    def note(self, path: str, code: str, message: str, severity: Severity = Severity.ERROR) -> None:
        self.findings.append(Finding(self.file, path, severity, code, message))

    def obj(self, value: Any, path: str, severity: Severity = Severity.ERROR) -> dict[str, Any]:
        if value is None:
            return {}
        if isinstance(value, dict):
            return value
        if value == []:
            # An empty list where an object belongs loses nothing; still worth a word.
            self.note(path, "type", "expected an object, found an empty list", Severity.WARNING)
            return {}
        self.note(path, "type", f"expected an object, found {type(value).__name__}", severity)
        return {}

    def strings(self, value: Any, path: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            self.note(path, "type", "expected a list of strings, found a string")
            return (value,)
        if not isinstance(value, list):
            self.note(path, "type", f"expected a list, found {type(value).__name__}")
            return ()
        out = []
        for i, item in enumerate(value):
            if isinstance(item, str):
                out.append(item)
            else:
                self.note(f"{path}[{i}]", "type", f"expected a string, found {item!r}")
        return tuple(out)

    def text(self, value: Any, path: str) -> str | None:
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        self.note(path, "type", f"expected a string, found {type(value).__name__}")
        return None

    def boolean(self, value: Any, path: str) -> bool | None:
        if value is None or isinstance(value, bool):
            return value
        self.note(path, "type", f"expected true or false, found {value!r}")
        return None

    def integer(self, value: Any, path: str) -> int | None:
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        self.note(path, "type", f"expected a whole number, found {value!r}")
        return None

    def keys(
        self,
        data: Mapping[str, Any],
        allowed: set[str],
        path: str,
        unknown: Severity = Severity.ERROR,
    ) -> dict[str, Any]:
        """Report keys outside `allowed`; return the data with known misspellings mapped."""
        fixed = dict(data)
        for key in data:
            if key in allowed:
                continue
            if key in _MISSPELLINGS and _MISSPELLINGS[key] in allowed:
                right = _MISSPELLINGS[key]
                self.note(jp(path, key), "misspelled-key", f"misspelled key {key!r}: {right!r}")
                fixed.setdefault(right, fixed[key])
                if fixed[right] is not fixed[key]:
                    self.note(jp(path, key), "duplicate-key", f"both {key!r} and {right!r} given")
            elif key in _OTHER_GENERATION and _OTHER_GENERATION[key] in allowed:
                right = _OTHER_GENERATION[key]
                self.note(
                    jp(path, key),
                    "wrong-generation-key",
                    f"key {key!r} belongs to another schema generation; this one uses {right!r}",
                )
                fixed.setdefault(right, fixed[key])
            else:
                close = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.75)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.note(jp(path, key), "unknown-key", f"unknown key {key!r}{hint}", unknown)
        return fixed


def generation_of(schema: str) -> str:
    """The loader's family for a schema version: 1.0, 1.2, 1.x (1.3 to 1.6) or 2.0."""
    if schema.startswith("1.0"):
        return "1.0"
    if schema in {"1.1", "1.2"}:
        return "1.2"
    if schema.startswith("1."):
        return "1.x"
    return "2.0"


def parse_json(text: str, file: str) -> Any:
    """JSON text to data; a syntax error is one line naming file, line and column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise GuidelineSyntaxError(
            f"{file}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}"
        ) from None


def load_file(path: Path) -> Guideline:
    """Read one guideline file of any generation."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise GuidelineError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise GuidelineError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    guideline = parse(parse_json(text, str(path)), str(path))
    guideline.path = path
    return guideline


def parse(data: Any, file: str = "<guideline>") -> Guideline:
    """Turn one guideline's JSON data into the model."""
    if not isinstance(data, dict):
        raise GuidelineError(f"{file}: a guideline is a JSON object, found {type(data).__name__}")
    reader = _Reader(file)
    if "metadata" in data:
        guideline = _parse_v2(data, reader)
    else:
        guideline = _parse_v1(data, reader)
    guideline.load_findings = reader.findings
    return guideline


# -- schema 1.0, 1.2 and 1.3 to 1.6 --------------------------------------------------------------


def _parse_v1(data: dict[str, Any], r: _Reader) -> Guideline:
    schema = r.text(data.get("schema"), "$.schema") or ""
    if not schema:
        r.note("$", "missing-key", "no 'schema' key; read as schema 1.2")
        schema = "1.2"
    gen = generation_of(schema)
    if gen == "2.0":
        r.note("$.schema", "schema-mismatch", f"schema {schema!r} but no 'metadata' object")
        gen = "1.x"
    data = r.keys(data, _TOP_KEYS[gen], "$")
    legacy = gen == "1.0"
    release = r.text(data.get("release"), "$.release")
    guideline = Guideline(
        id=r.text(data.get("id"), "$.id") or (f"{release}core" if release else ""),
        schema=schema,
        kind="legacy" if legacy else "platform",
        status=r.text(data.get("status"), "$.status"),
        releases=(release,) if release else r.strings(data.get("releases"), "$.releases"),
        replaces=r.text(data.get("replaces"), "$.replaces"),
        cutoff=r.integer(data.get("cutoff_score"), "$.cutoff_score"),
        target_approval=r.text(data.get("target_approval"), "$.target_approval"),
        source=r.text(data.get("source"), "$.source"),
    )
    guideline.criteria = _criteria(data.get("criteria"), "$.criteria", r)
    for name, repo in r.obj(data.get("test-repositories"), "$.test-repositories").items():
        repo = r.obj(repo, jp("$.test-repositories", name))
        guideline.test_repositories[name] = TestRepository(
            name=name,
            url=r.text(repo.get("url"), jp("$.test-repositories", name, "url")),
            reference=r.text(repo.get("git-sha"), jp("$.test-repositories", name, "git-sha")),
        )
    cap_keys = _CAPABILITY_KEYS[gen]
    for name, raw in r.obj(data.get("capabilities"), "$.capabilities").items():
        path = jp("$.capabilities", name)
        guideline.capabilities[name] = _capability_v1(name, raw, path, gen, cap_keys, r)

    if legacy:
        # Before components existed, `core: true` was what required meant.
        core = tuple(n for n, c in guideline.capabilities.items() if c.core)
        guideline.components["core"] = Component("core", {Status.REQUIRED: core}, json_path="$")
        guideline.platforms["OpenStack Powered Platform"] = Platform(
            "OpenStack Powered Platform", components=(ComponentRef("core"),), short_name="platform"
        )
        return guideline

    for name, raw in r.obj(data.get("components"), "$.components").items():
        path = jp("$.components", name)
        guideline.components[name] = Component(
            name, _by_status(raw, path, r, flat=True), json_path=path
        )
    platform = _by_status(data.get("platform"), "$.platform", r, flat=True)
    refs = tuple(ComponentRef(c, status=s) for s, names in platform.items() for c in names)
    guideline.platforms["OpenStack Powered Platform"] = Platform(
        "OpenStack Powered Platform",
        "All required components of this guideline.",
        tuple(ref for ref in refs if ref.status is Status.REQUIRED),
        short_name="platform",
    )
    for component, (platform_name, short) in _LEGACY_PLATFORMS.items():
        if component in guideline.components:
            guideline.platforms[platform_name] = Platform(
                platform_name, components=(ComponentRef(component),), short_name=short
            )
    sections = r.obj(data.get("designated-sections"), "$.designated-sections")
    for status_name, projects in sections.items():
        status = _status(status_name, jp("$.designated-sections", status_name), r)
        if status is None:
            continue
        spath = jp("$.designated-sections", status_name)
        for project, raw in r.obj(projects, spath).items():
            _add_sections(guideline, project, status, raw, jp(spath, project), r)
    return guideline


def _capability_v1(
    name: str, raw: Any, path: str, gen: str, allowed: set[str], r: _Reader
) -> Capability:
    raw = r.keys(r.obj(raw, path), allowed, path)
    if isinstance(raw.get("tests"), dict):
        tests = _tests_v2(raw["tests"], jp(path, "tests"), r)
    else:
        names = r.strings(raw.get("tests"), jp(path, "tests"))
        flagged = set(r.strings(raw.get("flagged"), jp(path, "flagged")))
        for missing in sorted(flagged - set(names)):
            r.note(jp(path, "flagged"), "flag-unknown-test", f"flags {missing!r}, not a test here")
        tests = tuple(
            Test(
                t,
                flag=Flag("flagged (schema 1.x gives no reason)") if t in flagged else None,
                json_path=jp(path, "tests", i),
            )
            for i, t in enumerate(names)
        )
    since = raw.get("required-since", raw.get("required_since"))
    return Capability(
        name=name,
        tests=tests,
        description=r.text(raw.get("description"), jp(path, "description")) or "",
        project=r.text(raw.get("project"), jp(path, "project")),
        admin=r.boolean(raw.get("admin"), jp(path, "admin")),
        achievements=r.strings(raw.get("achievements"), jp(path, "achievements")),
        required_since=r.text(since, jp(path, "required-since")) or None,
        own_status=r.text(raw.get("status"), jp(path, "status")),
        core=r.boolean(raw.get("core"), jp(path, "core")),
        json_path=path,
    )


# -- schema 2.0 and add-ons ------------------------------------------------------------------------


def _parse_v2(data: dict[str, Any], r: _Reader) -> Guideline:
    data = r.keys(data, _TOP_KEYS["2.0"], "$")
    meta = r.obj(data.get("metadata"), "$.metadata")
    meta = r.keys(
        meta,
        {"id", "schema", "reference", "source", "scoring", "os_trademark_approval"},
        "$.metadata",
    )
    scoring = r.keys(
        r.obj(meta.get("scoring"), "$.metadata.scoring"),
        {"cutoff_score", "criteria"},
        "$.metadata.scoring",
    )
    approval_path = "$.metadata.os_trademark_approval"
    approval = r.keys(
        r.obj(meta.get("os_trademark_approval"), approval_path),
        {"target_approval", "replaces", "releases", "status"},
        approval_path,
    )
    schema = r.text(meta.get("schema"), "$.metadata.schema") or "2.0"
    guideline = Guideline(
        id=r.text(meta.get("id"), "$.metadata.id") or "",
        schema=schema,
        kind="add-on" if "add-ons" in data else "platform",
        status=r.text(approval.get("status"), jp(approval_path, "status")),
        releases=r.strings(approval.get("releases"), jp(approval_path, "releases")),
        replaces=r.text(approval.get("replaces"), jp(approval_path, "replaces")),
        cutoff=r.integer(scoring.get("cutoff_score"), "$.metadata.scoring.cutoff_score"),
        target_approval=r.text(
            approval.get("target_approval"), jp(approval_path, "target_approval")
        ),
        source=r.text(meta.get("source"), "$.metadata.source"),
    )
    guideline.criteria = _criteria(scoring.get("criteria"), "$.metadata.scoring.criteria", r)
    for name, raw in r.obj(data.get("test_repositories"), "$.test_repositories").items():
        path = jp("$.test_repositories", name)
        repo = r.keys(r.obj(raw, path), {"repository", "reference", "description"}, path)
        guideline.test_repositories[name] = TestRepository(
            name=name,
            url=r.text(repo.get("repository"), jp(path, "repository")),
            reference=r.text(repo.get("reference"), jp(path, "reference")),
            description=r.text(repo.get("description"), jp(path, "description")) or "",
        )
    for name, raw in r.obj(data.get("platforms"), "$.platforms").items():
        path = jp("$.platforms", name)
        raw = r.keys(r.obj(raw, path), {"description", "components"}, path)
        guideline.platforms[name] = Platform(
            name,
            r.text(raw.get("description"), jp(path, "description")) or "",
            _component_refs(raw.get("components"), jp(path, "components"), r),
        )
    for name, raw in r.obj(data.get("add-ons"), "$.add-ons").items():
        path = jp("$.add-ons", name)
        allowed = {
            "description",
            "components",
            "required_platform_components",
            "optional_platform_components",
        }
        raw = r.keys(r.obj(raw, path), allowed, path)
        guideline.add_ons[name] = AddOn(
            name,
            r.text(raw.get("description"), jp(path, "description")) or "",
            _component_refs(raw.get("components"), jp(path, "components"), r),
            _component_refs(
                raw.get("required_platform_components"),
                jp(path, "required_platform_components"),
                r,
            ),
            _component_refs(
                raw.get("optional_platform_components"),
                jp(path, "optional_platform_components"),
                r,
            ),
        )
    for name, raw in r.obj(data.get("components"), "$.components").items():
        path = jp("$.components", name)
        raw = r.keys(r.obj(raw, path), {"capabilities", "designated_sections"}, path)
        guideline.components[name] = Component(
            name,
            _by_status(raw.get("capabilities"), jp(path, "capabilities"), r),
            _by_status(raw.get("designated_sections"), jp(path, "designated_sections"), r),
            json_path=path,
        )
    for name, raw in r.obj(data.get("capabilities"), "$.capabilities").items():
        path = jp("$.capabilities", name)
        raw = r.keys(r.obj(raw, path), _CAPABILITY_KEYS["2.0"], path)
        guideline.capabilities[name] = Capability(
            name=name,
            tests=_tests_v2(raw.get("tests"), jp(path, "tests"), r),
            description=r.text(raw.get("description"), jp(path, "description")) or "",
            project=r.text(raw.get("project"), jp(path, "project")),
            admin=r.boolean(raw.get("admin"), jp(path, "admin")),
            achievements=r.strings(raw.get("achievements"), jp(path, "achievements")),
            required_since=r.text(raw.get("required_since"), jp(path, "required_since")) or None,
            json_path=path,
        )
    for project, statuses in r.obj(
        data.get("designated_sections"), "$.designated_sections"
    ).items():
        ppath = jp("$.designated_sections", project)
        for status_name, raw in r.obj(statuses, ppath).items():
            status = _status(status_name, jp(ppath, status_name), r)
            if status is not None:
                _add_sections(guideline, project, status, raw, jp(ppath, status_name), r)
    return guideline


def _tests_v2(value: Any, path: str, r: _Reader) -> tuple[Test, ...]:
    tests = []
    for name, raw in r.obj(value, path).items():
        tpath = jp(path, name)
        raw = r.keys(r.obj(raw, tpath), _TEST_KEYS, tpath)
        flag = None
        if "flagged" in raw:
            fpath = jp(tpath, "flagged")
            fraw = r.keys(r.obj(raw["flagged"], fpath), _FLAG_KEYS, fpath)
            flag = Flag(
                reason=r.text(fraw.get("reason"), jp(fpath, "reason")) or "",
                action=r.text(fraw.get("action"), jp(fpath, "action")),
                date=r.text(fraw.get("date"), jp(fpath, "date")),
            )
        tests.append(
            Test(
                name=name,
                idempotent_id=r.text(raw.get("idempotent_id"), jp(tpath, "idempotent_id")),
                aliases=r.strings(raw.get("aliases"), jp(tpath, "aliases")),
                flag=flag,
                json_path=tpath,
            )
        )
    return tuple(tests)


# -- shared pieces ---------------------------------------------------------------------------------


def _status(name: str, path: str, r: _Reader) -> Status | None:
    try:
        return Status(name)
    except ValueError:
        r.note(path, "unknown-status", f"unknown status {name!r}")
        return None


def _by_status(
    value: Any, path: str, r: _Reader, flat: bool = False
) -> dict[Status, tuple[str, ...]]:
    out: dict[Status, tuple[str, ...]] = {}
    for status_name, names in r.obj(value, path).items():
        status = _status(status_name, jp(path, status_name), r)
        if status is not None:
            out[status] = r.strings(names, jp(path, status_name))
    return out


def _component_refs(value: Any, path: str, r: _Reader) -> tuple[ComponentRef, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        r.note(path, "type", "expected a list of {name, source} objects")
        return ()
    refs = []
    for i, raw in enumerate(value):
        ipath = f"{path}[{i}]"
        raw = r.keys(r.obj(raw, ipath), {"name", "source"}, ipath)
        name = r.text(raw.get("name"), jp(ipath, "name"))
        if not name:
            r.note(ipath, "missing-key", "component reference without a name")
            continue
        refs.append(ComponentRef(name, r.text(raw.get("source"), jp(ipath, "source"))))
    return tuple(refs)


def _criteria(value: Any, path: str, r: _Reader) -> dict[str, Criterion]:
    criteria = {}
    for key, raw in r.obj(value, path).items():
        cpath = jp(path, key)
        raw = r.keys(r.obj(raw, cpath), {"name", "weight", "description", "Description"}, cpath)
        weight = r.integer(raw.get("weight"), jp(cpath, "weight"))
        if weight is None:
            r.note(cpath, "missing-key", f"criterion {key!r} has no weight")
        description = raw.get("description", raw.get("Description"))
        criteria[key] = Criterion(
            key=key,
            name=r.text(raw.get("name"), jp(cpath, "name")) or key,
            weight=weight or 0,
            description=r.text(description, jp(cpath, "description")) or "",
        )
    return criteria


def _add_sections(
    guideline: Guideline, project: str, status: Status, raw: Any, path: str, r: _Reader
) -> None:
    # Early files put a stray `required: true` beside the sections: harmless, so a warning.
    raw = r.keys(r.obj(raw, path), _PROJECT_SECTION_KEYS, path, unknown=Severity.WARNING)
    sections = []
    for name, sraw in r.obj(raw.get("sections"), jp(path, "sections")).items():
        spath = jp(path, "sections", name)
        sraw = r.keys(r.obj(sraw, spath), _SECTION_KEYS, spath)
        designated = r.boolean(sraw.get("designated"), jp(spath, "designated"))
        if designated is None:
            r.note(spath, "missing-key", "section does not say whether it is designated")
        sections.append(
            Section(
                name=name,
                designated=bool(designated),
                description=r.text(sraw.get("description"), jp(spath, "description")) or "",
                comment=r.text(sraw.get("comment"), jp(spath, "comment")) or "",
            )
        )
    guideline.designated_sections.setdefault(project, {})[status] = ProjectSections(
        project=project,
        status=status,
        guidance=r.text(raw.get("guidance"), jp(path, "guidance")) or "",
        comment=r.text(raw.get("comment"), jp(path, "comment")) or "",
        sections=tuple(sections),
        json_path=path,
    )
