"""The live view of a run: an overall bar and, per capability, how many of its tests are done."""

from __future__ import annotations

from collections import Counter
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from defcore.runner.selection import Selection

_MARK = {"success": "passed", "skip": "skipped", "fail": "failed"}


class RunProgress:
    def __init__(self, selection: Selection, tests: list[str], console: Console) -> None:
        self.console = console
        self.capabilities: dict[str, list[str]] = {}
        wanted = set(tests)
        for chosen in selection.runnable:
            if chosen.test.name in wanted or (chosen.installed_id or "") in wanted:
                name = _name(chosen.installed_id or chosen.test.name)
                self.capabilities[name] = list(chosen.capabilities)
        self.progress = Progress(
            TextColumn("{task.description}", justify="left"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.overall = self.progress.add_task("all tests", total=len(tests), counts="")
        per_cap = Counter(c for caps in self.capabilities.values() for c in caps)
        self.tasks = {
            cap: self.progress.add_task(f"  {cap}", total=n, counts="")
            for cap, n in sorted(per_cap.items())
        }
        self.counts: dict[str, Counter[str]] = {cap: Counter() for cap in self.tasks}
        self.totals: Counter[str] = Counter()

    def __enter__(self) -> RunProgress:
        self.progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.progress.stop()

    def test_done(self, name: str, status: str) -> None:
        if name not in self.capabilities:
            return  # not asked for: a step of a gabbi file that runs whole (schedule.selector)
        outcome = _MARK.get(status, "failed")
        self.totals[outcome] += 1
        self.progress.update(self.overall, advance=1, counts=_fmt(self.totals))
        for cap in self.capabilities.get(name, ()):
            self.counts[cap][outcome] += 1
            self.progress.update(self.tasks[cap], advance=1, counts=_fmt(self.counts[cap]))


def _name(test_id: str) -> str:
    return test_id.split("[", 1)[0]


def _fmt(counts: Counter[str]) -> str:
    parts = [f"[green]{counts['passed']} passed[/]"]
    if counts["skipped"]:
        parts.append(f"[yellow]{counts['skipped']} skipped[/]")
    if counts["failed"]:
        parts.append(f"[red]{counts['failed']} failed[/]")
    return " ".join(parts)
