"""The committee's scoring sheet (`working_materials/scoring.txt`, `scoring_dns.txt`).

A text file: a free-form preamble, sections with `----` underlines and notes, and rows

    name:   [deployed,tools,clients] [future,complete,stable] [discover,doc,sticky] \
[foundation,atomic,proximity] [non-admin] [total]*

Every line that is not a row is kept verbatim, and each row keeps its spacing (`RowLayout`), so
reading and writing a sheet gives the same bytes; a row without a layout (new) is aligned with
the rows around it. The DNS sheet writes its groups without a space between them (`][`) and `*`
for criteria its add-on does not weigh; both are read and written as found.

The real DNS sheet's rows say `[64]` without `*`, while dns.2020.06's weights (and those of
every DNS guideline) give 66, above the add-ons' cutoff of 60: `rows.mismatches` reports such
stale totals, and `Sheet.retabulated` rewrites them.

A line is taken for a row when it starts with a name (no spaces) followed by `:` and `[`; such a
line that is not a well-formed row is an error naming file and line, never skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from defcore.errors import ScoringError
from defcore.guidelines.model import Guideline
from defcore.scoring.rows import (
    RowLayout,
    SheetRow,
    make_card,
    parse_value,
    retabulate,
    sheet_values,
)
from defcore.scoring.scorecard import Scorecard

_ROW_START = re.compile(r"^(?P<name>[A-Za-z0-9][\w.-]*):(?P<pad>[ \t]*)(?=\[)")
_GROUP = re.compile(r"\[(?P<body>[^\[\]]*)\]")
_TOTAL = re.compile(r"^(?P<total>-?\d+|\?)$")

Line = str | SheetRow


@dataclass
class Sheet:
    """A scoring sheet: its lines, verbatim text or rows, in file order."""

    lines: list[Line] = field(default_factory=list)
    file: str = "<sheet>"
    final_newline: bool = True

    @property
    def rows(self) -> list[SheetRow]:
        return [line for line in self.lines if isinstance(line, SheetRow)]

    def cards(self) -> dict[str, Scorecard]:
        return {row.name: row.card for row in self.rows}

    def row(self, capability: str) -> SheetRow | None:
        return next((r for r in self.rows if r.name == capability), None)

    def retabulated(self, guideline: Guideline) -> Sheet:
        """The sheet with every total and `*` recomputed from the guideline's weights."""
        fresh = iter(retabulate(self.rows, guideline))
        lines: list[Line] = [next(fresh) if isinstance(x, SheetRow) else x for x in self.lines]
        return replace(self, lines=lines)

    def with_cards(self, cards: Iterable[Scorecard]) -> Sheet:
        """The sheet with these cards: existing rows take the new marks, others are appended.

        Totals are left as they were; `retabulated` computes them.
        """
        lines = list(self.lines)
        index = {line.name: i for i, line in enumerate(lines) if isinstance(line, SheetRow)}
        for card in cards:
            if card.capability in index:
                i = index[card.capability]
                old = lines[i]
                assert isinstance(old, SheetRow)
                lines[i] = replace(old, card=card)
            else:
                index[card.capability] = len(lines)
                lines.append(SheetRow(card, "?", False))
        return replace(self, lines=lines)


def read_sheet(path: Path) -> Sheet:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScoringError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ScoringError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    return parse_sheet(text, str(path))


def parse_sheet(text: str, file: str = "<sheet>") -> Sheet:
    final_newline = text.endswith("\n")
    raw_lines = text.split("\n")
    if final_newline:
        raw_lines.pop()
    lines: list[Line] = []
    for number, raw in enumerate(raw_lines, start=1):
        start = _ROW_START.match(raw)
        lines.append(_parse_row(raw, start, file, number) if start else raw)
    sheet = Sheet(lines, file, final_newline)
    seen: dict[str, int] = {}
    for row in sheet.rows:
        if row.name in seen:
            raise ScoringError(
                f"{file}:{row.line}: {row.name} is scored twice (first on line {seen[row.name]})"
            )
        seen[row.name] = row.line
    return sheet


def _parse_row(raw: str, start: re.Match[str], file: str, number: int) -> SheetRow:
    where = f"{file}:{number}"
    name = start.group("name")
    rest = raw[start.end() :]
    groups: list[str] = []
    seps: list[str] = []
    pos = 0
    while True:
        match = _GROUP.match(rest, pos)
        if match is None:
            break
        groups.append(match.group("body"))
        pos = match.end()
        gap = re.match(r"[ \t]*", rest[pos:])
        sep = gap.group(0) if gap else ""
        if rest[pos + len(sep) : pos + len(sep) + 1] != "[":
            break
        seps.append(sep)
        pos += len(sep)
    tail = rest[pos:]
    if len(groups) != 6:
        raise ScoringError(
            f"{where}: {name}: expected 6 bracketed groups (4 criteria groups, non-admin, "
            f"total), found {len(groups)}"
        )
    values = []
    for i, body in enumerate(groups[:4]):
        parts = body.split(",")
        if len(parts) != 3:
            raise ScoringError(
                f"{where}: {name}: criteria group {i + 1} has {len(parts)} values, not 3"
            )
        values += [parse_value(p, f"{where}: {name}") for p in parts]
    non_admin = parse_value(groups[4], f"{where}: {name}: non-admin")
    total = groups[5].strip()
    if not _TOTAL.match(total):
        raise ScoringError(f"{where}: {name}: total {groups[5]!r} is not a whole number or ?")
    mark = tail.startswith("*")
    trailing = tail[1:] if mark else tail
    if trailing.strip():
        raise ScoringError(f"{where}: {name}: unexpected {trailing.strip()!r} after the total")
    group_seps = set(seps[:4])
    if len(group_seps) > 1:
        raise ScoringError(f"{where}: {name}: the criteria groups are spaced unevenly")
    layout = RowLayout(
        column=start.end(),
        group_sep=seps[0],
        total_sep=seps[4],
        trailing=trailing,
    )
    card = make_card(name, values, non_admin, f"{file}:{number}")
    return SheetRow(card, total, mark, number, layout)


def format_sheet(sheet: Sheet) -> str:
    """The sheet as text: verbatim lines as they were, rows from their cards and totals."""
    columns = _block_columns(sheet.lines)
    out = []
    for i, line in enumerate(sheet.lines):
        out.append(line if isinstance(line, str) else format_row(line, columns[i]))
    text = "\n".join(out)
    return text + "\n" if sheet.final_newline and out else text


def write_sheet(sheet: Sheet, path: Path) -> None:
    path.write_text(format_sheet(sheet), encoding="utf-8")


def format_row(row: SheetRow, default_column: int = 0) -> str:
    layout = row.layout or RowLayout(column=default_column)
    values = sheet_values(row.card)
    groups = [",".join(values[i : i + 3]) for i in range(0, 12, 3)]
    head = f"{row.name}:"
    head += " " * max(1, layout.column - len(head))
    body = layout.group_sep.join(f"[{g}]" for g in groups)
    star = "*" if row.mark else ""
    non_admin = f"{layout.group_sep}[{values[12]}]"
    return f"{head}{body}{non_admin}{layout.total_sep}[{row.total}]{star}{layout.trailing}"


def _block_columns(lines: list[Line]) -> dict[int, int]:
    """For each row, the column rows of its block (rows between blank lines) align to."""
    columns: dict[int, int] = {}
    block: list[int] = []

    def close() -> None:
        rows = [lines[i] for i in block]
        laid = [r.layout.column for r in rows if isinstance(r, SheetRow) and r.layout]
        widest = max((len(r.name) + 2 for r in rows if isinstance(r, SheetRow)), default=0)
        column = max([widest, *laid])
        for i in block:
            columns[i] = column
        block.clear()

    for i, line in enumerate(lines):
        if isinstance(line, SheetRow):
            block.append(i)
        elif block:
            close()
    if block:
        close()
    return columns
