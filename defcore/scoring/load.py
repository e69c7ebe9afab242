"""Scores from a file: the text sheet or its tabulated CSV, told apart by the first line."""

from __future__ import annotations

from pathlib import Path

from defcore.errors import ScoringError
from defcore.scoring.rows import SheetRow
from defcore.scoring.sheet import parse_sheet
from defcore.scoring.tabulated import HEADER, parse_tabulated


def read_scores(path: Path) -> list[SheetRow]:
    """The rows of a scoring sheet (`scoring.txt` layout) or of its CSV tabulation."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScoringError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ScoringError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    first = text.split("\n", 1)[0].strip()
    if first.startswith(f"{HEADER[0]},"):
        rows = parse_tabulated(text, str(path))
    else:
        rows = parse_sheet(text, str(path)).rows
    if not rows:
        raise ScoringError(f"{path}: no scored capability found (neither sheet rows nor CSV)")
    return rows
