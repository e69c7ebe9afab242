"""Scores: the rules of score() and scorecards from the achievements of real guidelines."""

from __future__ import annotations

from pathlib import Path

import pytest

from defcore.errors import ScoringError
from defcore.guidelines.loader import load_file
from defcore.guidelines.model import Guideline
from defcore.scoring.criteria import SHEET_CRITERIA, cutoff, weights
from defcore.scoring.scorecard import Scorecard, from_achievements, score

W = {"deployed": 8, "tools": 6, "clients": 10}


def test_total_is_the_sum_of_weight_times_mark() -> None:
    result = score(Scorecard("c", {"deployed": 1, "tools": 0, "clients": 1}), W, 18)
    assert (result.total, result.achieved, result.missed, result.candidate) == (
        18,
        ("deployed", "clients"),
        ("tools",),
        True,
    )
    assert score(Scorecard("c", {"deployed": 1, "tools": 1, "clients": 0}), W, 14).candidate
    assert not score(Scorecard("c", {"deployed": 1, "tools": 1, "clients": 0}), W, 15).candidate
    assert score(Scorecard("c", {"deployed": 1, "tools": 1, "clients": 0}), W, 15).total == 14


def test_admin_scores_zero_and_unknown_is_undetermined() -> None:
    admin = score(Scorecard("c", {"deployed": None}, non_admin=0), W, 10)
    assert (admin.total, admin.admin, admin.candidate) == (0, True, False)
    unknown = score(Scorecard("c", {"deployed": 1, "tools": None, "clients": 1}), W, 10)
    assert (unknown.total, unknown.unknown, unknown.candidate) == (None, ("tools",), None)
    # A weighted criterion the card does not mention is unknown too; an unknown non-admin also.
    assert score(Scorecard("c", {"deployed": 1}), W, 10).total is None
    assert score(Scorecard("c", dict.fromkeys(W, 1), non_admin=None), W, 10).total is None
    # Criteria the guideline does not weigh are ignored.
    assert score(Scorecard("c", {**dict.fromkeys(W, 1), "foundation": 1}), W, 10).total == 24


def test_marks_are_0_1_or_unknown() -> None:
    with pytest.raises(ScoringError, match="criterion 'tools' is marked 2"):
        Scorecard("c", {"tools": 2})


def test_cutoff_defaults(interop_data: Path) -> None:
    assert cutoff(load_file(interop_data / "2020.06.json")) == 74
    assert cutoff(load_file(interop_data / "add-ons" / "dns.2020.06.json")) == 60
    # 2015.04 states no cutoff: the platform default applies.
    old = load_file(interop_data / "2015.04.json")
    assert old.cutoff is None and cutoff(old) == 74


def test_cards_from_the_achievements_of_2020_06(g2020: Guideline) -> None:
    cards, notes = from_achievements(g2020)
    assert set(cards) == set(g2020.capabilities)
    assert set(weights(g2020)) == set(SHEET_CRITERIA)
    # 2020.06 writes `discoverable`, the name of criterion `discover`, for the swift SLO/DLO.
    assert cards["objectstore-slo-support"].marks["discover"] == 1
    # identity-v3-tokens-delete lists only "": nothing is known of it.
    assert all(v is None for v in cards["identity-v3-tokens-delete"].marks.values())
    assert any(n.startswith("identity-v3-tokens-delete:") for n in notes)
    assert cards["networks-l3-CRUD"].non_admin == 0
    result = score(cards["compute-images-create"], weights(g2020), cutoff(g2020))
    assert (result.total, result.candidate) == (72, False)
