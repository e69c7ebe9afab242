"""Guidelines against the projects.yaml of their time: every project approved; made-up ones not."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from defcore.cli import cli
from defcore.governance.check import check_alignment, project_of
from defcore.governance.projects import load_projects
from defcore.guidelines.findings import Severity
from defcore.guidelines.loader import load_file
from defcore.guidelines.model import Capability, Component, Guideline, Status
from defcore.guidelines.sources import load
from defcore.guidelines.writer import to_json

# The guidelines in force at each file's date (there is no 2015.07 guideline: 2015.04 and
# 2016.01 were the ones around July 2015).
IN_FORCE = [
    ("2015.03", "projects.2015-01-28.yaml"),
    ("2015.04", "projects.2015-01-28.yaml"),
    ("2015.04", "projects.2015-07-28.yaml"),
    ("2016.01", "projects.2015-07-28.yaml"),
    ("2018.02", "projects.2018-05-02.yaml"),
    ("dns.2018.02", "projects.2018-05-02.yaml"),
    ("orchestration.2018.11", "projects.2018-05-02.yaml"),
]


@pytest.mark.parametrize(("ref", "file"), IN_FORCE)
def test_every_project_of_the_guidelines_then_is_approved(
    ref: str, file: str, governance_dir: Path
) -> None:
    guideline = load(ref)
    projects = load_projects(governance_dir / file)
    listed = {
        name
        for status in (Status.REQUIRED, Status.ADVISORY, Status.DEPRECATED)
        for name in guideline.capabilities_with_status(status)
    }
    assert listed
    for name in listed:
        project = project_of(guideline, name)
        assert project is not None, name
        deliverable = projects.resolve(project)
        assert deliverable is not None and deliverable.approved, (name, project)
    findings = check_alignment(guideline, projects)
    assert [f.line() for f in findings if f.severity is not Severity.INFO] == []


def test_approved_projects_without_capability_are_info(governance_dir: Path) -> None:
    findings = check_alignment(
        load("2018.02"), load_projects(governance_dir / "projects.2018-05-02.yaml")
    )
    named = {
        f.message.split(" ", 1)[0] for f in findings if f.code == "approved-without-capability"
    }
    # heat, horizon and ceilometer have (informational) designated sections in 2018.02.
    assert named == {"designate", "ironic", "sahara", "trove"}
    assert {f.severity for f in findings} == {Severity.INFO}


def _with_made_up_capability(guideline: Guideline, project: str) -> Guideline:
    compute = guideline.components["os_powered_compute"]
    capabilities = dict(compute.capabilities)
    capabilities[Status.ADVISORY] = (*capabilities.get(Status.ADVISORY, ()), "made-up-thing")
    template = guideline.capabilities["compute-servers-create"]
    made_up = Capability(
        "made-up-thing", template.tests[:1], "made up", project, False, template.achievements
    )
    return replace(
        guideline,
        components={**guideline.components, compute.name: Component(compute.name, capabilities)},
        capabilities={**guideline.capabilities, "made-up-thing": made_up},
    )


def test_a_made_up_capability_of_an_unapproved_project_is_reported(
    governance_dir: Path,
) -> None:
    guideline = _with_made_up_capability(load("2018.02"), "designate")
    old = load_projects(governance_dir / "projects.2015-07-28.yaml")
    errors = [f for f in check_alignment(guideline, old) if f.severity is Severity.ERROR]
    assert [(f.code, f.path) for f in errors if "made-up-thing" in f.path] == [
        ("project-not-approved", '$.capabilities["made-up-thing"].project')
    ]
    # Designated sections of heat/horizon/ceilometer are fine in 2015-07 too; only the
    # made-up capability fails.
    assert len(errors) == 1
    unknown = _with_made_up_capability(load("2018.02"), "no-such-project")
    found = check_alignment(unknown, old)
    assert [f.code for f in found if f.severity is Severity.ERROR] == ["project-unknown"]


def test_dns_add_on_against_2015(governance_dir: Path) -> None:
    findings = check_alignment(
        load("dns.2018.02"), load_projects(governance_dir / "projects.2015-07-28.yaml")
    )
    errors = sorted(f.path for f in findings if f.severity is Severity.ERROR)
    assert errors == [
        '$.capabilities["dns-record-crud"].project',
        '$.capabilities["dns-zone-crud"].project',
        "$.designated_sections.designate.required",
    ]


def test_governance_check_command_defaults_to_the_newest_file() -> None:
    result = CliRunner().invoke(cli, ["governance", "check", "2018.02", "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["projects"].endswith("projects.2018-05-02.yaml")
    assert document["format"] == "2016-11"
    assert document["summary"] == {"error": 0, "warning": 0, "info": 4}


def test_governance_check_command_as_a_real_process(
    governance_dir: Path, interop_data: Path, tmp_path: Path
) -> None:
    made_up = _with_made_up_capability(load("2018.02"), "designate")
    path = tmp_path / "2018.02.json"
    path.write_text(json.dumps(to_json(made_up)))
    assert load_file(path).capabilities["made-up-thing"].project == "designate"
    env = {**os.environ, "DEFCORE_GOVERNANCE": str(governance_dir)}
    old = governance_dir / "projects.2015-07-28.yaml"
    done = subprocess.run(
        [sys.executable, "-m", "defcore", "governance", "check", str(path), "--projects", str(old)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "made-up-thing" in done.stdout and "[project-not-approved]" in done.stdout
    broken = tmp_path / "projects.yaml"
    broken.write_text("nova:\n  deliverables:\n    nova: [\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "defcore",
            "governance",
            "check",
            "2018.02",
            "--projects",
            str(broken),
        ],
        capture_output=True,
        text=True,
        env={**env, "DEFCORE_GUIDELINES": str(interop_data)},
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: {broken}:4:1: not valid YAML:")
    assert done.stderr.count("\n") == 1
