"""How long a certification lasts: the interop program's "two newest approved guidelines" rule.

A verified result certifies a product version for one guideline and one target (a program:
OpenStack Powered Platform, Compute, Storage, or an add-on). The program accepts results
against either of the two most recently approved guidelines of a family (the platform
guidelines `2020.06`, `2019.11`, ...; each add-on, `dns.*` and `orchestration.*`, is a family
of its own). So a certification is:

- **current** while its guideline is one of the two newest approved guidelines of its family;
- **expiring** from the day the second guideline newer than it is approved (the day it drops
  out of the two newest) for a grace period of `GRACE_MONTHS` months, time to re-test against
  a guideline that is still current;
- **expired** after that grace period.

Six months is one guideline cycle: the board approved the platform guidelines on dates six
months apart on average (2016-01-27, 2016-08-23, 2017-01-24, 2017-09-10, 2018.02, ...), so a
vendor gets about as long to re-test as the program takes to produce the next guideline.

Approval dates come from the guideline files, whose generations say it differently: schema
1.5/1.6 have a top-level `target_approval` date (`2016-01-27`); schema 2.0 has
`metadata.os_trademark_approval.target_approval` as a month (`2020.06`, or
`orchestration.2020.06` in add-ons), taken as the first of that month; schema 1.2 has none, so
the id's month is used. A guideline counts as approved when its status is `approved` or
`superseded` (superseded ones were approved first); drafts and advisory guidelines certify
nothing and push nothing out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from defcore.guidelines.model import Guideline

GRACE_MONTHS = 6
APPROVED_STATUSES = ("approved", "superseded")

_MONTH = re.compile(r"(?:^|\.)(\d{4})\.(\d{2})$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


@dataclass(frozen=True)
class Approval:
    """When one guideline of a family was approved."""

    guideline_id: str
    family: str  # "" for the platform guidelines, else the add-on's prefix ("dns")
    approved_on: date


def family_of(guideline_id: str) -> str:
    match = _MONTH.search(guideline_id)
    if match is None:
        return guideline_id
    return guideline_id[: match.start()]


def approval_of(guideline: Guideline, guideline_id: str | None = None) -> Approval | None:
    """The guideline's approval, or None when it is not (yet) an approved guideline.

    `guideline_id` is the id the server knows it by (its file's name), when given.
    """
    gid = guideline_id or guideline.id
    if (guideline.status or "").lower() not in APPROVED_STATUSES:
        return None
    when = _date_of(guideline.target_approval or "") or _date_of(gid)
    if when is None:
        return None
    return Approval(gid, family_of(gid), when)


def _date_of(text: str) -> date | None:
    day = _DAY.match(text.strip())
    if day is not None:
        try:
            return date(int(day[1]), int(day[2]), int(day[3]))
        except ValueError:
            return None
    month = _MONTH.search(text.strip())
    if month is not None and 1 <= int(month[2]) <= 12:
        return date(int(month[1]), int(month[2]), 1)
    return None


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for last in (day.day, 30, 29, 28):  # 31 August + 6 months is 28 or 29 February
        try:
            return date(year, month, last)
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Lifecycle:
    """A certification's dates for one guideline, and its status on one day."""

    guideline_id: str
    approved_on: date | None
    current_until: date | None  # None: still among the two newest, no end known yet
    expires_on: date | None
    status: str  # "current", "expiring" or "expired"
    # the guideline whose approval ended "current" (the second newer one), if any
    superseded_by: str | None = None


def lifecycle(
    guideline_id: str,
    approvals: list[Approval],
    today: date,
    grace_months: int = GRACE_MONTHS,
) -> Lifecycle:
    """The lifecycle of a certification against `guideline_id`, as of `today`.

    `approvals` are every approved guideline the server knows (any family). A guideline that is
    not among them (a draft, or a file no longer there) certifies nothing: expired.
    """
    own = next((a for a in approvals if a.guideline_id == guideline_id), None)
    if own is None:
        return Lifecycle(guideline_id, None, None, None, "expired")
    newer = sorted(
        (
            a
            for a in approvals
            if a.family == own.family
            and a.guideline_id != own.guideline_id
            and (a.approved_on, a.guideline_id) > (own.approved_on, own.guideline_id)
        ),
        key=lambda a: (a.approved_on, a.guideline_id),
    )
    if len(newer) < 2:
        return Lifecycle(guideline_id, own.approved_on, None, None, "current")
    pushed_out = newer[1]
    until = pushed_out.approved_on
    expires = add_months(until, grace_months)
    if today < until:
        status = "current"
    elif today < expires:
        status = "expiring"
    else:
        status = "expired"
    return Lifecycle(guideline_id, own.approved_on, until, expires, status, pushed_out.guideline_id)
