"""The next guideline: a schema 2.0 draft from the previous guideline and scorecards.

Scores are those of `report.merged_cards`: the previous guideline's achievements, overlaid by
the given cards, weighed by the previous guideline's criteria and cutoff. Per capability, by its
status in PREVIOUS:

| previous | scores at/above cutoff | below | undetermined |
| --- | --- | --- | --- |
| required | required | deprecated | required (noted) |
| advisory | required (`required_since` = new id) | removed (noted) | advisory |
| deprecated | removed | removed | removed |
| removed | advisory (it qualifies again) | dropped from the lists | dropped |
| informational | informational | informational | informational |
| defined, listed nowhere | advisory | unlisted | unlisted |

A capability scored at or above the cutoff that PREVIOUS does not define is not added (there are
no tests to carry); it is noted so that the committee defines it by hand. A newly advisory
capability joins the component that lists most capabilities of its project (or of its name's
first word).

Carried over: criteria and cutoff, platforms, add-ons, designated sections, test repositories,
releases (noted: the committee names the new ones), every capability's tests and flags. Each
card that is fully known sets the capability's `achievements` (order kept, new ones appended)
and `admin`; entries of the old achievements that name no criterion are dropped. Metadata: the
new id, `replaces` the previous id, status `draft`, target approval and source for the new id.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from defcore.errors import ScoringError
from defcore.guidelines.model import Capability, Component, Guideline, Status
from defcore.scoring.criteria import criterion_key, cutoff, weights
from defcore.scoring.report import merged_cards
from defcore.scoring.scorecard import Score, Scorecard, score

_DATED = re.compile(r"^(?:(?P<prefix>[A-Za-z][\w-]*)\.)?(?P<year>\d{4})\.(?P<month>\d{2})$")
_LISTED = (Status.REQUIRED, Status.ADVISORY, Status.DEPRECATED, Status.REMOVED)


@dataclass(frozen=True)
class Change:
    capability: str
    before: Status | None
    after: Status | None
    total: int | None
    component: str | None = None

    def line(self) -> str:
        total = "undetermined" if self.total is None else str(self.total)
        where = f" in {self.component}" if self.component else ""
        return (
            f"{self.capability}: {self.before or 'absent'} -> {self.after or 'absent'}{where} "
            f"(score {total})"
        )


@dataclass
class Proposal:
    guideline: Guideline
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def next_id(previous: Guideline, today: date | None = None) -> str:
    """This month's id (with the previous id's add-on prefix), or the month after the previous
    guideline's when this month is not later."""
    match = _DATED.match(previous.id)
    if not match:
        raise ScoringError(f"{previous.id!r} is not a dated guideline id; give --id")
    today = today or date.today()
    year, month = int(match["year"]), int(match["month"])
    if (today.year, today.month) > (year, month):
        year, month = today.year, today.month
    else:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    prefix = f"{match['prefix']}." if match["prefix"] else ""
    return f"{prefix}{year:04d}.{month:02d}"


def propose(
    previous: Guideline,
    cards: Mapping[str, Scorecard] | None = None,
    new_id: str | None = None,
    today: date | None = None,
) -> Proposal:
    """A draft replacing PREVIOUS, obeying the process rules above."""
    new_id = new_id or next_id(previous, today)
    match = _DATED.match(new_id)
    if not match:
        raise ScoringError(f"new id {new_id!r} is not of the form [PREFIX.]YYYY.MM")
    merged, notes = merged_cards(previous, cards)
    weighting, limit = weights(previous), cutoff(previous)
    scores = {name: score(card, weighting, limit) for name, card in merged.items()}
    proposal = Proposal(previous, notes=list(notes))
    dated = f"{match['year']}.{match['month']}"

    components: dict[str, dict[Status, list[str]]] = {}
    placed: set[str] = set()
    for comp in previous.components.values():
        lists: dict[Status, list[str]] = {s: [] for s in _LISTED}
        for status in comp.capabilities:
            if status not in _LISTED:
                lists.setdefault(status, [])
        components[comp.name] = lists
        for status, name in comp.all_capabilities():
            placed.add(name)
            after = _next_status(status, scores.get(name))
            if after is not None:
                target = lists.setdefault(after, [])
                if name not in target:
                    target.append(name)
            if after != status:
                total = scores[name].total if name in scores else None
                proposal.changes.append(Change(name, status, after, total, comp.name))

    for name, result in scores.items():
        if name in placed or not result.candidate:
            continue
        capability = previous.capabilities.get(name)
        if capability is None:
            proposal.notes.append(
                f"{name}: scores {result.total} (cutoff {limit}) but {previous.id} does not "
                "define it: define its tests, then add it as advisory by hand"
            )
            continue
        home = _home(previous, capability)
        if home is None:
            proposal.notes.append(f"{name}: scores {result.total} but no component fits it")
            continue
        components[home][Status.ADVISORY].append(name)
        proposal.changes.append(Change(name, None, Status.ADVISORY, result.total, home))

    draft_status = {c.capability: c.after for c in proposal.changes}
    listed = {n for lists in components.values() for names in lists.values() for n in names}
    capabilities: dict[str, Capability] = {}
    for name, capability in previous.capabilities.items():
        if name in placed and name not in listed:
            continue  # pruned: removed before, and not qualifying again
        updated = _updated(capability, merged.get(name), previous, proposal.notes)
        if draft_status.get(name) is Status.REQUIRED:
            updated = replace(updated, required_since=dated)
        capabilities[name] = updated

    for change in proposal.changes:
        if change.before is Status.ADVISORY and change.after is Status.REMOVED:
            proposal.notes.append(
                f"{change.capability}: advisory but no longer qualifies (score "
                f"{change.total}): listed as removed"
            )
        elif change.before is Status.DEPRECATED and change.total and change.total >= limit:
            proposal.notes.append(
                f"{change.capability}: deprecated, removed although it scores {change.total}"
            )
    for name, result in scores.items():
        standing = previous.status_of(name)
        if result.total is None and standing in (Status.REQUIRED, Status.ADVISORY):
            proposal.notes.append(
                f"{name}: score undetermined ({', '.join(result.unknown) or 'non-admin'} "
                f"unknown): kept {standing}"
            )
    proposal.notes.append(
        f"releases carried over from {previous.id} ({', '.join(previous.releases) or 'none'}): "
        "name the releases the new guideline covers"
    )

    target_approval = dated
    if previous.target_approval and _DATED.match(previous.target_approval or ""):
        old = _DATED.match(previous.target_approval)
        if old and old["prefix"]:
            target_approval = new_id
    source = previous.source.replace(previous.id, new_id) if previous.source else None
    proposal.guideline = replace(
        previous,
        id=new_id,
        schema="2.0",
        status="draft",
        replaces=previous.id,
        target_approval=target_approval,
        source=source,
        criteria=dict(previous.criteria),
        components={
            name: Component(
                name,
                {s: tuple(v) for s, v in lists.items()},
                dict(previous.components[name].designated_sections),
                json_path=previous.components[name].json_path,
            )
            for name, lists in components.items()
        },
        capabilities=capabilities,
        path=None,
        load_findings=[],
    )
    return proposal


def _next_status(status: Status, result: Score | None) -> Status | None:
    candidate = result.candidate if result else None
    if status is Status.REQUIRED:
        return Status.DEPRECATED if candidate is False else Status.REQUIRED
    if status is Status.ADVISORY:
        if candidate is None:
            return Status.ADVISORY
        return Status.REQUIRED if candidate else Status.REMOVED
    if status is Status.DEPRECATED:
        return Status.REMOVED
    if status is Status.REMOVED:
        return Status.ADVISORY if candidate else None
    return status


def _updated(
    capability: Capability, card: Scorecard | None, guideline: Guideline, notes: list[str]
) -> Capability:
    """The capability with achievements and admin from a fully known card."""
    if card is None:
        return capability
    known = all(card.marks.get(k) is not None for k in guideline.criteria)
    if not known:
        return capability
    kept = []
    for word in capability.achievements:
        key = criterion_key(guideline, word)
        if key is not None and card.marks.get(key) == 1 and key not in kept:
            kept.append(key)
    kept += [k for k in guideline.criteria if card.marks.get(k) == 1 and k not in kept]
    admin = capability.admin if card.non_admin is None else card.non_admin == 0
    return replace(capability, achievements=tuple(kept), admin=admin)


def _home(guideline: Guideline, capability: Capability) -> str | None:
    """The component listing most capabilities of the same project (else name prefix)."""

    def key(name: str) -> str:
        other = guideline.capabilities.get(name)
        if capability.project and other is not None and other.project:
            return other.project
        return name.split("-", 1)[0]

    wanted = capability.project or capability.name.split("-", 1)[0]
    counts: Counter[str] = Counter()
    for comp in guideline.components.values():
        for _, name in comp.all_capabilities():
            if key(name) == wanted:
                counts[comp.name] += 1
    return counts.most_common(1)[0][0] if counts else None
