"""A sections report as a terminal table (rich) or an HTML page shaded by distance."""

from __future__ import annotations

import io
import json

import jinja2
from rich.console import Console
from rich.table import Table
from rich.text import Text

from defcore.sections.compare import FileState
from defcore.sections.report import ProjectState, Report, SectionResult, SectionVerdict

FORMATS = ("table", "json", "html")

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("defcore.sections", "templates"),
    autoescape=jinja2.select_autoescape(["html.j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)

_STYLE = {
    SectionVerdict.UNCHANGED: "green",
    SectionVerdict.MODIFIED: "bold red",
    SectionVerdict.ADDED: "yellow",
    SectionVerdict.ALLOWED: "cyan",
    SectionVerdict.UNMAPPABLE: "dim",
    SectionVerdict.NO_FILES: "dim",
}


def percent(value: float) -> str:
    return f"{value * 100:.2f}%" if value else "0%"


def render(report: Report, fmt: str, width: int = 120, color: bool = False) -> str:
    if fmt == "json":
        return json.dumps(report.to_json(), indent=2) + "\n"
    if fmt == "html":
        return render_html(report)
    if fmt == "table":
        return render_table(report, width, color)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def render_table(report: Report, width: int = 120, color: bool = False) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=color, no_color=not color)
    console.print(
        f"Designated sections of guideline {report.guideline} in {report.environment}",
        highlight=False,
    )
    for project in report.projects:
        console.print()
        if project.state is not ProjectState.CHECKED:
            console.print(f"{project.project}: {project.state.value}: {project.message}")
            continue
        versions = ", ".join(
            f"{d.name} {d.version} vs {d.upstream_file} ({d.upstream_origin})"
            for d in project.distributions
        )
        table = Table(
            title=f"{project.project}: {versions}",
            title_justify="left",
            caption=(
                f"distance from upstream {percent(project.distance)} "
                f"({project.designated_changed_lines} of {project.designated_lines} lines "
                f"in designated sections changed)"
            ),
            caption_justify="left",
        )
        table.add_column("section")
        table.add_column("designated")
        for column in ("unchanged", "modified", "added", "missing"):
            table.add_column(column, justify="right")
        table.add_column("changed lines", justify="right")
        table.add_column("verdict")
        for section in project.sections:
            table.add_row(*_row(section))
        console.print(table)
        for section in project.sections:
            for f in section.files:
                if section.designated and f.state is not FileState.UNCHANGED:
                    console.print(
                        f"{f.state.value}: {f.path} [{section.name}] "
                        f"({f.changed_lines} changed lines)",
                        highlight=False,
                        markup=False,
                    )
                    if f.diff:
                        console.print(f.diff, highlight=False, markup=False)
            if not section.designated and section.files:
                paths = ", ".join(f"{f.path} ({f.state.value})" for f in section.files[:5])
                more = f" and {len(section.files) - 5} more" if len(section.files) > 5 else ""
                console.print(
                    f"allowed: {section.name} (not designated): {paths}{more}",
                    highlight=False,
                    markup=False,
                )
    console.print()
    console.print(f"verdict: {report.verdict.value}", highlight=False)
    # rich pads titles and captions to the table's width; keep lines free of trailing blanks.
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())


def _row(section: SectionResult) -> list[str | Text]:
    counts = section.counts
    verdict = section.verdict
    label = verdict.value
    if verdict is SectionVerdict.UNMAPPABLE:
        label = f"unmappable: {section.unmappable}"
    designated = "yes" if section.designated else "no"
    if section.status and section.status != "required":
        designated += f" ({section.status})"
    return [
        section.name,
        designated,
        str(counts["unchanged"]),
        str(counts["modified"]),
        str(counts["added"]),
        str(counts["missing"]),
        f"{section.changed_lines}/{section.lines}",
        Text(label, style=_STYLE[verdict]),
    ]


def shade(section: SectionResult) -> str:
    """A background colour for a section: green when unchanged, redder with distance."""
    verdict = section.verdict
    if verdict in (SectionVerdict.UNMAPPABLE, SectionVerdict.NO_FILES):
        return "#eeeeee"
    if verdict is SectionVerdict.UNCHANGED:
        return "#d9f2d9"
    if not section.designated:
        return "#dbe9f6"  # allowed: blue, whatever the size of the change
    # Designated and changed: from light to full red; any change is at least clearly pink.
    strength = min(1.0, 0.25 + section.distance * 3)
    green_blue = round(235 - strength * 170)
    return f"#f5{green_blue:02x}{green_blue:02x}"


def render_html(report: Report) -> str:
    return _ENV.get_template("sections.html.j2").render(
        report=report,
        percent=percent,
        shade=shade,
        checked=ProjectState.CHECKED,
    )
