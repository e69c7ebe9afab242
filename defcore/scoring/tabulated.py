"""The sheet tabulated as CSV (`working_materials/tabulated_scores.csv`).

Header `Capability,Widely Deployed,...,Non-Admin,Total`, then one line per capability: its name,
the twelve criteria values in sheet order, the non-admin value and the total with `*` appended
when it reaches the cutoff. Like the committee's tabulation, a capability that needs admin
(non-admin 0) is written as its name and total only (`name,0`): its criteria do not matter, and
reading such a line gives a card whose criteria are all unknown. Lines end in `\\n`; values are
never quoted (names hold no commas).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

from defcore.errors import ScoringError
from defcore.scoring.rows import SheetRow, make_card, parse_value, sheet_values
from defcore.scoring.scorecard import Scorecard

HEADER: tuple[str, ...] = (
    "Capability",
    "Widely Deployed",
    "Used by Tools",
    "Used by Clients",
    "Future Direction",
    "Complete",
    "Stable",
    "Discoverable",
    "Documented",
    "Core in Last Release",
    "Foundation",
    "Atomic",
    "Proximity",
    "Non-Admin",
    "Total",
)


def read_tabulated(path: Path) -> list[SheetRow]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScoringError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ScoringError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    return parse_tabulated(text, str(path))


def parse_tabulated(text: str, file: str = "<csv>") -> list[SheetRow]:
    records = list(csv.reader(io.StringIO(text)))
    if not records or tuple(h.strip() for h in records[0]) != HEADER:
        raise ScoringError(
            f"{file}:1: not a tabulated scoring sheet: the header must be {','.join(HEADER)}"
        )
    rows: list[SheetRow] = []
    seen: set[str] = set()
    for number, record in enumerate(records[1:], start=2):
        if not record or not any(cell.strip() for cell in record):
            continue
        where = f"{file}:{number}"
        name = record[0].strip()
        if name in seen:
            raise ScoringError(f"{where}: {name} is scored twice")
        seen.add(name)
        total_cell = record[-1].strip()
        mark = total_cell.endswith("*")
        total = total_cell.removesuffix("*")
        if not total.lstrip("-").isdigit() and total != "?":
            raise ScoringError(f"{where}: {name}: total {total_cell!r} is not a whole number or ?")
        if len(record) == 2:
            card = Scorecard(name, {}, 0, source=where)
        elif len(record) == len(HEADER):
            values = [parse_value(cell, f"{where}: {name}") for cell in record[1:14]]
            card = make_card(name, values[:12], values[12], where)
        else:
            raise ScoringError(
                f"{where}: {name}: {len(record)} fields; expected {len(HEADER)}, or 2 for an "
                "admin-only capability"
            )
        rows.append(SheetRow(card, total, mark, number))
    return rows


def format_tabulated(rows: Iterable[SheetRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for row in rows:
        total = row.total + ("*" if row.mark else "")
        if row.card.non_admin == 0:
            writer.writerow([row.name, total])
        else:
            writer.writerow([row.name, *sheet_values(row.card), total])
    return out.getvalue()


def write_tabulated(rows: Iterable[SheetRow], path: Path) -> None:
    path.write_text(format_tabulated(rows), encoding="utf-8")
