"""The result of a designated-sections check and its JSON document.

The JSON document (`"format": "defcore-sections-report"`, `"version": 1`) is what the results
server stores beside a product's test results; `to_json` writes it and `verdict_of` reads the
verdict back from a stored one. Paths in it are package-relative (`keystone/api/auth.py`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from defcore import __version__
from defcore.sections.compare import STATES, FileComparison, FileState

FORMAT = "defcore-sections-report"
FORMAT_VERSION = 1


class ProjectState(StrEnum):
    CHECKED = "checked"
    NOT_INSTALLED = "not-installed"
    UNVERIFIED = "unverified"  # installed, but no upstream release or no map to compare with


class SectionVerdict(StrEnum):
    UNCHANGED = "unchanged"
    MODIFIED = "modified"  # a designated section's upstream file changed or is missing
    ADDED = "added"  # a designated section has files upstream does not (listed, not a failure)
    ALLOWED = "allowed"  # a non-designated section changed: allowed by the guideline
    UNMAPPABLE = "unmappable"
    NO_FILES = "no files"


@dataclass
class SectionResult:
    name: str
    kind: str  # "guideline", "group" (a map group) or "default" (files in no section)
    designated: bool
    status: str | None = None  # the guideline status the section is listed under
    description: str = ""
    reason: str = ""  # why a map group or the default is (not) designated
    unmappable: str | None = None
    patterns: tuple[str, ...] = ()
    counts: dict[str, int] = field(default_factory=lambda: {s.value: 0 for s in STATES})
    lines: int = 0
    changed_lines: int = 0
    files: list[FileComparison] = field(default_factory=list)  # every file not unchanged

    def add(self, result: FileComparison) -> None:
        self.counts[result.state.value] += 1
        self.lines += result.lines
        self.changed_lines += result.changed_lines
        if result.state is not FileState.UNCHANGED:
            self.files.append(result)

    @property
    def total_files(self) -> int:
        return sum(self.counts.values())

    @property
    def distance(self) -> float:
        return self.changed_lines / self.lines if self.lines else 0.0

    @property
    def verdict(self) -> SectionVerdict:
        if self.unmappable:
            return SectionVerdict.UNMAPPABLE
        if not self.total_files:
            return SectionVerdict.NO_FILES
        changed = self.counts[FileState.MODIFIED] + self.counts[FileState.MISSING]
        if not changed and not self.counts[FileState.ADDED]:
            return SectionVerdict.UNCHANGED
        if not self.designated:
            return SectionVerdict.ALLOWED
        return SectionVerdict.MODIFIED if changed else SectionVerdict.ADDED

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "designated": self.designated,
            "status": self.status,
            "verdict": self.verdict.value,
            "description": self.description,
            "reason": self.reason,
            "unmappable": self.unmappable,
            "patterns": list(self.patterns),
            "counts": dict(self.counts),
            "lines": self.lines,
            "changed_lines": self.changed_lines,
            "distance": round(self.distance, 6),
            "files": [
                {
                    "path": f.path,
                    "state": f.state.value,
                    "lines": f.lines,
                    "changed_lines": f.changed_lines,
                    **({"diff": f.diff} if f.diff is not None else {}),
                }
                for f in self.files
            ],
        }


@dataclass
class DistributionResult:
    name: str
    version: str
    site_dir: str
    upstream_file: str | None = None
    upstream_kind: str | None = None  # "wheel" or "sdist"
    upstream_origin: str | None = None  # "releases-dir", "cache" or "index"
    upstream_url: str | None = None
    upstream_sha256: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "site_dir": self.site_dir,
            "upstream": {
                "file": self.upstream_file,
                "kind": self.upstream_kind,
                "origin": self.upstream_origin,
                "url": self.upstream_url,
                "sha256": self.upstream_sha256,
            }
            if self.upstream_file
            else None,
        }


@dataclass
class ProjectResult:
    project: str
    state: ProjectState
    message: str = ""
    map_source: str = ""
    series: str = ""  # the release series' layout, as the map describes it
    series_versions: str = ""
    distributions: list[DistributionResult] = field(default_factory=list)
    sections: list[SectionResult] = field(default_factory=list)

    @property
    def designated_lines(self) -> int:
        return sum(s.lines for s in self.sections if s.designated)

    @property
    def designated_changed_lines(self) -> int:
        return sum(s.changed_lines for s in self.sections if s.designated)

    @property
    def distance(self) -> float:
        """Changed lines in designated sections / upstream lines in designated sections."""
        lines = self.designated_lines
        return self.designated_changed_lines / lines if lines else 0.0

    @property
    def failed(self) -> bool:
        return any(s.verdict is SectionVerdict.MODIFIED for s in self.sections)

    def counts(self) -> dict[str, int]:
        totals = {s.value: 0 for s in STATES}
        for section in self.sections:
            for key, value in section.counts.items():
                totals[key] += value
        return totals

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "state": self.state.value,
            "message": self.message,
            "map": self.map_source,
            "series": {"versions": self.series_versions, "layout": self.series},
            "distributions": [d.to_json() for d in self.distributions],
            "failed": self.failed,
            "distance": round(self.distance, 6),
            "designated_lines": self.designated_lines,
            "designated_changed_lines": self.designated_changed_lines,
            "counts": self.counts(),
            "sections": [s.to_json() for s in self.sections],
        }


class Verdict(StrEnum):
    PASS = "pass"  # every checked designated section is unchanged
    FAIL = "fail"  # a designated section was modified
    INCOMPLETE = "incomplete"  # nothing failed, but a project could not be verified


EXIT_CODES = {Verdict.PASS: 0, Verdict.FAIL: 1, Verdict.INCOMPLETE: 2}


@dataclass
class Report:
    guideline: str
    guideline_file: str
    environment: str  # the --python, --site-packages or running interpreter checked
    projects: list[ProjectResult] = field(default_factory=list)
    generated_at: str = field(
        default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    )

    @property
    def verdict(self) -> Verdict:
        if any(p.failed for p in self.projects):
            return Verdict.FAIL
        if any(p.state is ProjectState.UNVERIFIED for p in self.projects):
            return Verdict.INCOMPLETE
        return Verdict.PASS

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    def project(self, name: str) -> ProjectResult:
        return next(p for p in self.projects if p.project == name)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "generator": f"defcore {__version__}",
            "generated_at": self.generated_at,
            "guideline": {"id": self.guideline, "file": self.guideline_file},
            "environment": self.environment,
            "verdict": self.verdict.value,
            "projects": [p.to_json() for p in self.projects],
        }


def verdict_of(document: dict[str, Any]) -> str:
    """The verdict of a stored report document, checking that it is one."""
    if document.get("format") != FORMAT or document.get("version") != FORMAT_VERSION:
        raise ValueError(f"not a {FORMAT} version {FORMAT_VERSION} document")
    return str(document["verdict"])
