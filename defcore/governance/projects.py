"""The TC's `reference/projects.yaml`, in every format it has had.

- `2015-01`: teams with `projects: [{repo, tags: [{name, since}]}]`; approved are the repos
  tagged `integrated-release`;
- `2015-07`: teams with `deliverables: {name: {repos, tags}}`; approved are the deliverables
  tagged `tc-approved-release`;
- `2016-11`: the same, the tag renamed `tc:approved-release`;
- `2020`: the same without any approved-release tag: every official deliverable is approved
  (TC resolution of 2020-09), except those marked `deprecated`.

The format is told from the data: `projects` lists mean 2015-01; deliverables carrying either
approved-release tag mean 2015-07 or 2016-11; deliverables with no such tag anywhere mean the
tag-free format. Fields newer files add (`leadership_type`, `liaisons`, `release-management`,
`deprecated`, a `ptl` mapping) are read or ignored. A 2015-01 repo is a deliverable named after
the repository (`openstack/nova` -> `nova`).

Errors are one line: a YAML syntax error names file, line and column; a file in no known format
names the file, the team and its line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from defcore.errors import GovernanceError

INTEGRATED = "integrated-release"
APPROVED_2015 = "tc-approved-release"
APPROVED_2016 = "tc:approved-release"


class Format(StrEnum):
    REPOS = "2015-01"
    DELIVERABLES = "2015-07"
    RENAMED_TAG = "2016-11"
    TAG_FREE = "2020"


@dataclass(frozen=True)
class Deliverable:
    team: str
    name: str
    repos: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    approved: bool = False
    deprecated: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "team": self.team,
            "deliverable": self.name,
            "repos": list(self.repos),
            "approved": self.approved,
        }


@dataclass
class Projects:
    """One projects.yaml: its format and every team's deliverables."""

    file: str
    format: Format
    teams: dict[str, tuple[Deliverable, ...]] = field(default_factory=dict)

    @property
    def deliverables(self) -> list[Deliverable]:
        return [d for ds in self.teams.values() for d in ds]

    def approved(self) -> list[Deliverable]:
        return [d for d in self.deliverables if d.approved]

    def resolve(self, project: str) -> Deliverable | None:
        """The deliverable a guideline's project name means: by deliverable name, then by
        repository (`openstack/NAME` or any repo named NAME), then by team name (its
        deliverable of the same name, else its only approved one). Case does not matter."""
        want = project.strip().casefold()
        if not want:
            return None
        for d in self.deliverables:
            if d.name.casefold() == want:
                return d
        for d in self.deliverables:
            if any(r.casefold().rsplit("/", 1)[-1] == want for r in d.repos):
                return d
        for team, ds in self.teams.items():
            if team.casefold() == want:
                approved = [d for d in ds if d.approved]
                return approved[0] if len(approved) == 1 else (ds[0] if ds else None)
        return None


def governance_dir() -> Path | None:
    value = os.environ.get("DEFCORE_GOVERNANCE")
    return Path(value) if value and Path(value).is_dir() else None


def newest_projects_file(directory: Path | None = None) -> Path:
    """The newest projects*.yaml in the directory ($DEFCORE_GOVERNANCE): dated names sort."""
    directory = directory or governance_dir()
    if directory is None:
        raise GovernanceError(
            "no projects.yaml given and no governance directory: set DEFCORE_GOVERNANCE or "
            "pass --projects"
        )
    files = sorted(p for p in directory.glob("projects*.yaml") if p.is_file())
    if not files:
        raise GovernanceError(f"{directory}: no projects*.yaml file in the directory")
    return files[-1]


def load_projects(path: Path) -> Projects:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise GovernanceError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise GovernanceError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    return parse_projects(text, str(path))


def parse_projects(text: str, file: str = "<projects.yaml>") -> Projects:
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{file}:{mark.line + 1}:{mark.column + 1}" if mark else file
        problem = " ".join(str(exc.problem or exc.context or "syntax error").split())
        raise GovernanceError(f"{where}: not valid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise GovernanceError(f"{file}: not valid YAML: {' '.join(str(exc).split())}") from None
    if not isinstance(data, dict) or not data:
        found = "an empty file" if not data else type(data).__name__
        raise GovernanceError(
            f"{file}: unknown projects.yaml format: expected a mapping of team names, found {found}"
        )
    lines = _key_lines(text)
    shapes: dict[str, str] = {}
    for team, body in data.items():
        where = f"{file}:{lines.get(str(team), '?')}"
        if not isinstance(body, dict):
            raise GovernanceError(
                f"{where}: unknown projects.yaml format: team {team!r} is a "
                f"{type(body).__name__}, not a mapping"
            )
        has = [key for key in ("projects", "deliverables") if key in body]
        if len(has) != 1:
            what = (
                "both 'projects' and 'deliverables'"
                if has
                else "neither 'projects' nor 'deliverables'"
            )
            raise GovernanceError(
                f"{where}: unknown projects.yaml format: team {team!r} has {what}"
            )
        shapes[str(team)] = has[0]
    if len(set(shapes.values())) > 1:
        old = next(t for t, s in shapes.items() if s == "projects")
        new = next(t for t, s in shapes.items() if s == "deliverables")
        raise GovernanceError(
            f"{file}: unknown projects.yaml format: team {old!r} lists 'projects' (2015-01) "
            f"but team {new!r} lists 'deliverables' (2015-07 on)"
        )
    if "projects" in shapes.values():
        return _parse_repos(data, file, lines)
    return _parse_deliverables(data, file, lines)


def _parse_repos(data: dict[str, Any], file: str, lines: dict[str, int]) -> Projects:
    projects = Projects(file, Format.REPOS)
    for team, body in data.items():
        where = f"{file}:{lines.get(str(team), '?')}: team {team!r}"
        entries = body.get("projects")
        if not isinstance(entries, list):
            raise GovernanceError(f"{where}: 'projects' is not a list")
        out = []
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("repo"), str):
                raise GovernanceError(f"{where}: a project without a 'repo' name: {entry!r}")
            repo = entry["repo"]
            tags = _tags(entry.get("tags"), where)
            out.append(
                Deliverable(
                    str(team), repo.rsplit("/", 1)[-1], (repo,), tags, approved=INTEGRATED in tags
                )
            )
        projects.teams[str(team)] = tuple(out)
    return projects


def _parse_deliverables(data: dict[str, Any], file: str, lines: dict[str, int]) -> Projects:
    parsed: dict[str, list[tuple[str, tuple[str, ...], tuple[str, ...], bool]]] = {}
    seen_tags: set[str] = set()
    for team, body in data.items():
        where = f"{file}:{lines.get(str(team), '?')}: team {team!r}"
        deliverables = body.get("deliverables") or {}
        if not isinstance(deliverables, dict):
            raise GovernanceError(f"{where}: 'deliverables' is not a mapping")
        rows = []
        for name, raw in deliverables.items():
            raw = raw or {}
            if not isinstance(raw, dict):
                raise GovernanceError(f"{where}: deliverable {name!r} is not a mapping")
            repos = raw.get("repos") or []
            if not isinstance(repos, list) or not all(isinstance(r, str) for r in repos):
                raise GovernanceError(f"{where}: deliverable {name!r}: 'repos' is not a list")
            tags = _tags(raw.get("tags"), f"{where}: deliverable {name!r}")
            seen_tags.update(tags)
            management = raw.get("release-management")
            deprecated = bool(raw.get("deprecated")) or management == "deprecated"
            rows.append((str(name), tuple(repos), tags, deprecated))
        parsed[str(team)] = rows
    if APPROVED_2016 in seen_tags:
        fmt, tag = Format.RENAMED_TAG, APPROVED_2016
    elif APPROVED_2015 in seen_tags:
        fmt, tag = Format.DELIVERABLES, APPROVED_2015
    else:
        fmt, tag = Format.TAG_FREE, ""
    projects = Projects(file, fmt)
    for team, rows in parsed.items():
        projects.teams[team] = tuple(
            Deliverable(
                team,
                name,
                repos,
                tags,
                approved=(tag in tags) if tag else not deprecated,
                deprecated=deprecated,
            )
            for name, repos, tags, deprecated in rows
        )
    return projects


def _tags(value: Any, where: str) -> tuple[str, ...]:
    """Tags as names: 2015-01 writes `{name, since}` mappings, later files plain strings."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise GovernanceError(f"{where}: 'tags' is not a list")
    out = []
    for tag in value:
        if isinstance(tag, str):
            out.append(tag)
        elif isinstance(tag, dict) and isinstance(tag.get("name"), str):
            out.append(tag["name"])
        else:
            raise GovernanceError(
                f"{where}: a tag that is neither a name nor {{name: ...}}: {tag!r}"
            )
    return tuple(out)


def _key_lines(text: str) -> dict[str, int]:
    """Top-level key -> its line number, for messages (unquoted keys only; cheap and enough)."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if (
            line
            and not line[0].isspace()
            and not line.startswith(("#", "-", "---"))
            and ":" in line
        ):
            lines.setdefault(line.split(":", 1)[0].strip().strip("'\""), number)
    return lines
