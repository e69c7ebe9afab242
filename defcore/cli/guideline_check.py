"""`defcore guideline check` and `defcore guideline lint`: findings, one line each, and a verdict.

Both print `file: path: severity: message [code]` per finding (or JSON with `--format json`) on
stdout, a summary on stderr, and exit 1 when there is an error, 0 otherwise.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import click

from defcore.errors import DefcoreError, GuidelineError, GuidelineNotFound, GuidelineSyntaxError
from defcore.guidelines.check import check as check_guideline
from defcore.guidelines.findings import Finding, Severity, has_errors
from defcore.guidelines.lint import lint as lint_guidelines
from defcore.guidelines.loader import load_file
from defcore.guidelines.sources import guidelines_dir, list_guidelines, load, locate

_FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)


def _files(refs: tuple[str, ...]) -> list[Path | DefcoreError]:
    """Each argument as guideline files: a directory gives all of its guideline files."""
    if not refs:
        directory = guidelines_dir()
        if directory is None:
            raise GuidelineNotFound(
                "nothing to check: name files or directories, or set DEFCORE_GUIDELINES"
            )
        refs = (str(directory),)
    out: list[Path | DefcoreError] = []
    for ref in refs:
        path = Path(ref)
        if path.is_dir():
            found = list_guidelines(path)
            if not found:
                out.append(
                    GuidelineNotFound(f"{ref}: no guideline files (*.json) in the directory")
                )
            out.extend(found)
            continue
        try:
            out.append(locate(ref))
        except DefcoreError as exc:
            out.append(exc)
    return out


_UNREADABLE = {"syntax", "unreadable"}


def _summary(findings: list[Finding], files: int) -> str:
    counts = Counter(f.severity for f in findings)
    errors, warnings = counts[Severity.ERROR], counts[Severity.WARNING]
    parts = [
        f"{files} file{'s' if files != 1 else ''}",
        f"{errors} error{'s' if errors != 1 else ''}",
        f"{warnings} warning{'s' if warnings != 1 else ''}",
        f"{counts[Severity.INFO]} info",
    ]
    unreadable = sum(f.code in _UNREADABLE for f in findings)
    if unreadable:
        parts.append(f"{unreadable} unreadable")
    return ", ".join(parts)


def _emit(findings: list[Finding], fmt: str, files: int) -> None:
    counts = Counter(f.severity for f in findings)
    if fmt == "json":
        document = {
            "findings": [f.as_dict() for f in findings],
            "summary": {
                "files": files,
                "errors": counts[Severity.ERROR],
                "warnings": counts[Severity.WARNING],
                "info": counts[Severity.INFO],
                "unreadable": sum(f.code in _UNREADABLE for f in findings),
            },
        }
        click.echo(json.dumps(document, indent=2))
    else:
        for finding in findings:
            # A file that is not JSON at all: the loader's one line, `file:line:col: ...`.
            click.echo(finding.message if finding.code in _UNREADABLE else finding.line())
    click.echo(_summary(findings, files), err=True)


@click.command("check")
@click.argument("refs", nargs=-1, metavar="[FILE|DIR|ID]...")
@_FORMAT
@click.pass_context
def check(ctx: click.Context, refs: tuple[str, ...], fmt: str) -> None:
    """Check guidelines: undefined or unused capabilities, bad ids, flags, metadata, keys.

    Arguments are guideline files, directories (every guideline file in them) or ids looked up
    in $DEFCORE_GUIDELINES; without any, that directory. A file that is not JSON gives one line
    with line and column, and the others are still checked. Exit 1 if any error was found.
    """
    findings: list[Finding] = []
    files = 0
    for item in _files(refs):
        if isinstance(item, DefcoreError):
            findings.append(_unreadable(item, ""))
            continue
        files += 1
        try:
            guideline = load_file(item)
        except GuidelineError as exc:
            findings.append(_unreadable(exc, str(item)))
            continue
        findings.extend(check_guideline(guideline))
    _emit(findings, fmt, files)
    ctx.exit(1 if has_errors(findings) else 0)


def _unreadable(exc: DefcoreError, file: str) -> Finding:
    """A file that cannot be checked at all, as one error finding carrying the loader's line."""
    code = "syntax" if isinstance(exc, GuidelineSyntaxError) else "unreadable"
    return Finding(file, "$", Severity.ERROR, code, str(exc))


@click.command("lint")
@click.argument("new_ref", metavar="NEW")
@click.option(
    "--previous",
    "old_ref",
    metavar="OLD",
    help="The guideline NEW replaces (default: the one NEW's `replaces` names).",
)
@_FORMAT
@click.pass_context
def lint(ctx: click.Context, new_ref: str, old_ref: str | None, fmt: str) -> None:
    """Process rules from OLD to NEW: how capabilities and designated sections may move.

    A capability becomes required only via advisory and is removed only via deprecated; the same
    for designated sections; renames and splits are recognised by their tests. Exit 1 on errors.
    """
    new = load(new_ref)
    if old_ref is None:
        if not new.replaces:
            raise GuidelineError(
                f"{new_ref}: the guideline names no guideline it replaces; give --previous OLD"
            )
        old_ref = new.replaces
    old = load(old_ref)
    findings = lint_guidelines(new, old)
    _emit(findings, fmt, 2)
    ctx.exit(1 if has_errors(findings) else 0)
