"""Scorecards and scores.

A scorecard says, for one capability, which criteria it achieves: 1, 0 or unknown (None) per
criterion, and whether it works without admin rights (`non_admin`: 1, 0 or unknown). A
criterion missing from the card is "not considered" by whoever filled it in (the DNS sheet
writes `*`); it is unknown when the guideline scoring the card weighs it.

score = sum of weight x mark over the guideline's criteria, with these rules, in order:

1. a capability that needs admin (`non_admin` 0) scores 0, whatever else is known;
2. any unknown mark of a weighted criterion, or an unknown `non_admin`, leaves the total
   undetermined (None);
3. the capability is a candidate when the total is at or above the cutoff.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from defcore.errors import ScoringError
from defcore.guidelines.model import Guideline
from defcore.scoring.criteria import SHEET_CRITERIA, criterion_key, cutoff, ordered, weights

Mark = int | None


@dataclass(frozen=True)
class Scorecard:
    """One capability's marks per criterion key, and whether it is usable without admin."""

    capability: str
    marks: Mapping[str, Mark] = field(default_factory=dict)
    non_admin: Mark = 1
    source: str = ""

    def __post_init__(self) -> None:
        for key, mark in (*self.marks.items(), ("non-admin", self.non_admin)):
            if mark not in (0, 1, None):
                raise ScoringError(
                    f"{self.capability}: criterion {key!r} is marked {mark!r}, not 0, 1 or ?"
                )


@dataclass(frozen=True)
class Score:
    """A scorecard weighed by a guideline's criteria."""

    capability: str
    total: int | None
    cutoff: int
    achieved: tuple[str, ...] = ()
    missed: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    admin: bool = False
    source: str = ""

    @property
    def determined(self) -> bool:
        return self.total is not None

    @property
    def candidate(self) -> bool | None:
        """Total at or above the cutoff; None when the total is undetermined."""
        return None if self.total is None else self.total >= self.cutoff

    def as_dict(self) -> dict[str, object]:
        return {
            "capability": self.capability,
            "total": self.total,
            "cutoff": self.cutoff,
            "candidate": self.candidate,
            "admin": self.admin,
            "achieved": list(self.achieved),
            "missed": list(self.missed),
            "unknown": list(self.unknown),
            "source": self.source,
        }


def score(card: Scorecard, weighting: Mapping[str, int], cutoff_score: int) -> Score:
    """Weigh a scorecard: sum of weight x mark; admin scores 0; an unknown, no total."""
    keys = [k for k in SHEET_CRITERIA if k in weighting]
    keys += [k for k in weighting if k not in keys]
    achieved = tuple(k for k in keys if card.marks.get(k) == 1)
    missed = tuple(k for k in keys if card.marks.get(k) == 0)
    unknown = tuple(k for k in keys if card.marks.get(k) is None)
    if card.non_admin == 0:
        total: int | None = 0
    elif unknown or card.non_admin is None:
        total = None
    else:
        total = sum(weighting[k] for k in achieved)
    return Score(
        card.capability,
        total,
        cutoff_score,
        achieved,
        missed,
        unknown,
        admin=card.non_admin == 0,
        source=card.source,
    )


def score_all(cards: Mapping[str, Scorecard], guideline: Guideline) -> dict[str, Score]:
    """Every card weighed by the guideline's criteria and cutoff."""
    weighting, limit = weights(guideline), cutoff(guideline)
    return {name: score(card, weighting, limit) for name, card in cards.items()}


def from_achievements(guideline: Guideline) -> tuple[dict[str, Scorecard], list[str]]:
    """Scorecards from the `achievements` and `admin` of each capability the guideline defines.

    A criterion the list names (by key or by name: `discoverable` means `discover`) is 1, every
    other criterion of the guideline 0. Entries naming no criterion are reported in the notes;
    a list holding only such entries (2020.06's `[""]`) says nothing, so that capability's marks
    are all unknown. An `admin` the file leaves out is unknown.
    """
    cards: dict[str, Scorecard] = {}
    notes: list[str] = []
    keys = ordered(guideline.criteria)
    for name, capability in guideline.capabilities.items():
        hits: set[str] = set()
        strays: list[str] = []
        for word in capability.achievements:
            key = criterion_key(guideline, word)
            if key is None:
                strays.append(word)
            else:
                hits.add(key)
        marks: dict[str, Mark]
        if strays and not hits:
            marks = dict.fromkeys(keys)
            notes.append(
                f"{name}: achievements {list(capability.achievements)!r} name no criterion; "
                "its marks are unknown"
            )
        else:
            marks = {key: int(key in hits) for key in keys}
            if strays:
                notes.append(f"{name}: achievements {strays!r} name no criterion; ignored")
        non_admin: Mark = None if capability.admin is None else int(not capability.admin)
        cards[name] = Scorecard(name, marks, non_admin, source=f"{guideline.id} achievements")
    return cards, notes


def achievements_of(card: Scorecard, guideline: Guideline) -> tuple[str, ...]:
    """The criteria a card achieves, as a guideline's `achievements` list (its key order)."""
    return tuple(k for k in guideline.criteria if card.marks.get(k) == 1)
