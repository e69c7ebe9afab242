"""Vendors: self-registration, the foundation's decision, and membership by invitation.

Any account registers a vendor, which starts private with that account as its admin. Its admin
asks for it to become official; a foundation admin approves it or denies it with a reason (back
to private). Every step is a row of `vendor_events`.

Membership needs consent: a vendor admin invites an account by name, and the account becomes a
member only when it accepts. Inviting answers the same whether or not such an account exists,
so invitations tell nobody which accounts there are.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from defcore.errors import Conflict, Forbidden, InvalidInput, NotFound
from defcore.server.access import Principal
from defcore.server.models import Invitation, User, Vendor, VendorEvent, VendorMember


def readable_vendors(p: Principal) -> ColumnElement[bool]:
    """Official vendors are public; private and pending ones only to their members."""
    if p.admin:
        return true()
    return or_(Vendor.status == "official", Vendor.id.in_(list(p.roles)))


def readable_vendor(session: Session, p: Principal, vendor_id: int) -> Vendor:
    vendor = session.get(Vendor, vendor_id)
    if vendor is None or not (vendor.status == "official" or p.member_of(vendor.id)):
        raise NotFound(f"no vendor {vendor_id}")
    return vendor


def _administered(session: Session, p: Principal, vendor_id: int, doing: str) -> Vendor:
    vendor = readable_vendor(session, p, vendor_id)
    if not p.admin_of(vendor.id):
        raise Forbidden(f"only an admin of vendor {vendor_id} may {doing}")
    return vendor


def _event(session: Session, vendor: Vendor, kind: str, actor: User, reason: str = "") -> None:
    session.add(VendorEvent(vendor_id=vendor.id, kind=kind, actor_id=actor.id, reason=reason))


def register_vendor(session: Session, p: Principal, name: str) -> Vendor:
    assert p.user is not None
    if session.scalar(select(Vendor.id).where(Vendor.name == name)) is not None:
        raise Conflict(f"a vendor named {name!r} exists")
    vendor = Vendor(name=name, status="private")
    session.add(vendor)
    session.flush()
    session.add(VendorMember(vendor_id=vendor.id, user_id=p.user.id, role="admin"))
    _event(session, vendor, "registered", p.user)
    session.flush()
    return vendor


def request_official(session: Session, p: Principal, vendor_id: int) -> Vendor:
    vendor = _administered(session, p, vendor_id, "ask for it to become official")
    if vendor.status != "private":
        raise Conflict(f"vendor {vendor.name!r} is {vendor.status}, not private")
    assert p.user is not None
    vendor.status = "pending"
    _event(session, vendor, "requested", p.user)
    session.flush()
    return vendor


def decide(session: Session, p: Principal, vendor_id: int, approve: bool, reason: str) -> Vendor:
    """A foundation admin's approval (pending -> official) or denial (pending -> private)."""
    if not p.admin:
        raise Forbidden("only a foundation admin may approve or deny a vendor")
    assert p.user is not None
    vendor = readable_vendor(session, p, vendor_id)
    if vendor.status != "pending":
        raise Conflict(f"vendor {vendor.name!r} is {vendor.status}: nothing was asked")
    if not approve and not reason.strip():
        raise InvalidInput("reason: a denial needs a reason the vendor can act on")
    vendor.status = "official" if approve else "private"
    vendor.status_reason = reason
    _event(session, vendor, "approved" if approve else "denied", p.user, reason)
    session.flush()
    return vendor


def _for_members(session: Session, p: Principal, vendor_id: int, refusal: str) -> Vendor:
    """The vendor, to its members and foundation admins; to others who may see it, 403."""
    vendor = readable_vendor(session, p, vendor_id)
    if not p.member_of(vendor.id):
        raise Forbidden(refusal)
    return vendor


def events_of(session: Session, p: Principal, vendor_id: int) -> list[VendorEvent]:
    refusal = f"the registration of vendor {vendor_id} is private to it"
    vendor = _for_members(session, p, vendor_id, refusal)
    return list(
        session.scalars(
            select(VendorEvent).where(VendorEvent.vendor_id == vendor.id).order_by(VendorEvent.id)
        )
    )


# -- membership --------------------------------------------------------------------------------


def memberships_of(session: Session, user_id: int) -> list[tuple[VendorMember, Vendor]]:
    """The account's memberships, with their vendors, by vendor name."""
    rows = session.execute(
        select(VendorMember, Vendor)
        .join(Vendor, Vendor.id == VendorMember.vendor_id)
        .where(VendorMember.user_id == user_id)
        .order_by(Vendor.name)
    ).all()
    return [(member, vendor) for member, vendor in rows]


def members_of(session: Session, p: Principal, vendor_id: int) -> list[VendorMember]:
    refusal = f"members of vendor {vendor_id} are private to it"
    vendor = _for_members(session, p, vendor_id, refusal)
    return list(
        session.scalars(
            select(VendorMember)
            .where(VendorMember.vendor_id == vendor.id)
            .order_by(VendorMember.id)
        )
    )


def invite(session: Session, p: Principal, vendor_id: int, user_name: str, role: str) -> Invitation:
    vendor = _administered(session, p, vendor_id, "invite members")
    assert p.user is not None
    member = session.scalar(
        select(VendorMember)
        .join(User, User.id == VendorMember.user_id)
        .where(VendorMember.vendor_id == vendor.id, User.name == user_name)
    )
    if member is not None:
        raise Conflict(f"{user_name!r} is already a member of vendor {vendor.name!r}")
    invitation = Invitation(
        vendor_id=vendor.id, user_name=user_name, role=role, invited_by=p.user.id
    )
    try:
        with session.begin_nested():
            session.add(invitation)
    except IntegrityError:
        raise Conflict(f"{user_name!r} is already invited to vendor {vendor.name!r}") from None
    return invitation


def invitations_of_vendor(session: Session, p: Principal, vendor_id: int) -> list[Invitation]:
    vendor = _administered(session, p, vendor_id, "see its invitations")
    return list(
        session.scalars(
            select(Invitation).where(Invitation.vendor_id == vendor.id).order_by(Invitation.id)
        )
    )


def cancel_invitation(session: Session, p: Principal, vendor_id: int, invitation_id: int) -> None:
    vendor = _administered(session, p, vendor_id, "cancel its invitations")
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or invitation.vendor_id != vendor.id:
        raise NotFound(f"no invitation {invitation_id} of vendor {vendor_id}")
    session.delete(invitation)


def my_invitations(session: Session, p: Principal) -> list[Invitation]:
    assert p.user is not None
    return list(
        session.scalars(
            select(Invitation).where(Invitation.user_name == p.user.name).order_by(Invitation.id)
        )
    )


def _my_invitation(session: Session, p: Principal, invitation_id: int) -> Invitation:
    assert p.user is not None
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or invitation.user_name != p.user.name:
        raise NotFound(f"no invitation {invitation_id} for you")
    return invitation


def accept(session: Session, p: Principal, invitation_id: int) -> VendorMember:
    invitation = _my_invitation(session, p, invitation_id)
    assert p.user is not None
    member = VendorMember(vendor_id=invitation.vendor_id, user_id=p.user.id, role=invitation.role)
    session.add(member)
    session.delete(invitation)
    session.flush()
    return member


def decline(session: Session, p: Principal, invitation_id: int) -> None:
    session.delete(_my_invitation(session, p, invitation_id))


def _member(session: Session, vendor: Vendor, user_id: int) -> VendorMember:
    member = session.scalar(
        select(VendorMember).where(
            VendorMember.vendor_id == vendor.id, VendorMember.user_id == user_id
        )
    )
    if member is None:
        raise NotFound(f"account {user_id} is not a member of vendor {vendor.id}")
    return member


def _keep_an_admin(session: Session, vendor: Vendor, member: VendorMember) -> None:
    if member.role != "admin":
        return
    admins = session.scalar(
        select(func.count(VendorMember.id)).where(
            VendorMember.vendor_id == vendor.id, VendorMember.role == "admin"
        )
    )
    if (admins or 0) <= 1:
        raise Conflict(f"vendor {vendor.name!r} would have no admin left")


def change_role(
    session: Session, p: Principal, vendor_id: int, user_id: int, role: str
) -> VendorMember:
    vendor = _administered(session, p, vendor_id, "change roles")
    member = _member(session, vendor, user_id)
    if role != member.role:
        _keep_an_admin(session, vendor, member)
        member.role = role
        session.flush()
    return member


def remove_member(session: Session, p: Principal, vendor_id: int, user_id: int) -> None:
    """A vendor admin removes a member; a member may also leave."""
    vendor = readable_vendor(session, p, vendor_id)
    if not (p.admin_of(vendor.id) or (p.user_id == user_id and p.member_of(vendor.id))):
        raise Forbidden(f"only an admin of vendor {vendor_id} may remove members")
    member = _member(session, vendor, user_id)
    _keep_an_admin(session, vendor, member)
    session.delete(member)
