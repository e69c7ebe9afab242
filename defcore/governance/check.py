"""Is a guideline in step with the TC? Its projects against a projects.yaml.

`check_alignment(guideline, projects)` returns findings pointing into the guideline:

- `project-not-approved` (error; a warning for deprecated or informational entries): a
  capability some component lists, or a designated-sections entry, whose project is official
  but not approved for the release;
- `project-unknown` (same severities): its project is no deliverable, repository or team of
  projects.yaml;
- `capability-no-project` (warning): a listed capability names no project and none can be told
  from its name;
- `approved-without-capability` (info): an approved deliverable of a team that no listed
  capability or designated-sections entry belongs to: a candidate for the committee.

Removed capabilities and designated sections listed as removed are not checked: they are no
longer part of the guideline. A capability without a `project` (schema 1.0) is given one from
its name's first word (compute -> nova, objectstore -> swift, ...).
"""

from __future__ import annotations

from defcore.governance.projects import Deliverable, Projects
from defcore.guidelines.check import capability_path, file_of, is_v2
from defcore.guidelines.findings import Finding, Severity
from defcore.guidelines.jsonpath import jp
from defcore.guidelines.model import Guideline, Status

# What a capability's name prefix means when it names no project (legacy schema 1.0 files).
NAME_PREFIXES = {
    "compute": "nova",
    "identity": "keystone",
    "images": "glance",
    "volumes": "cinder",
    "volume": "cinder",
    "networks": "neutron",
    "network": "neutron",
    "objectstore": "swift",
    "dns": "designate",
    "orchestration": "heat",
    "stack": "heat",
}
_CHECKED = (Status.REQUIRED, Status.ADVISORY, Status.DEPRECATED, Status.INFORMATIONAL)
_SOFT = (Status.DEPRECATED, Status.INFORMATIONAL)


def project_of(guideline: Guideline, capability: str) -> str | None:
    defined = guideline.capabilities.get(capability)
    if defined is not None and defined.project:
        return defined.project
    return NAME_PREFIXES.get(capability.split("-", 1)[0].lower())


def check_alignment(guideline: Guideline, projects: Projects) -> list[Finding]:
    file = file_of(guideline)
    findings: list[Finding] = []
    used_teams: set[str] = set()

    def judge(project: str, status: Status, path: str, what: str) -> None:
        deliverable = projects.resolve(project)
        severity = Severity.WARNING if status in _SOFT else Severity.ERROR
        if deliverable is None:
            findings.append(
                Finding(
                    file,
                    path,
                    severity,
                    "project-unknown",
                    f"{what} ({status}): project {project!r} is no official deliverable, "
                    f"repository or team in {projects.file}",
                )
            )
            return
        used_teams.add(deliverable.team)
        if not deliverable.approved:
            findings.append(
                Finding(
                    file,
                    path,
                    severity,
                    "project-not-approved",
                    f"{what} ({status}): project {project!r} ({_where(deliverable)}) is not "
                    f"approved for the release in {projects.file}",
                )
            )

    seen: set[str] = set()
    for status in _CHECKED:
        for name in guideline.capabilities_with_status(status):
            if name in seen:
                continue
            seen.add(name)
            path = capability_path(guideline, name) or jp("$.capabilities", name)
            project = project_of(guideline, name)
            if project is None:
                findings.append(
                    Finding(
                        file,
                        path,
                        Severity.WARNING,
                        "capability-no-project",
                        f"capability {name!r} names no project",
                    )
                )
                continue
            judge(project, status, jp(path, "project"), f"capability {name!r}")

    sections_key = "$.designated_sections" if is_v2(guideline) else "$.designated-sections"
    for project, statuses in guideline.designated_sections.items():
        for status, entry in statuses.items():
            if status not in _CHECKED:
                continue
            path = entry.json_path or jp(sections_key, project)
            judge(project, status, path, f"designated sections of {project!r}")

    reported: set[str] = set()
    for deliverable in projects.approved():
        if deliverable.team in used_teams or deliverable.team in reported:
            continue
        reported.add(deliverable.team)
        findings.append(
            Finding(
                file,
                "$",
                Severity.INFO,
                "approved-without-capability",
                f"{deliverable.name} ({_where(deliverable)}) is approved for the release, but "
                "no capability or designated section of this guideline is its team's: a "
                "candidate for the committee",
            )
        )
    return findings


def _where(deliverable: Deliverable) -> str:
    repos = ", ".join(deliverable.repos) or "no repository"
    return f"team {deliverable.team}, deliverable {deliverable.name}, {repos}"
