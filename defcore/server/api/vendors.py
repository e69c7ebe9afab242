"""/v1/vendors and /v1/me/invitations: vendors registered by any account, the foundation's
decision on making them official, and membership by invitation (defcore.server.vendors)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from defcore.server import schemas, vendors
from defcore.server.access import Principal
from defcore.server.api.common import ERRORS, SIGNED_IN, Id, app_state, signed_in
from defcore.server.models import Invitation, User, Vendor, VendorMember

router = APIRouter(prefix="/v1", tags=["vendors"])


def vendor_out(vendor: Vendor, p: Principal) -> schemas.VendorOut:
    return schemas.VendorOut(
        id=vendor.id,
        name=vendor.name,
        status=vendor.status,
        status_reason=vendor.status_reason if p.member_of(vendor.id) else "",
    )


def _invitation_out(invitation: Invitation) -> schemas.InvitationOut:
    return schemas.InvitationOut(
        id=invitation.id,
        vendor_id=invitation.vendor_id,
        vendor=invitation.vendor.name,
        user=invitation.user_name,
        role=invitation.role,
        created_at=invitation.created_at,
    )


def _member_out(member: VendorMember, user: User) -> schemas.MemberOut:
    return schemas.MemberOut(user_id=user.id, user=user.name, role=member.role)


@router.get("/vendors", response_model=list[schemas.VendorOut], responses=ERRORS)
def list_vendors(request: Request) -> list[schemas.VendorOut]:
    with app_state(request).tx(request) as (session, p):
        rows = session.scalars(
            select(Vendor).where(vendors.readable_vendors(p)).order_by(Vendor.name)
        ).all()
        return [vendor_out(v, p) for v in rows]


@router.post(
    "/vendors",
    status_code=201,
    response_model=schemas.VendorOut,
    responses=ERRORS,
    summary="Register a vendor: private, with the caller as its admin",
    dependencies=[SIGNED_IN],
)
def create_vendor(request: Request, body: schemas.VendorIn) -> schemas.VendorOut:
    with app_state(request).tx(request) as (session, p):
        vendor = vendors.register_vendor(session, signed_in(p), body.name)
        return schemas.VendorOut(id=vendor.id, name=vendor.name, status=vendor.status)


@router.get("/vendors/{vendor_id}", response_model=schemas.VendorOut, responses=ERRORS)
def get_vendor(request: Request, vendor_id: Id) -> schemas.VendorOut:
    with app_state(request).tx(request) as (session, p):
        return vendor_out(vendors.readable_vendor(session, p, vendor_id), p)


@router.get(
    "/vendors/{vendor_id}/events", response_model=list[schemas.VendorEventOut], responses=ERRORS
)
def vendor_events(request: Request, vendor_id: Id) -> list[schemas.VendorEventOut]:
    with app_state(request).tx(request) as (session, p):
        return [
            schemas.VendorEventOut(
                kind=e.kind, actor=e.actor.name, reason=e.reason, at=e.created_at
            )
            for e in vendors.events_of(session, signed_in(p), vendor_id)
        ]


@router.post(
    "/vendors/{vendor_id}/request-official",
    response_model=schemas.VendorOut,
    responses=ERRORS,
    dependencies=[SIGNED_IN],
)
def request_official(request: Request, vendor_id: Id) -> schemas.VendorOut:
    with app_state(request).tx(request) as (session, p):
        return vendor_out(vendors.request_official(session, signed_in(p), vendor_id), p)


@router.post(
    "/vendors/{vendor_id}/approve",
    response_model=schemas.VendorOut,
    responses=ERRORS,
    dependencies=[SIGNED_IN],
)
def approve(request: Request, vendor_id: Id, body: schemas.ApproveIn) -> schemas.VendorOut:
    with app_state(request).tx(request) as (session, p):
        return vendor_out(vendors.decide(session, signed_in(p), vendor_id, True, body.reason), p)


@router.post(
    "/vendors/{vendor_id}/deny",
    response_model=schemas.VendorOut,
    responses=ERRORS,
    dependencies=[SIGNED_IN],
)
def deny(request: Request, vendor_id: Id, body: schemas.DenyIn) -> schemas.VendorOut:
    with app_state(request).tx(request) as (session, p):
        return vendor_out(vendors.decide(session, signed_in(p), vendor_id, False, body.reason), p)


# -- members and invitations -------------------------------------------------------------------


@router.get(
    "/vendors/{vendor_id}/members", response_model=list[schemas.MemberOut], responses=ERRORS
)
def list_members(request: Request, vendor_id: Id) -> list[schemas.MemberOut]:
    with app_state(request).tx(request) as (session, p):
        return [
            _member_out(m, m.user) for m in vendors.members_of(session, signed_in(p), vendor_id)
        ]


@router.patch(
    "/vendors/{vendor_id}/members/{user_id}",
    response_model=schemas.MemberOut,
    responses=ERRORS,
    dependencies=[SIGNED_IN],
)
def change_member(
    request: Request, vendor_id: Id, user_id: Id, body: schemas.RoleIn
) -> schemas.MemberOut:
    with app_state(request).tx(request) as (session, p):
        member = vendors.change_role(session, signed_in(p), vendor_id, user_id, body.role)
        return _member_out(member, member.user)


@router.delete(
    "/vendors/{vendor_id}/members/{user_id}",
    status_code=204,
    responses=ERRORS,
    dependencies=[SIGNED_IN],
)
def remove_member(request: Request, vendor_id: Id, user_id: Id) -> Response:
    with app_state(request).tx(request) as (session, p):
        vendors.remove_member(session, signed_in(p), vendor_id, user_id)
    return Response(status_code=204)


@router.post(
    "/vendors/{vendor_id}/invitations",
    status_code=201,
    response_model=schemas.InvitationOut,
    responses=ERRORS,
    summary="Invite an account by name; it is a member once it accepts",
    dependencies=[SIGNED_IN],
)
def invite(request: Request, vendor_id: Id, body: schemas.InvitationIn) -> schemas.InvitationOut:
    with app_state(request).tx(request) as (session, p):
        invitation = vendors.invite(session, signed_in(p), vendor_id, body.user, body.role)
        session.refresh(invitation)
        return _invitation_out(invitation)


@router.get(
    "/vendors/{vendor_id}/invitations",
    response_model=list[schemas.InvitationOut],
    responses=ERRORS,
)
def vendor_invitations(request: Request, vendor_id: Id) -> list[schemas.InvitationOut]:
    with app_state(request).tx(request) as (session, p):
        rows = vendors.invitations_of_vendor(session, signed_in(p), vendor_id)
        return [_invitation_out(i) for i in rows]


@router.delete(
    "/vendors/{vendor_id}/invitations/{invitation_id}",
    status_code=204,
    responses=ERRORS,
    dependencies=[SIGNED_IN],
)
def cancel_invitation(request: Request, vendor_id: Id, invitation_id: Id) -> Response:
    with app_state(request).tx(request) as (session, p):
        vendors.cancel_invitation(session, signed_in(p), vendor_id, invitation_id)
    return Response(status_code=204)


@router.get("/me/invitations", response_model=list[schemas.InvitationOut], responses=ERRORS)
def my_invitations(request: Request) -> list[schemas.InvitationOut]:
    with app_state(request).tx(request) as (session, p):
        return [_invitation_out(i) for i in vendors.my_invitations(session, signed_in(p))]


@router.post(
    "/me/invitations/{invitation_id}/accept",
    status_code=201,
    response_model=schemas.MemberOut,
    responses=ERRORS,
    dependencies=[SIGNED_IN],
)
def accept_invitation(request: Request, invitation_id: Id) -> schemas.MemberOut:
    with app_state(request).tx(request) as (session, p):
        member = vendors.accept(session, signed_in(p), invitation_id)
        assert p.user is not None
        return _member_out(member, p.user)


@router.delete(
    "/me/invitations/{invitation_id}", status_code=204, responses=ERRORS, dependencies=[SIGNED_IN]
)
def decline_invitation(request: Request, invitation_id: Id) -> Response:
    with app_state(request).tx(request) as (session, p):
        vendors.decline(session, signed_in(p), invitation_id)
    return Response(status_code=204)
