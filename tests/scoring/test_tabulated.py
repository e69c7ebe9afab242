"""The tabulated CSV: written from the sheet it equals the real file; read back it round-trips."""

from __future__ import annotations

from pathlib import Path

import pytest

from defcore.errors import ScoringError
from defcore.guidelines.model import Guideline
from defcore.scoring.load import read_scores
from defcore.scoring.rows import mismatches, retabulate
from defcore.scoring.sheet import read_sheet
from defcore.scoring.tabulated import HEADER, format_tabulated, parse_tabulated, read_tabulated


def test_the_csv_written_from_the_sheet_is_the_real_file(materials: Path, g2020: Guideline) -> None:
    sheet = read_sheet(materials / "scoring.txt")
    expected = (materials / "tabulated_scores.csv").read_text()
    assert format_tabulated(sheet.rows) == expected
    assert format_tabulated(retabulate(sheet.rows, g2020)) == expected


def test_the_csv_reads_and_writes_back(materials: Path, g2020: Guideline) -> None:
    path = materials / "tabulated_scores.csv"
    rows = read_tabulated(path)
    assert len(rows) == 140
    assert format_tabulated(rows) == path.read_text()
    assert mismatches(rows, g2020) == []
    sheet = {r.name: r for r in read_sheet(materials / "scoring.txt").rows}
    for row in rows:
        if row.card.non_admin == 0:
            # `name,0`: the criteria of an admin-only capability are not in the CSV.
            assert all(v is None for v in row.card.marks.values())
        else:
            assert row.card.marks == sheet[row.name].card.marks
        assert (row.total, row.mark) == (sheet[row.name].total, sheet[row.name].mark)


def test_read_scores_tells_the_two_formats_apart(materials: Path) -> None:
    csv_rows = read_scores(materials / "tabulated_scores.csv")
    txt_rows = read_scores(materials / "scoring.txt")
    assert [r.name for r in csv_rows] == [r.name for r in txt_rows]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Name,Total\nfoo,1\n", "s.csv:1: not a tabulated scoring sheet"),
        (",".join(HEADER) + "\nfoo,1,1\n", "s.csv:2: foo: 3 fields"),
        (",".join(HEADER) + "\nfoo,12\nfoo,13\n", "s.csv:3: foo is scored twice"),
        (",".join(HEADER) + "\nfoo,x*\n", "s.csv:2: foo: total 'x*'"),
    ],
)
def test_csv_errors_are_one_line(text: str, message: str) -> None:
    with pytest.raises(ScoringError) as caught:
        parse_tabulated(text, "s.csv")
    assert str(caught.value).startswith(message)
