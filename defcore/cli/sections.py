"""`defcore sections check`: does an installation run upstream code in the designated sections?"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from defcore.errors import SectionsError
from defcore.sections.check import Options, check
from defcore.sections.render import FORMATS, render
from defcore.sections.report import ProjectState


@click.group("sections")
def sections() -> None:
    """Designated sections: compare installed OpenStack code with its upstream release."""


@sections.command("check")
@click.option(
    "--guideline",
    "guideline_ref",
    default="newest",
    show_default=True,
    help="Guideline id, file or URL.",
)
@click.option(
    "--python",
    "python",
    metavar="PATH",
    help="Check the installation of this interpreter (default: the running one).",
)
@click.option(
    "--site-packages",
    "site_packages",
    multiple=True,
    metavar="DIR",
    type=click.Path(path_type=Path),
    help="Check this site-packages directory.",
)
@click.option(
    "--releases",
    "releases_dir",
    metavar="DIR",
    type=click.Path(path_type=Path, file_okay=False),
    help="Directory of upstream release files (wheels/sdists) to use offline.",
)
@click.option(
    "--index-url",
    "index",
    metavar="URL",
    help="Simple-API package index (default $DEFCORE_PYPI_INDEX or PyPI).",
)
@click.option(
    "--project",
    "projects",
    multiple=True,
    metavar="NAME",
    help="Check only this project (repeatable).",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the report to this file instead of stdout.",
)
@click.pass_context
def check_command(
    ctx: click.Context,
    guideline_ref: str,
    python: str | None,
    site_packages: tuple[Path, ...],
    releases_dir: Path | None,
    index: str | None,
    projects: tuple[str, ...],
    fmt: str,
    output: Path | None,
) -> None:
    """Compare every file of each project's installed release with upstream, by section.

    Exit 0 when every designated section is unchanged, 1 when one was modified, 2 when a
    project could not be verified (no upstream release, no network) and nothing failed.
    """
    if python and site_packages:
        raise SectionsError("give --python or --site-packages, not both")
    if releases_dir is not None and not releases_dir.is_dir():
        raise SectionsError(f"--releases {releases_dir}: no such directory")
    report = check(
        guideline_ref,
        Options(
            python=python,
            site_packages=site_packages,
            releases_dir=releases_dir,
            index=index,
            projects=projects,
        ),
    )
    width = shutil.get_terminal_size((120, 40)).columns
    text = render(report, fmt, width=max(width, 100), color=output is None and _tty())
    if output is not None:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise SectionsError(f"-o {output}: cannot write: {exc.strerror}") from None
    else:
        click.echo(text, nl=False)
    for project in report.projects:
        if project.state is ProjectState.UNVERIFIED:
            click.echo(f"error: {project.message}", err=True)
    if not any(p.state is not ProjectState.NOT_INSTALLED for p in report.projects):
        click.echo(
            f"warning: no project of guideline {report.guideline} with named sections is "
            f"installed in {report.environment}",
            err=True,
        )
    ctx.exit(report.exit_code)


def _tty() -> bool:
    return sys.stdout.isatty()
