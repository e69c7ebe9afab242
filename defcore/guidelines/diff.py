"""What changed between two guidelines: capabilities, tests, flags, designated sections."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from defcore.guidelines.model import Guideline, Status


@dataclass(frozen=True)
class Change:
    """One difference; `kind` is a stable word, `subject` what it is about."""

    kind: str
    subject: str
    old: str = ""
    new: str = ""
    detail: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


# Kinds in the order a reader wants them.
KINDS = (
    "capability-added",
    "capability-removed",
    "capability-status",
    "test-added",
    "test-removed",
    "test-flagged",
    "test-unflagged",
    "section-added",
    "section-removed",
    "section-changed",
)


def _status(g: Guideline, cap: str) -> str:
    status = g.status_of(cap)
    return str(status) if status else "unlisted"


def diff(old: Guideline, new: Guideline) -> list[Change]:
    changes: list[Change] = []
    for cap in sorted(set(new.capabilities) - set(old.capabilities)):
        changes.append(Change("capability-added", cap, new=_status(new, cap)))
    for cap in sorted(set(old.capabilities) - set(new.capabilities)):
        changes.append(Change("capability-removed", cap, old=_status(old, cap)))
    for cap in sorted(set(old.capabilities) & set(new.capabilities)):
        before, after = _status(old, cap), _status(new, cap)
        if before != after:
            changes.append(Change("capability-status", cap, before, after))
    changes += _test_changes(old, new)
    changes += _section_changes(old, new)
    order = {kind: i for i, kind in enumerate(KINDS)}
    return sorted(changes, key=lambda c: (order[c.kind], c.subject))


def _test_changes(old: Guideline, new: Guideline) -> list[Change]:
    """Test changes inside capabilities both guidelines have; an added or removed capability
    brings or takes its tests with it and is reported once, as a capability change."""
    changes = []
    for cap_name in sorted(set(old.capabilities) & set(new.capabilities)):
        before = {t.name: t for t in old.capabilities[cap_name].tests}
        after = {t.name: t for t in new.capabilities[cap_name].tests}
        for name in sorted(set(after) - set(before)):
            flag = after[name].flag
            detail = f"flagged: {flag.reason}" if flag else ""
            changes.append(Change("test-added", name, new=cap_name, detail=detail))
        for name in sorted(set(before) - set(after)):
            changes.append(Change("test-removed", name, old=cap_name))
        for name in sorted(set(before) & set(after)):
            was, now = before[name].flag, after[name].flag
            if was is None and now is not None:
                changes.append(Change("test-flagged", name, new=cap_name, detail=now.reason))
            elif was is not None and now is None:
                changes.append(Change("test-unflagged", name, old=cap_name, detail=was.reason))
    return changes


def _sections(g: Guideline) -> dict[tuple[str, str], tuple[Status, bool]]:
    """(project, section) -> (status, designated)."""
    out = {}
    for project, by_status in g.designated_sections.items():
        for status, sections in by_status.items():
            for section in sections.sections:
                out[(project, section.name)] = (status, section.designated)
    return out


def _describe(state: tuple[Status, bool]) -> str:
    status, designated = state
    return f"{status}, {'designated' if designated else 'not designated'}"


def _section_changes(old: Guideline, new: Guideline) -> list[Change]:
    before, after = _sections(old), _sections(new)
    changes = []
    for key in sorted(set(after) - set(before)):
        changes.append(Change("section-added", f"{key[0]}: {key[1]}", new=_describe(after[key])))
    for key in sorted(set(before) - set(after)):
        changes.append(Change("section-removed", f"{key[0]}: {key[1]}", old=_describe(before[key])))
    for key in sorted(set(before) & set(after)):
        if before[key] != after[key]:
            changes.append(
                Change(
                    "section-changed",
                    f"{key[0]}: {key[1]}",
                    _describe(before[key]),
                    _describe(after[key]),
                )
            )
    return changes
