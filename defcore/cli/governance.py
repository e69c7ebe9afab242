"""`defcore governance check GUIDELINE [--projects FILE]`: is a guideline in step with the TC?"""

from __future__ import annotations

import json
from pathlib import Path

import click

from defcore.governance.check import check_alignment
from defcore.governance.projects import load_projects, newest_projects_file
from defcore.guidelines.findings import Severity, has_errors
from defcore.guidelines.sources import load


@click.group()
def governance() -> None:
    """Alignment with the Technical Committee's projects.yaml."""


@governance.command("check")
@click.argument("ref", metavar="GUIDELINE")
@click.option(
    "--projects",
    "projects_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The TC's projects.yaml (default: the newest in $DEFCORE_GOVERNANCE).",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def check(ctx: click.Context, ref: str, projects_file: Path | None, fmt: str) -> None:
    """Report capabilities and designated sections of projects not approved for the release,
    and approved projects with no capability (info). Exit 1 on any error."""
    projects = load_projects(projects_file or newest_projects_file())
    guideline = load(ref)
    findings = check_alignment(guideline, projects)
    counts = {s.value: sum(f.severity is s for f in findings) for s in Severity}
    if fmt == "json":
        document = {
            "guideline": guideline.id,
            "projects": projects.file,
            "format": projects.format.value,
            "approved": [d.as_dict() for d in projects.approved()],
            "findings": [f.as_dict() for f in findings],
            "summary": counts,
        }
        click.echo(json.dumps(document, indent=2))
    else:
        for finding in findings:
            click.echo(finding.line())
        click.echo(
            f"{guideline.id} against {projects.file} ({projects.format.value} format, "
            f"{len(projects.approved())} approved): {counts['error']} errors, "
            f"{counts['warning']} warnings, {counts['info']} info",
            err=True,
        )
    ctx.exit(1 if has_errors(findings) else 0)
