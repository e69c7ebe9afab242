"""Compare an installation's files with the upstream release's: state, changed lines, diff."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from defcore.sections.installed import FileData

DIFF_MAX_LINES = 60


class FileState(StrEnum):
    UNCHANGED = "unchanged"
    MODIFIED = "modified"
    ADDED = "added"
    MISSING = "missing"


STATES: tuple[FileState, ...] = tuple(FileState)


@dataclass(frozen=True)
class FileComparison:
    path: str
    state: FileState
    # Lines of the upstream file (0 for an added file) and lines changed against it.
    lines: int
    changed_lines: int
    diff: str | None = None


def changed_lines(old: bytes, new: bytes) -> int:
    """Lines removed, added or replaced (a replaced run counts its longer side once)."""
    a = old.decode("utf-8", "replace").splitlines()
    b = new.decode("utf-8", "replace").splitlines()
    total = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            total += max(i2 - i1, j2 - j1)
    return total


def short_diff(path: str, old: bytes, new: bytes, limit: int = DIFF_MAX_LINES) -> str:
    """A unified diff of upstream against installed, cut after `limit` lines."""
    lines = list(
        difflib.unified_diff(
            old.decode("utf-8", "replace").splitlines(),
            new.decode("utf-8", "replace").splitlines(),
            fromfile=f"upstream/{path}",
            tofile=f"installed/{path}",
            lineterm="",
        )
    )
    if len(lines) > limit:
        lines = [*lines[:limit], f"... ({len(lines) - limit} more diff lines)"]
    return "\n".join(lines)


def compare_file(
    path: str,
    upstream: FileData | None,
    installed: FileData | None,
    read_upstream: Callable[[str], bytes],
    read_installed: Callable[[str], bytes],
    want_diff: bool,
) -> FileComparison:
    if upstream is None:
        assert installed is not None
        return FileComparison(path, FileState.ADDED, 0, installed.lines)
    if installed is None:
        return FileComparison(path, FileState.MISSING, upstream.lines, upstream.lines)
    if upstream.sha256 == installed.sha256:
        return FileComparison(path, FileState.UNCHANGED, upstream.lines, 0)
    if not (upstream.text and installed.text):
        return FileComparison(path, FileState.MODIFIED, upstream.lines, max(upstream.lines, 1))
    old, new = read_upstream(path), read_installed(path)
    diff = short_diff(path, old, new) if want_diff else None
    # A change to line endings or trailing whitespace alone still counts as one line.
    return FileComparison(
        path, FileState.MODIFIED, upstream.lines, max(changed_lines(old, new), 1), diff
    )
