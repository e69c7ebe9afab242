"""A guideline's scoring criteria, their weights and its cutoff.

The committee's sheet orders the twelve criteria in four groups of three, then the non-admin
column: `[deployed,tools,clients] [future,complete,stable] [discover,doc,sticky]
[foundation,atomic,proximity] [non-admin]`. Add-on guidelines weigh only some of them (no
deployed, foundation or proximity); the others are "not considered" there.
"""

from __future__ import annotations

from defcore.guidelines.model import Criterion, Guideline

SHEET_GROUPS: tuple[tuple[str, str, str], ...] = (
    ("deployed", "tools", "clients"),
    ("future", "complete", "stable"),
    ("discover", "doc", "sticky"),
    ("foundation", "atomic", "proximity"),
)
SHEET_CRITERIA: tuple[str, ...] = tuple(key for group in SHEET_GROUPS for key in group)
NON_ADMIN = "non-admin"

PLATFORM_CUTOFF = 74
ADD_ON_CUTOFF = 60


def weights(guideline: Guideline) -> dict[str, int]:
    """Criterion key -> weight, as the guideline defines them."""
    return {key: criterion.weight for key, criterion in guideline.criteria.items()}


def cutoff(guideline: Guideline) -> int:
    """The guideline's cutoff score; when it states none, 74 for platforms, 60 for add-ons."""
    if guideline.cutoff is not None:
        return guideline.cutoff
    return ADD_ON_CUTOFF if guideline.kind == "add-on" else PLATFORM_CUTOFF


def criterion_key(guideline: Guideline, word: str) -> str | None:
    """The criterion a word names: its key or its name, compared without case or spaces.

    Real achievements lists say `discoverable` (the name of criterion `discover`) as well as
    the key, so both are accepted; anything else is None.
    """
    wanted = _fold(word)
    if not wanted:
        return None
    for key, criterion in guideline.criteria.items():
        if wanted in (_fold(key), _fold(criterion.name)):
            return key
    return None


def ordered(criteria: dict[str, Criterion]) -> list[str]:
    """Criterion keys in the sheet's order, then any others in the guideline's order."""
    keys = [key for key in SHEET_CRITERIA if key in criteria]
    return keys + [key for key in criteria if key not in keys]


def _fold(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())
