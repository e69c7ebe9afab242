"""The committee's scoring sheet, read and written, on the real scoring.txt and scoring_dns.txt."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from defcore.errors import ScoringError
from defcore.guidelines.loader import load_file
from defcore.guidelines.model import Guideline
from defcore.scoring.criteria import SHEET_CRITERIA, cutoff, weights
from defcore.scoring.rows import mismatches
from defcore.scoring.scorecard import Scorecard, score
from defcore.scoring.sheet import format_sheet, parse_sheet, read_sheet

# A row as a plain regular expression, independent of the reader: name, then six groups.
_ROW = re.compile(r"^([\w-]+):\s+((?:\[[^\]]*\]\s*){5})\[(\d+)\](\*?)\s*$")


def _independent_rows(text: str) -> list[tuple[str, list[int], int, bool]]:
    rows = []
    for line in text.splitlines():
        match = _ROW.match(line)
        if match:
            values = [int(v) for v in re.findall(r"[01]", match.group(2))]
            rows.append((match.group(1), values, int(match.group(3)), match.group(4) == "*"))
    return rows


def test_the_sheet_has_140_scored_rows(materials: Path) -> None:
    text = (materials / "scoring.txt").read_text()
    assert len(_independent_rows(text)) == 140
    assert len(read_sheet(materials / "scoring.txt").rows) == 140


def test_every_total_and_star_is_reproduced_from_its_row(materials: Path, g2020: Guideline) -> None:
    text = (materials / "scoring.txt").read_text()
    expected = _independent_rows(text)
    sheet = read_sheet(materials / "scoring.txt")
    weighting, limit = weights(g2020), cutoff(g2020)
    assert limit == 74
    reproduced = 0
    for row, (name, values, total, star) in zip(sheet.rows, expected, strict=True):
        assert row.name == name
        assert [row.card.marks[k] for k in SHEET_CRITERIA] + [row.card.non_admin] == values
        result = score(row.card, weighting, limit)
        assert result.total == total, name
        assert result.candidate is star, name
        reproduced += 1
    assert reproduced == 140
    assert mismatches(sheet.rows, g2020) == []
    # Both sides of the cutoff occur, and admin-only rows score 0 whatever their criteria.
    assert sum(star for *_, star in expected) == sum(t >= 74 for _, _, t, _ in expected)
    admin = [r for r in sheet.rows if r.card.non_admin == 0]
    assert [r.name for r in admin] == [
        "network-extensions-provider-add",
        "network-extensions-provider-create",
        "network-extensions-provider-delete",
        "network-extensions-provider-show",
    ]
    assert all(score(r.card, weighting, limit).total == 0 for r in admin)


def test_the_sheet_is_written_back_byte_for_byte(materials: Path, g2020: Guideline) -> None:
    text = (materials / "scoring.txt").read_text()
    sheet = read_sheet(materials / "scoring.txt")
    assert format_sheet(sheet) == text
    # Recomputing every total from the 2020.06 weights changes nothing either.
    assert format_sheet(sheet.retabulated(g2020)) == text


def test_a_changed_card_is_retabulated_and_a_new_one_aligned(
    materials: Path, g2020: Guideline
) -> None:
    sheet = read_sheet(materials / "scoring.txt")
    old = sheet.row("compute-images-create")
    assert old is not None and old.total == "72" and not old.mark
    card = replace(old.card, marks={**old.card.marks, "deployed": 1})
    new_card = Scorecard("compute-new-thing", dict.fromkeys(SHEET_CRITERIA, 1), 1)
    text = format_sheet(sheet.with_cards([card, new_card]).retabulated(g2020))
    lines = text.splitlines()
    assert "compute-images-create:           [1,1,1] [0,1,1] [1,1,1] [0,1,1] [1] [80]*" in lines
    assert lines[-1] == "compute-new-thing: [1,1,1] [1,1,1] [1,1,1] [1,1,1] [1] [100]*"
    original = (materials / "scoring.txt").read_text().splitlines()
    assert len(lines) == len(original) + 1
    changed = [(a, b) for a, b in zip(original, lines[:-1], strict=True) if a != b]
    assert len(changed) == 1


def test_an_unknown_mark_makes_the_total_undetermined(g2020: Guideline) -> None:
    text = "x\nfoo-bar: [1,?,1] [1,1,1] [1,1,1] [1,1,1] [1] [0]\n"
    sheet = parse_sheet(text, "s.txt")
    row = sheet.rows[0]
    assert row.card.marks["tools"] is None
    assert score(row.card, weights(g2020), 74).total is None
    written = format_sheet(sheet.retabulated(g2020))
    assert written.endswith("foo-bar: [1,?,1] [1,1,1] [1,1,1] [1,1,1] [1] [-1]\n")
    assert parse_sheet(written).rows[0].stated_total is None
    # An admin-only capability still scores 0, unknowns or not.
    admin = parse_sheet("foo: [?,?,?] [1,1,1] [1,1,1] [1,1,1] [0] [0]\n").rows[0]
    assert score(admin.card, weights(g2020), 74).total == 0


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("foo: [1,1,1] [1,1,1] [1,1,1] [1,1] [1] [9]", "criteria group 4 has 2 values"),
        ("foo: [1,1,1] [1,1,1] [1,1,1] [1,1,1] [9]", "expected 6 bracketed groups"),
        ("foo: [1,1,1] [1,1,1] [1,2,1] [1,1,1] [1] [9]", "value '2' is not 0, 1, ? or *"),
        ("foo: [1,1,1] [1,1,1] [1,1,1] [1,1,1] [1] [x]", "total 'x'"),
        ("foo: [1,1,1] [1,1,1] [1,1,1] [1,1,1] [1] [9] extra", "unexpected 'extra'"),
    ],
)
def test_a_malformed_row_is_one_line_naming_file_and_line(line: str, message: str) -> None:
    with pytest.raises(ScoringError) as caught:
        parse_sheet(f"Title\n\n{line}\n", "sheet.txt")
    text = str(caught.value)
    assert text.startswith("sheet.txt:3: foo: ") and message in text and "\n" not in text


def test_a_capability_scored_twice_is_an_error() -> None:
    row = "foo: [1,1,1] [1,1,1] [1,1,1] [1,1,1] [1] [9]"
    with pytest.raises(ScoringError, match=r"s.txt:2: foo is scored twice \(first on line 1\)"):
        parse_sheet(f"{row}\n{row}\n", "s.txt")


def test_the_dns_sheet_round_trips_and_its_stale_totals_are_found(
    interop_data: Path, materials: Path
) -> None:
    path = materials / "scoring_dns.txt"
    sheet = read_sheet(path)
    assert format_sheet(sheet) == path.read_text()
    assert [r.name for r in sheet.rows] == ["dns-zone-crud", "dns-record-crud"]
    card = sheet.rows[0].card
    # `*` marks criteria the add-on does not consider: they are left out of the card.
    assert not {"deployed", "foundation", "proximity"} & set(card.marks)
    dns = load_file(interop_data / "add-ons" / "dns.2020.06.json")
    assert cutoff(dns) == 60
    # The sheet says 64 without a star; dns.2020.06's weights give 66, above the cutoff.
    found = mismatches(sheet.rows, dns)
    assert [
        (m.capability, m.stated, m.stated_mark, m.computed, m.computed_mark) for m in found
    ] == [
        ("dns-zone-crud", "64", False, 66, True),
        ("dns-record-crud", "64", False, 66, True),
    ]
    # Against the platform weights the card lacks deployed/foundation/proximity: undetermined.
    assert score(card, {"deployed": 8, "tools": 6}, 74).total is None
