"""The provenance check: does an installation run the upstream code of the designated sections?

For each project with named sections in the guideline: find its installed distributions, get
the upstream release of each installed version, compare every file by sha256, and put every file
into a section through the project's section map.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

from defcore.errors import SectionsError, UpstreamUnavailable
from defcore.guidelines.model import STATUS_ORDER, Guideline, Section, Status
from defcore.guidelines.sources import load
from defcore.sections.compare import compare_file
from defcore.sections.installed import (
    InstalledDistribution,
    current_site_dirs,
    find_distribution,
    site_dirs_of,
)
from defcore.sections.maps import DEFAULT_NAME, SectionMap, Series, load_map
from defcore.sections.report import (
    DistributionResult,
    ProjectResult,
    ProjectState,
    Report,
    SectionResult,
)
from defcore.sections.upstream import UpstreamFiles, obtain, read_release


@dataclass(frozen=True)
class Options:
    python: str | None = None
    site_packages: tuple[Path, ...] = ()
    releases_dir: Path | None = None
    index: str | None = None
    projects: tuple[str, ...] = ()


def guideline_sections(guideline: Guideline) -> dict[str, list[tuple[Section, Status]]]:
    """Each project's named sections with their status; a name listed twice keeps the first."""
    out: dict[str, list[tuple[Section, Status]]] = {}
    for project, by_status in guideline.designated_sections.items():
        seen: dict[str, tuple[Section, Status]] = {}
        for status in STATUS_ORDER:
            if status in by_status:
                for section in by_status[status].sections:
                    seen.setdefault(section.name, (section, status))
        if seen:
            out[project] = list(seen.values())
    return out


def site_dirs(options: Options) -> tuple[list[Path], str]:
    if options.site_packages:
        missing = [p for p in options.site_packages if not p.is_dir()]
        if missing:
            raise SectionsError(f"--site-packages {missing[0]}: no such directory")
        dirs = [p.resolve() for p in options.site_packages]
        return dirs, "site-packages " + ", ".join(str(p) for p in dirs)
    if options.python:
        return site_dirs_of(options.python), f"python {options.python}"
    return current_site_dirs(), f"python {sys.executable}"


def check(guideline_ref: str, options: Options) -> Report:
    guideline = load(guideline_ref)
    named = guideline_sections(guideline)
    if not named:
        raise SectionsError(f"guideline {guideline.id}: names no designated sections")
    wanted = [p.lower() for p in options.projects]
    unknown = [p for p in wanted if p not in {n.lower() for n in named}]
    if unknown:
        raise SectionsError(
            f"--project {unknown[0]}: guideline {guideline.id} names no sections of it "
            f"(it does of {', '.join(sorted(named))})"
        )
    dirs, environment = site_dirs(options)
    report = Report(guideline.id, str(guideline.path or guideline_ref), environment)
    for project, sections in named.items():
        if wanted and project.lower() not in wanted:
            continue
        report.projects.append(check_project(project, sections, dirs, options))
    return report


def check_project(
    project: str, sections: list[tuple[Section, Status]], dirs: list[Path], options: Options
) -> ProjectResult:
    try:
        section_map = load_map(project)
    except SectionsError as exc:
        return ProjectResult(project, ProjectState.UNVERIFIED, str(exc))
    primary = section_map.distributions[0]
    found = find_distribution(primary.name, primary.packages, dirs)
    if found is None:
        return ProjectResult(
            project,
            ProjectState.NOT_INSTALLED,
            f"{project}: distribution {primary.name} is not installed",
            map_source=section_map.source,
        )
    series = section_map.series_for(found.version)
    if series is None:
        return ProjectResult(
            project,
            ProjectState.UNVERIFIED,
            f"{project} {found.version}: the section map has no release series for it",
            map_source=section_map.source,
        )
    result = ProjectResult(
        project,
        ProjectState.CHECKED,
        map_source=section_map.source,
        series=series.layout,
        series_versions=series.versions_text,
    )
    installed: list[InstalledDistribution] = [found]
    for dist in section_map.distributions[1:]:
        other = find_distribution(dist.name, dist.packages, dirs)
        if other is None and dist.optional:
            continue
        if other is None:
            result.state = ProjectState.UNVERIFIED
            result.message = f"{project}: distribution {dist.name} is not installed"
            return result
        installed.append(other)
    pairs: list[tuple[InstalledDistribution, UpstreamFiles]] = []
    for dist_found in installed:
        record = DistributionResult(dist_found.name, dist_found.version, str(dist_found.site_dir))
        result.distributions.append(record)
        try:
            release = obtain(
                dist_found.name, dist_found.version, options.releases_dir, options.index
            )
        except UpstreamUnavailable as exc:
            result.state = ProjectState.UNVERIFIED
            result.message = str(exc)
            return result
        upstream = read_release(release, dist_found.packages)
        record.upstream_file = release.path.name
        record.upstream_kind = release.kind
        record.upstream_origin = release.origin
        record.upstream_url = release.url
        record.upstream_sha256 = _sha256(release.path)
        pairs.append((dist_found, upstream))
    result.sections = compare_sections(section_map, series, sections, pairs)
    return result


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def compare_sections(
    section_map: SectionMap,
    series: Series,
    sections: list[tuple[Section, Status]],
    pairs: list[tuple[InstalledDistribution, UpstreamFiles]],
) -> list[SectionResult]:
    by_name: dict[str, SectionResult] = {}
    listed = {s.name for s, _ in sections}
    for section, status in sections:
        entry = series.entry(section.name)
        by_name[section.name] = SectionResult(
            name=section.name,
            kind="guideline",
            designated=section.designated,
            status=status.value,
            description=section.description,
            unmappable=entry.unmappable if entry else "the section map has no entry for it",
            patterns=entry.paths if entry else (),
        )
    for entry in series.entries:
        if entry.is_group:
            by_name[entry.name] = SectionResult(
                name=entry.name,
                kind="group",
                designated=bool(entry.designated),
                reason=entry.reason,
                patterns=entry.paths,
            )
    default = SectionResult(
        name=DEFAULT_NAME,
        kind="default",
        designated=section_map.default_designated,
        reason=section_map.default_reason,
    )
    for installed, upstream in pairs:
        on_disk = installed.files()
        for path in sorted(set(on_disk) | set(upstream.files)):
            # An sdist carries files a build does not install; only missing code counts.
            sdist_only = upstream.release.kind == "sdist" and path not in on_disk
            if sdist_only and not path.endswith(".py"):
                continue
            entry = series.classify(path)
            # An entry for a section this guideline does not name counts as the default.
            if entry is not None and (entry.is_group or entry.name in listed):
                target = by_name[entry.name]
            else:
                target = default
            target.add(
                compare_file(
                    path,
                    upstream.files.get(path),
                    on_disk.get(path),
                    upstream.read,
                    installed.read,
                    want_diff=target.designated,
                )
            )
    # Guideline sections always show; map groups and the default only when they hold files.
    results = [r for r in by_name.values() if r.kind == "guideline" or r.total_files]
    if default.total_files:
        results.append(default)
    return results
