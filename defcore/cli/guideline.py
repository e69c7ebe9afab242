"""`defcore guideline ...`: read, check, lint, list, diff and render guidelines."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from defcore.cli.guideline_check import check, lint
from defcore.guidelines.addons import load_target
from defcore.guidelines.diff import diff
from defcore.guidelines.model import Guideline, SelectedTest, Status, Target
from defcore.guidelines.render import FORMATS, render
from defcore.guidelines.sources import load


@click.group()
def guideline() -> None:
    """Read, check, lint, list, diff and render interop guidelines.

    GUIDELINE arguments are a file, a URL of the official repository's raw files, or an id
    (2020.06, dns.2020.06, newest) looked up in $DEFCORE_GUIDELINES.
    """


_STATUS_CHOICE = click.Choice([s.value for s in Status])


@guideline.command("show")
@click.argument("ref", metavar="GUIDELINE")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def show(ref: str, fmt: str) -> None:
    """Summarise a guideline: targets, components and counts by status."""
    g = load(ref)
    summary = guideline_summary(g)
    if fmt == "json":
        click.echo(json.dumps(summary, indent=2))
        return
    console = Console()
    console.print(f"[bold]{summary['id']}[/] schema {summary['schema']}, {summary['status']}")
    console.print(f"releases: {', '.join(summary['releases']) or '-'}")
    table = Table("component", *[s.value for s in _COUNTED], "tests", "must pass")
    table.columns[0].no_wrap = True
    for name, row in summary["components"].items():
        table.add_row(
            name, *[str(row[s.value]) for s in _COUNTED], str(row["tests"]), str(row["must_pass"])
        )
    console.print(table)
    console.print(
        f"{summary['capabilities']} capabilities, {summary['tests']} tests, "
        f"{summary['flagged']} flagged, {summary['must_pass']} must pass"
    )
    console.print(f"targets: {', '.join(summary['targets'])}")


@guideline.command("tests")
@click.argument("ref", metavar="GUIDELINE")
@click.option("--target", "-t", required=True, help="Platform, add-on or component name.")
@click.option(
    "--status",
    "statuses",
    type=_STATUS_CHOICE,
    multiple=True,
    help="Capability status to include (repeatable; default: required).",
)
@click.option(
    "--flagged",
    type=click.Choice(["include", "exclude", "only"]),
    default="exclude",
    show_default=True,
)
@click.option("--format", "fmt", type=click.Choice(["list", "json"]), default="list")
def tests(ref: str, target: str, statuses: tuple[str, ...], flagged: str, fmt: str) -> None:
    """List a target's tests, one per line as Tempest's --load-list takes them.

    An add-on target with a dated guideline (`2020.06 --target dns`) lists the add-on's file
    of that month (add-ons/dns.2020.06.json)."""
    g, chosen = load_target(ref, target)
    wanted = tuple(Status(s) for s in statuses) or (Status.REQUIRED,)
    selected = g.tests_for(chosen, wanted, flagged)
    if fmt == "json":
        click.echo(json.dumps([_selected_json(s) for s in selected], indent=2))
        return
    seen: set[str] = set()
    for s in selected:
        if s.name not in seen:
            seen.add(s.name)
            click.echo(s.test.load_list_entry)


@guideline.command("diff")
@click.argument("old_ref", metavar="OLD")
@click.argument("new_ref", metavar="NEW")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def diff_command(old_ref: str, new_ref: str, fmt: str) -> None:
    """What changed from OLD to NEW: capabilities, tests, flags, designated sections."""
    old, new = load(old_ref), load(new_ref)
    changes = diff(old, new)
    if fmt == "json":
        click.echo(json.dumps([c.as_dict() for c in changes], indent=2))
        return
    console = Console()
    table = Table("change", "subject", "old", "new", "detail", title=f"{old.id} → {new.id}")
    for c in changes:
        table.add_row(c.kind, c.subject, c.old, c.new, c.detail)
    console.print(table)
    counts = Counter(c.kind for c in changes)
    console.print(", ".join(f"{n} {kind}" for kind, n in counts.items()) or "no changes")


@guideline.command("render")
@click.argument("ref", metavar="GUIDELINE")
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="md")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path))
def render_command(ref: str, fmt: str, output: Path | None) -> None:
    """Render a guideline as a readable document (Markdown, HTML or reStructuredText)."""
    text = render(load(ref), fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


_COUNTED = (Status.REQUIRED, Status.ADVISORY, Status.DEPRECATED, Status.REMOVED)


def guideline_summary(g: Guideline) -> dict[str, Any]:
    components = {}
    for component in g.components.values():
        row: dict[str, int] = {s.value: len(component.capabilities.get(s, ())) for s in _COUNTED}
        target = Target("component", component.name, (component,))
        all_tests = g.tests_for(target, tuple(Status), "include")
        row["tests"] = len({t.name for t in all_tests})
        row["must_pass"] = len({t.name for t in g.tests_for(target)})
        components[component.name] = row
    return {
        "id": g.id,
        "schema": g.schema,
        "kind": g.kind,
        "status": g.status,
        "releases": list(g.releases),
        "replaces": g.replaces,
        "cutoff": g.cutoff,
        "capabilities": len(g.capabilities),
        "by_status": {s.value: len(g.capabilities_with_status(s)) for s in _COUNTED},
        "tests": len(g.all_tests()),
        "flagged": len(g.flagged_tests()),
        "must_pass": len(g.must_pass()),
        "components": components,
        "targets": g.target_names(),
    }


def _selected_json(s: SelectedTest) -> dict[str, Any]:
    return {
        "name": s.name,
        "idempotent_id": s.test.idempotent_id,
        "load_list_entry": s.test.load_list_entry,
        "aliases": list(s.test.aliases),
        "capability": s.capability,
        "status": s.status.value,
        "component": s.component,
        "flagged": s.test.flagged,
        "flag": None
        if s.test.flag is None
        else {
            "reason": s.test.flag.reason,
            "action": s.test.flag.action,
            "date": s.test.flag.date,
            "code": s.test.flag.code,
        },
    }


guideline.add_command(check)
guideline.add_command(lint)

from defcore.cli.guideline_propose import propose  # noqa: E402

guideline.add_command(propose)
