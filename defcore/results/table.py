"""A verdict as a terminal table: one row per capability, the first reason it did not pass.

One table for `defcore test`, `certify-lab` and `results import`.
"""

from __future__ import annotations

from collections import Counter

from rich.table import Table
from rich.text import Text

from defcore.results.model import Outcome, headline
from defcore.results.verdict import CapabilityVerdict, PlatformComponentVerdict, Verdict

REASON_WIDTH = 160


def verdict_table(verdict: Verdict, show_status: bool = False) -> Table:
    out = Table(title=f"{verdict.target} {verdict.guideline}")
    out.add_column("capability", no_wrap=True)
    if show_status:
        out.add_column("status")
    out.add_column("verdict", no_wrap=True)
    for column in ("passed", "skipped", "failed", "missing"):
        out.add_column(column, justify="right", no_wrap=True)
    out.add_column("why not", overflow="fold")
    for cap in verdict.capabilities:
        counts = Counter(t.outcome for t in cap.required_tests)
        word = Text("passed", style="green") if cap.passed else Text("NOT PASSED", style="red")
        row: list[str | Text] = [cap.name, *([str(cap.status)] if show_status else []), word]
        row += [
            f"{counts[Outcome.PASSED]}/{len(cap.required_tests)}",
            str(counts[Outcome.SKIPPED]),
            str(counts[Outcome.FAILED] + counts[Outcome.ERRORED]),
            str(counts[Outcome.MISSING]),
            Text(reason(cap)),  # Text: brackets in test ids and tracebacks are not markup
        ]
        out.add_row(*row)
    return out


def reason(cap: CapabilityVerdict) -> str:
    """Why a capability did not pass: its first test that did not, and how many more."""
    if not cap.required_tests:
        return "every test is flagged" if cap.tests else ""
    failing = [t for t in cap.required_tests if not t.passed]
    if not failing:
        return ""
    first = failing[0]
    why = headline(first.reason) if first.reason else ""
    text = f"{first.name.rsplit('.', 1)[-1]}: {first.outcome}" + (f": {why}" if why else "")
    if len(failing) > 1:
        text += f" (+{len(failing) - 1} more)"
    return text[:REASON_WIDTH]


def platform_component_line(needed: PlatformComponentVerdict) -> str:
    """`needs os_powered_compute (2020.06): not run (none of its tests is in this run)`."""
    counts = (
        f", {needed.passed_tests}/{needed.required_tests} tests" if needed.required_tests else ""
    )
    why = f" ({needed.reason})" if needed.reason else ""
    return f"needs {needed.name} ({needed.guideline}): {needed.state}{counts}{why}"
