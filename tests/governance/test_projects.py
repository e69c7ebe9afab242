"""projects.yaml in every format: the three real files and a 2020-style sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from defcore.errors import GovernanceError
from defcore.governance.projects import (
    Format,
    load_projects,
    newest_projects_file,
    parse_projects,
)

GUIDELINE_PROJECTS = ["nova", "swift", "keystone", "glance", "cinder", "neutron", "heat", "horizon"]

# A small file in the tag-free format of 2020 on (no approved-release tag anywhere, fields
# that later files added): written here because shared/ holds none.
SAMPLE_2020 = """\
designate:
  ptl:
    name: Some One
    irc: someone
  service: DNS service
  mission: >
    To provide scalable, on demand, self service access to authoritative DNS services.
  url: https://wiki.openstack.org/wiki/Designate
  liaisons:
    release:
      - name: Some One
  deliverables:
    designate:
      repos:
        - openstack/designate
    designate-dashboard:
      repos:
        - openstack/designate-dashboard
    designate-specs:
      release-management: none
      repos:
        - openstack/designate-specs
nova:
  leadership_type: distributed
  service: Compute service
  deliverables:
    nova:
      repos:
        - openstack/nova
    nova-powervm:
      deprecated: '2023.1'
      repos:
        - openstack/nova-powervm
Telemetry:
  service: Telemetry service
  deliverables:
    ceilometer:
      repos:
        - openstack/ceilometer
"""


def test_the_three_real_formats(governance_dir: Path) -> None:
    formats = {
        "projects.2015-01-28.yaml": Format.REPOS,
        "projects.2015-07-28.yaml": Format.DELIVERABLES,
        "projects.2018-05-02.yaml": Format.RENAMED_TAG,
    }
    for name, fmt in formats.items():
        projects = load_projects(governance_dir / name)
        assert projects.format is fmt, name
        for project in GUIDELINE_PROJECTS:
            deliverable = projects.resolve(project)
            assert deliverable is not None and deliverable.approved, (name, project)
            assert f"openstack/{project}" in deliverable.repos
    designate = {
        name: load_projects(governance_dir / name).resolve("designate") for name in formats
    }
    # Designate was official before it was approved for the release (2016).
    assert {n: d.approved for n, d in designate.items() if d} == {
        "projects.2015-01-28.yaml": False,
        "projects.2015-07-28.yaml": False,
        "projects.2018-05-02.yaml": True,
    }


def test_mapping_a_project_to_team_deliverable_and_repo(governance_dir: Path) -> None:
    old = load_projects(governance_dir / "projects.2015-01-28.yaml")
    nova = old.resolve("Nova")
    assert nova is not None and (nova.team, nova.name, nova.repos) == (
        "Nova",
        "nova",
        ("openstack/nova",),
    )
    new = load_projects(governance_dir / "projects.2018-05-02.yaml")
    ceilometer = new.resolve("ceilometer")
    assert ceilometer is not None and ceilometer.team == "Telemetry" and ceilometer.approved
    # By team name, when no deliverable of that name exists.
    telemetry = new.resolve("telemetry")
    assert telemetry is not None and telemetry.name == "ceilometer"
    # By repository: the 2015-07 neutron deliverable holds the *aas repos too.
    mid = load_projects(governance_dir / "projects.2015-07-28.yaml")
    fwaas = mid.resolve("neutron-fwaas")
    assert fwaas is not None and fwaas.name == "neutron" and fwaas.approved
    assert new.resolve("no-such-project") is None


def test_the_tag_free_format(tmp_path: Path) -> None:
    path = tmp_path / "projects.2021-03-01.yaml"
    path.write_text(SAMPLE_2020)
    projects = load_projects(path)
    assert projects.format is Format.TAG_FREE
    approved = {d.name for d in projects.approved()}
    assert approved == {"designate", "designate-dashboard", "designate-specs", "nova", "ceilometer"}
    deprecated = projects.resolve("nova-powervm")
    assert deprecated is not None and deprecated.deprecated and not deprecated.approved


def test_newest_file_in_the_directory(governance_dir: Path, tmp_path: Path) -> None:
    assert newest_projects_file().name == "projects.2018-05-02.yaml"
    with pytest.raises(GovernanceError, match=r"no projects\*\.yaml file"):
        newest_projects_file(tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nova:\n  deliverables:\n    nova: [\n", "p.yaml:4:1: not valid YAML:"),
        ("nova:\n  ptl: x\n bad: indent\n", "p.yaml:3:2: not valid YAML:"),
        ("- a\n- b\n", "p.yaml: unknown projects.yaml format: expected a mapping of team names"),
        ("", "p.yaml: unknown projects.yaml format: expected a mapping of team names, found an"),
        (
            "Nova:\n  ptl: x\nSwift:\n  ptl: y\n  repos: [openstack/swift]\n",
            "p.yaml:1: unknown projects.yaml format: team 'Nova' has neither 'projects' nor",
        ),
        (
            "Nova:\n  projects:\n    - repo: openstack/nova\nswift:\n  deliverables: {}\n",
            "p.yaml: unknown projects.yaml format: team 'Nova' lists 'projects' (2015-01)",
        ),
        ("Nova: 3\n", "p.yaml:1: unknown projects.yaml format: team 'Nova' is a int"),
    ],
)
def test_broken_and_unknown_files_are_one_line(text: str, message: str) -> None:
    with pytest.raises(GovernanceError) as caught:
        parse_projects(text, "p.yaml")
    assert str(caught.value).startswith(message), str(caught.value)
    assert "\n" not in str(caught.value)
