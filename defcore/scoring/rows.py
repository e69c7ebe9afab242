"""A scored row as the committee's sheets hold it: a scorecard, the stated total and `*`.

Values are written `1`, `0`, `?` (unknown) and `*` (not considered, as the DNS sheet does for
criteria an add-on does not weigh). A total is a whole number; `?` or a negative number means
undetermined (the committee's tabulation makes the total negative when a mark is `?`; defcore
writes `-1` there).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from defcore.errors import ScoringError
from defcore.guidelines.model import Guideline
from defcore.scoring.criteria import SHEET_CRITERIA, cutoff, weights
from defcore.scoring.scorecard import Mark, Score, Scorecard, score

UNKNOWN = "?"
NOT_CONSIDERED = "*"
UNDETERMINED_TOTAL = "-1"


@dataclass(frozen=True)
class RowLayout:
    """How a row of the text sheet is spaced, kept so that a sheet is written back as it was."""

    column: int  # where the first `[` starts
    group_sep: str = " "  # between the criteria groups (`] [`; the DNS sheet writes `][`)
    total_sep: str = " "  # between `[non-admin]` and `[total]`
    trailing: str = ""  # after the total and its `*`


@dataclass(frozen=True)
class SheetRow:
    """One capability's line: its card, the total as written and whether it is starred."""

    card: Scorecard
    total: str
    mark: bool
    line: int = 0
    layout: RowLayout | None = None

    @property
    def name(self) -> str:
        return self.card.capability

    @property
    def stated_total(self) -> int | None:
        """The written total as a number; None when it is `?` or negative (undetermined)."""
        value = int(self.total) if _is_int(self.total) else None
        return None if value is None or value < 0 else value

    def retabulated(self, result: Score) -> SheetRow:
        """This row with the total and `*` the score gives."""
        total = UNDETERMINED_TOTAL if result.total is None else str(result.total)
        return replace(self, total=total, mark=bool(result.candidate))


@dataclass(frozen=True)
class TotalMismatch:
    """A row whose written total or `*` differs from what the weights give."""

    capability: str
    line: int
    stated: str
    stated_mark: bool
    computed: int | None
    computed_mark: bool

    def message(self, file: str) -> str:
        star = "*" if self.stated_mark else ""
        want = "undetermined" if self.computed is None else str(self.computed)
        want += "*" if self.computed_mark else ""
        return (
            f"{file}:{self.line}: {self.capability}: written [{self.stated}]{star}, "
            f"weights give {want}"
        )


def value_text(mark: Mark | str) -> str:
    if mark == NOT_CONSIDERED:
        return NOT_CONSIDERED
    return UNKNOWN if mark is None else str(mark)


def parse_value(text: str, where: str) -> Mark | str:
    """`0`, `1`, `?` -> 0, 1, None; `*` stays `*` (not considered)."""
    text = text.strip()
    if text in ("0", "1"):
        return int(text)
    if text == UNKNOWN:
        return None
    if text == NOT_CONSIDERED:
        return NOT_CONSIDERED
    raise ScoringError(f"{where}: value {text!r} is not 0, 1, ? or *")


def make_card(name: str, values: list[Mark | str], non_admin: Mark | str, source: str) -> Scorecard:
    """A card from the twelve sheet values in sheet order; `*` values are left out."""
    marks: dict[str, Mark] = {}
    for key, value in zip(SHEET_CRITERIA, values, strict=True):
        if not isinstance(value, str):
            marks[key] = value
    if isinstance(non_admin, str):
        raise ScoringError(f"{source}: {name}: the non-admin column cannot be '*'")
    return Scorecard(name, marks, non_admin, source=source)


def sheet_values(card: Scorecard) -> list[str]:
    """The twelve criteria values of a card in sheet order, then the non-admin value."""
    values = [
        value_text(card.marks[k]) if k in card.marks else NOT_CONSIDERED for k in SHEET_CRITERIA
    ]
    return [*values, value_text(card.non_admin)]


def mismatches(rows: Iterable[SheetRow], guideline: Guideline) -> list[TotalMismatch]:
    """Rows whose written total or `*` is not what the guideline's weights and cutoff give."""
    weighting, limit = weights(guideline), cutoff(guideline)
    found = []
    for row in rows:
        result = score(row.card, weighting, limit)
        want_mark = bool(result.candidate)
        if row.stated_total != result.total or row.mark != want_mark:
            found.append(
                TotalMismatch(row.name, row.line, row.total, row.mark, result.total, want_mark)
            )
    return found


def cards_of(rows: Iterable[SheetRow]) -> dict[str, Scorecard]:
    """Capability -> card; a capability scored twice keeps its last row."""
    return {row.name: row.card for row in rows}


def retabulate(rows: Iterable[SheetRow], guideline: Guideline) -> list[SheetRow]:
    weighting, limit = weights(guideline), cutoff(guideline)
    return [row.retabulated(score(row.card, weighting, limit)) for row in rows]


def _is_int(text: str) -> bool:
    return text.lstrip("-").isdigit() and text.count("-") <= 1 and not text.endswith("-")
