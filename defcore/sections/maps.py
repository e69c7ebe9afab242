"""Section maps: which files of a project implement each section the guidelines name.

One YAML file per project in `defcore/sections/maps/`, written from the project's source layout.
A map lists the project's distributions (with the import packages compared) and, per release
series (a version specifier on the first distribution), the sections in order; a file belongs
to the first section with a matching glob, else to the map's default. Three kinds of entries:

- a guideline section ("auth (v3) API"): `paths`; designated or not is the guideline's word;
- a map group, named in parentheses ("(tests)"): `paths`, plus `designated` and a `reason`;
- an unmappable guideline section: `unmappable: <reason>` and no paths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from defcore.errors import SectionsError

MAPS_PACKAGE = "defcore.sections"
MAPS_DIR = "maps"


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A path glob as a regex: `**` spans directories, `*` and `?` stay inside one."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


@dataclass(frozen=True)
class MapEntry:
    """One section (or map group) of a series and the globs of the files that implement it."""

    name: str
    paths: tuple[str, ...] = ()
    unmappable: str | None = None
    # Only map groups say this; a guideline section's designation comes from the guideline.
    designated: bool | None = None
    reason: str = ""

    @property
    def is_group(self) -> bool:
        return self.name.startswith("(")

    def matches(self, path: str) -> bool:
        return any(_compiled(p).match(path) for p in self.paths)


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return glob_regex(pattern)


@dataclass(frozen=True)
class Series:
    """The layout of a range of releases."""

    # Alternatives: a version is in the series when it is in any of them (the date-based
    # versions up to Kilo, 2015.1.x, sort above later ones such as 12.0.0).
    versions: tuple[SpecifierSet, ...]
    layout: str
    entries: tuple[MapEntry, ...]

    def contains(self, version: Version) -> bool:
        return any(s.contains(version, prereleases=True) for s in self.versions)

    @property
    def versions_text(self) -> str:
        return " or ".join(str(s) or "any" for s in self.versions)

    def entry(self, name: str) -> MapEntry | None:
        return next((e for e in self.entries if e.name == name), None)

    def classify(self, path: str) -> MapEntry | None:
        """The first entry whose globs match the path, or None for the map's default."""
        return next((e for e in self.entries if e.paths and e.matches(path)), None)


@dataclass(frozen=True)
class Distribution:
    """A PyPI distribution of the project and the import packages whose files are compared."""

    name: str
    packages: tuple[str, ...]
    optional: bool = False  # a secondary distribution older releases did not have


@dataclass(frozen=True)
class SectionMap:
    project: str
    distributions: tuple[Distribution, ...]
    default_designated: bool
    default_reason: str
    series: tuple[Series, ...]
    source: str = ""

    def series_for(self, version: str) -> Series | None:
        parsed = Version(version)
        return next((s for s in self.series if s.contains(parsed)), None)


DEFAULT_NAME = "(rest of the project)"


def map_names() -> list[str]:
    """Projects that have a map."""
    folder = resources.files(MAPS_PACKAGE).joinpath(MAPS_DIR)
    return sorted(Path(item.name).stem for item in folder.iterdir() if item.name.endswith(".yaml"))


def load_map(project: str) -> SectionMap:
    """The packaged map of a project (`keystone`), or SectionsError if there is none."""
    item = resources.files(MAPS_PACKAGE).joinpath(MAPS_DIR, f"{project.lower()}.yaml")
    if not item.is_file():
        raise SectionsError(f"{project}: no section map (defcore/sections/maps/{project}.yaml)")
    return parse_map(item.read_text(encoding="utf-8"), f"maps/{project.lower()}.yaml")


def parse_map(text: str, source: str) -> SectionMap:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SectionsError(f"{source}: not valid YAML: {' '.join(str(exc).split())}") from None
    data = _mapping(raw, source, "$")
    dists = tuple(
        Distribution(
            _str(d, source, f"distributions[{i}]", "name"),
            tuple(_strs(d, source, f"distributions[{i}]", "packages")),
            optional=bool(d.get("optional", False)),
        )
        for i, d in enumerate(_list(data, source, "$", "distributions"))
    )
    if not dists:
        raise SectionsError(f"{source}: distributions: at least one is needed")
    default = _mapping(data.get("default"), source, "default")
    series = tuple(_series(s, source, i) for i, s in enumerate(_list(data, source, "$", "series")))
    return SectionMap(
        project=_str(data, source, "$", "project"),
        distributions=dists,
        default_designated=bool(default.get("designated")),
        default_reason=str(default.get("reason", "")).strip(),
        series=series,
        source=source,
    )


def _series(raw: Any, source: str, index: int) -> Series:
    where = f"series[{index}]"
    data = _mapping(raw, source, where)
    raw_versions = data.get("versions", "")
    alternatives = raw_versions if isinstance(raw_versions, list) else [raw_versions]
    try:
        versions = tuple(SpecifierSet(str(v)) for v in alternatives)
    except InvalidSpecifier:
        raise SectionsError(f"{source}: {where}.versions: not a version specifier") from None
    entries: list[MapEntry] = []
    for j, e in enumerate(_list(data, source, where, "sections")):
        ewhere = f"{where}.sections[{j}]"
        entry = _mapping(e, source, ewhere)
        name = _str(entry, source, ewhere, "name")
        paths = tuple(_strs(entry, source, ewhere, "paths")) if "paths" in entry else ()
        unmappable = entry.get("unmappable")
        if bool(paths) == bool(unmappable):
            raise SectionsError(f"{source}: {ewhere} ({name}): give either paths or unmappable")
        designated = entry.get("designated")
        if name.startswith("(") and not isinstance(designated, bool):
            raise SectionsError(f"{source}: {ewhere} ({name}): a map group must say designated")
        entries.append(
            MapEntry(
                name=name,
                paths=paths,
                unmappable=" ".join(str(unmappable).split()) if unmappable else None,
                designated=designated if isinstance(designated, bool) else None,
                reason=" ".join(str(entry.get("reason", "")).split()),
            )
        )
    return Series(versions, " ".join(str(data.get("layout", "")).split()), tuple(entries))


def _mapping(raw: Any, source: str, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise SectionsError(f"{source}: {where}: expected a mapping")
    return raw


def _list(data: dict[str, Any], source: str, where: str, key: str) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list):
        raise SectionsError(f"{source}: {where}.{key}: expected a list")
    return value


def _str(data: dict[str, Any], source: str, where: str, key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise SectionsError(f"{source}: {where}.{key}: expected a string")
    return value


def _strs(data: dict[str, Any], source: str, where: str, key: str) -> list[str]:
    values = _list(data, source, where, key)
    if not values or not all(isinstance(v, str) and v for v in values):
        raise SectionsError(f"{source}: {where}.{key}: expected a list of strings")
    return values
