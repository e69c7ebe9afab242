"""Certifications: verified results, locked to the product version they certify, and withdrawn.

A foundation admin verifies a result for a guideline and target; the verification records
the product version the result is associated with at that moment, and the certification (and
the marketplace's badge) belongs to that version. From then on the result is locked, whatever
endpoint or code path tries: it cannot be moved to another product version or vendor, made
private or deleted, and a version, product or vendor with a verification cannot be deleted
(a 409 that says why). Only a foundation admin's withdrawal, with a reason, ends a
certification; the withdrawn verification stays, with who and why, in the audit trail.

Each certification's status on a day (current, expiring, expired) follows the interop
program's rule in defcore.server.lifecycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, event, func, inspect, select
from sqlalchemy.orm import Session, selectinload

from defcore.errors import Conflict, Forbidden, NotFound
from defcore.server.access import Principal
from defcore.server.guidelines import GuidelineRegistry
from defcore.server.lifecycle import Lifecycle, lifecycle
from defcore.server.models import (
    Product,
    ProductVersion,
    Result,
    Vendor,
    Verification,
    utcnow,
)

# -- the lock ---------------------------------------------------------------------------------


def _verifications_of_result(connection: Connection, result_id: str) -> int:
    query = select(func.count(Verification.id)).where(Verification.result_id == result_id)
    return int(connection.scalar(query.where(Verification.withdrawn_at.is_(None))) or 0)


def _guard_result_update(connection: Connection, result: Result) -> None:
    state = inspect(result)
    moved = any(
        state.attrs[name].history.has_changes() for name in ("product_version_id", "vendor_id")
    )
    hidden = state.attrs["public"].history.has_changes() and not result.public
    if not (moved or hidden):
        return
    if _verifications_of_result(connection, result.id):
        what = "moved to another product version" if moved else "made private"
        raise Conflict(
            f"result {result.id} is verified: it cannot be {what} (a foundation admin must "
            "withdraw its verification first)"
        )


def _deleting(connection: Connection, target: object) -> None:
    """Refuse to delete a verified result, or a version, product or vendor with one."""
    count = select(func.count(Verification.id))
    by_version = count.join(ProductVersion, ProductVersion.id == Verification.product_version_id)
    if isinstance(target, Result):
        if connection.scalar(count.where(Verification.result_id == target.id)):
            raise Conflict(
                f"result {target.id} has been verified: it cannot be deleted (its verification "
                "and any withdrawal stay on record)"
            )
    elif isinstance(target, ProductVersion):
        if connection.scalar(count.where(Verification.product_version_id == target.id)):
            raise Conflict(
                f"product version {target.id} has verified results: it cannot be deleted"
            )
    elif isinstance(target, Product):
        if connection.scalar(by_version.where(ProductVersion.product_id == target.id)):
            raise Conflict(f"product {target.id} has verified results: it cannot be deleted")
    elif isinstance(target, Vendor):
        query = by_version.join(Product, Product.id == ProductVersion.product_id)
        if connection.scalar(query.where(Product.vendor_id == target.id)):
            raise Conflict(f"vendor {target.id} has verified results: it cannot be deleted")


def _guard(session: Session, _context: object, _instances: object) -> None:
    # Before the flush, so that the ORM has not yet touched dependent rows.
    if not (session.deleted or session.dirty):
        return
    connection = session.connection()
    for target in list(session.deleted):
        _deleting(connection, target)
    for target in list(session.dirty):
        if isinstance(target, Result):
            _guard_result_update(connection, target)


event.listen(Session, "before_flush", _guard)


# -- withdrawal -------------------------------------------------------------------------------


def withdraw(
    session: Session,
    p: Principal,
    result: Result,
    guideline_id: str,
    target: str,
    reason: str,
) -> Verification:
    if not p.admin or p.user is None:
        raise Forbidden("only a foundation admin may withdraw a verification")
    if not reason.strip():
        raise Conflict("a withdrawal needs a reason (it goes into the audit trail)")
    row = session.scalar(
        select(Verification).where(
            Verification.result_id == result.id,
            Verification.guideline_id == guideline_id,
            func.lower(Verification.target) == target.lower(),
        )
    )
    if row is None:
        raise NotFound(f"result {result.id} has no verification for {target} {guideline_id}")
    if row.withdrawn_at is not None:
        raise Conflict(
            f"the verification of result {result.id} for {row.target} {guideline_id} was "
            f"withdrawn on {row.withdrawn_at:%Y-%m-%d}"
        )
    row.withdrawn_at = utcnow()
    row.withdrawn_by = p.user.id
    row.withdraw_reason = reason.strip()
    session.flush()
    return row


# -- certifications ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Certification:
    product_id: int
    version_id: int
    version: str
    guideline_id: str
    target: str
    result_id: str
    verified_at: datetime
    lifecycle: Lifecycle
    withdrawn_at: datetime | None
    withdraw_reason: str

    @property
    def status(self) -> str:
        return "withdrawn" if self.withdrawn_at is not None else self.lifecycle.status

    @property
    def program(self) -> str:
        """The trademark program: the platform's name, or `OpenStack Powered <add-on>`."""
        return program_name(self.target)


def program_name(target: str) -> str:
    """`Orchestration` (an add-on's name) -> `OpenStack Powered Orchestration`; a platform's
    name (`OpenStack Powered Compute`) is its program's already."""
    return target if target.startswith("OpenStack Powered") else f"OpenStack Powered {target}"


def certifications(
    session: Session,
    registry: GuidelineRegistry,
    product_ids: list[int],
    today: date | None = None,
) -> dict[int, list[Certification]]:
    """Each product's certifications (withdrawn ones included), newest guideline first."""
    day = today or utcnow().date()
    approvals = registry.approvals()
    rows = session.scalars(
        select(Verification)
        .join(ProductVersion, ProductVersion.id == Verification.product_version_id)
        .where(ProductVersion.product_id.in_(product_ids))
        .options(selectinload(Verification.product_version))
    ).all()
    found: dict[int, list[Certification]] = {pid: [] for pid in product_ids}
    for row in rows:
        version = row.product_version
        found[version.product_id].append(
            Certification(
                product_id=version.product_id,
                version_id=version.id,
                version=version.version,
                guideline_id=row.guideline_id,
                target=row.target,
                result_id=row.result_id,
                verified_at=row.created_at,
                lifecycle=lifecycle(row.guideline_id, approvals, day),
                withdrawn_at=row.withdrawn_at,
                withdraw_reason=row.withdraw_reason,
            )
        )
    for items in found.values():
        items.sort(key=lambda c: (c.guideline_id, c.target, c.version), reverse=True)
    return found


STANDING_ORDER = ("current", "expiring", "expired", "withdrawn")


def standing(items: list[Certification]) -> str:
    """A product's best status: current, expiring, expired, withdrawn, or "none"."""
    statuses = {c.status for c in items}
    return next((s for s in STANDING_ORDER if s in statuses), "none")
