"""Every capability's score beside its status in a guideline, and where the two disagree.

Cards come from the guideline's own achievements, overlaid by a sheet's rows when one is given
(the sheet is the committee's newer word; capabilities it does not score keep the card of their
achievements). Capabilities the sheet scores but the guideline does not list are reported too.

Disagreements (`kind`):
- `required-below-cutoff`: required, but the total is below the cutoff;
- `qualifies-not-required`: the total reaches the cutoff, the capability is listed but not
  required (advisory, deprecated, removed, informational);
- `qualifies-absent`: the total reaches the cutoff, but no component lists the capability;
- `required-undetermined`: required, and a mark is unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from defcore.guidelines.model import Guideline, Status
from defcore.scoring.criteria import cutoff, weights
from defcore.scoring.scorecard import Score, Scorecard, from_achievements, score

DISAGREEMENTS = (
    "required-below-cutoff",
    "required-undetermined",
    "qualifies-not-required",
    "qualifies-absent",
)


@dataclass(frozen=True)
class CapabilityScore:
    capability: str
    status: Status | None
    score: Score

    @property
    def disagreement(self) -> str | None:
        candidate = self.score.candidate
        if self.status is Status.REQUIRED:
            if candidate is None:
                return "required-undetermined"
            return None if candidate else "required-below-cutoff"
        if candidate:
            return "qualifies-absent" if self.status is None else "qualifies-not-required"
        return None

    def as_dict(self) -> dict[str, object]:
        return {
            **self.score.as_dict(),
            "status": self.status.value if self.status else None,
            "disagreement": self.disagreement,
        }


@dataclass(frozen=True)
class ScoreReport:
    guideline: str
    cutoff: int
    weights: dict[str, int]
    capabilities: list[CapabilityScore]
    notes: list[str]

    def disagreements(self) -> list[CapabilityScore]:
        return [c for c in self.capabilities if c.disagreement]

    def as_dict(self) -> dict[str, object]:
        return {
            "guideline": self.guideline,
            "cutoff": self.cutoff,
            "weights": self.weights,
            "capabilities": [c.as_dict() for c in self.capabilities],
            "disagreements": [
                {"capability": c.capability, "kind": c.disagreement, "total": c.score.total}
                for c in self.disagreements()
            ],
            "notes": self.notes,
        }


def merged_cards(
    guideline: Guideline, overlay: Mapping[str, Scorecard] | None = None
) -> tuple[dict[str, Scorecard], list[str]]:
    """The guideline's achievement cards, with `overlay` (a sheet's cards) taking precedence."""
    cards, notes = from_achievements(guideline)
    if overlay:
        cards = {**cards, **overlay}
        notes = [n for n in notes if n.split(":", 1)[0] not in overlay]
    return cards, notes


def score_guideline(
    guideline: Guideline, overlay: Mapping[str, Scorecard] | None = None
) -> ScoreReport:
    """Score every capability the guideline defines or the overlay scores."""
    cards, notes = merged_cards(guideline, overlay)
    weighting, limit = weights(guideline), cutoff(guideline)
    if not weighting:
        notes.append(f"{guideline.id}: the guideline defines no criteria; every total is 0")
    rows = [
        CapabilityScore(name, guideline.status_of(name), score(card, weighting, limit))
        for name, card in cards.items()
    ]
    return ScoreReport(guideline.id, limit, weighting, rows, notes)
