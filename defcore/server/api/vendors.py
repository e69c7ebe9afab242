"""/v1/vendors: the vendors (created by a foundation admin) and their members."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from defcore.errors import Conflict, Forbidden, NotFound
from defcore.server import schemas
from defcore.server.api.common import ERRORS, SIGNED_IN, Id, app_state, signed_in
from defcore.server.models import User, Vendor, VendorMember

router = APIRouter(prefix="/v1", tags=["vendors"])


@router.get("/vendors", response_model=list[schemas.VendorOut], responses=ERRORS)
def list_vendors(request: Request) -> list[schemas.VendorOut]:
    with app_state(request).tx(request) as (session, _p):
        rows = session.scalars(select(Vendor).order_by(Vendor.name)).all()
        return [schemas.VendorOut(id=v.id, name=v.name) for v in rows]


@router.post(
    "/vendors",
    status_code=201,
    response_model=schemas.VendorOut,
    responses=ERRORS,
    dependencies=[SIGNED_IN],
)
def create_vendor(request: Request, body: schemas.VendorIn) -> schemas.VendorOut:
    with app_state(request).tx(request) as (session, p):
        if not signed_in(p).admin:
            raise Forbidden("only a foundation admin may create vendors")
        if session.scalar(select(Vendor).where(Vendor.name == body.name)) is not None:
            raise Conflict(f"a vendor named {body.name!r} exists")
        vendor = Vendor(name=body.name)
        session.add(vendor)
        session.flush()
        return schemas.VendorOut(id=vendor.id, name=vendor.name)


def vendor_or_404(session: Session, vendor_id: int) -> Vendor:
    vendor = session.get(Vendor, vendor_id)
    if vendor is None:
        raise NotFound(f"no vendor {vendor_id}")
    return vendor


@router.get(
    "/vendors/{vendor_id}/members", response_model=list[schemas.MemberOut], responses=ERRORS
)
def list_members(request: Request, vendor_id: Id) -> list[schemas.MemberOut]:
    with app_state(request).tx(request) as (session, p):
        vendor = vendor_or_404(session, vendor_id)
        if not signed_in(p).member_of(vendor.id):
            raise Forbidden(f"members of vendor {vendor_id} are private to it")
        return [
            schemas.MemberOut(user_id=m.user_id, user=m.user.name, role=m.role)
            for m in vendor.members
        ]


@router.post(
    "/vendors/{vendor_id}/members",
    status_code=201,
    response_model=schemas.MemberOut,
    responses=ERRORS,
    dependencies=[SIGNED_IN],
)
def add_member(request: Request, vendor_id: Id, body: schemas.MemberIn) -> schemas.MemberOut:
    with app_state(request).tx(request) as (session, p):
        vendor = vendor_or_404(session, vendor_id)
        if not signed_in(p).admin_of(vendor.id):
            raise Forbidden(f"only an admin of vendor {vendor_id} may add members")
        user = session.get(User, body.user_id)
        if user is None:
            raise NotFound(f"no account {body.user_id}")
        member = session.scalar(
            select(VendorMember).where(
                VendorMember.vendor_id == vendor.id, VendorMember.user_id == user.id
            )
        )
        if member is None:
            member = VendorMember(vendor_id=vendor.id, user_id=user.id, role=body.role)
            session.add(member)
        else:
            member.role = body.role
        session.flush()
        return schemas.MemberOut(user_id=user.id, user=user.name, role=member.role)
