"""Who is asking, and what they may see and change.

Roles: a foundation admin may do anything; a vendor admin manages the vendor's members,
products and results; a vendor member uploads and reads the vendor's results; any account
reads its own uploads; everyone, signed in or not, reads what is public.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from defcore.errors import Forbidden
from defcore.server.models import ApiToken, Product, Result, User, VendorMember
from defcore.server.tokens import hash_token


@dataclass(frozen=True)
class Principal:
    user: User | None = None
    roles: dict[int, str] = field(default_factory=dict)  # vendor id -> "admin" | "member"
    # Signed in through a browser session: the CSRF token its forms must send back.
    csrf: str = ""
    token_id: int | None = None  # the API token the request was made with

    @property
    def signed_in(self) -> bool:
        return self.user is not None

    @property
    def admin(self) -> bool:
        return self.user is not None and self.user.foundation_admin

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user else None

    def member_of(self, vendor_id: int | None) -> bool:
        return self.admin or (vendor_id is not None and vendor_id in self.roles)

    def admin_of(self, vendor_id: int | None) -> bool:
        return self.admin or (vendor_id is not None and self.roles.get(vendor_id) == "admin")


ANONYMOUS = Principal()


def principal_for_token(session: Session, token: str | None) -> Principal | None:
    """The token's principal; None when a token was given but is unknown."""
    if not token:
        return ANONYMOUS
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if user is None:
        return None
    return principal_for_user(session, user, token_id=row.id)


def principal_for_user(
    session: Session, user: User, csrf: str = "", token_id: int | None = None
) -> Principal:
    """The account with its vendor roles (a signed upload acts as its key's owner; a browser
    session carries its forms' CSRF token; an API token names itself)."""
    roles = {
        m.vendor_id: m.role
        for m in session.scalars(select(VendorMember).where(VendorMember.user_id == user.id))
    }
    return Principal(user, roles, csrf, token_id)


def can_read_result(p: Principal, result: Result) -> bool:
    # An anonymous result is never listed, but its id (the URL its upload answered) reads it,
    # as in RefStack: nobody else could ever see it.
    return (
        result.public
        or result.uploader_id is None
        or p.admin
        or (p.user_id is not None and result.uploader_id == p.user_id)
        or (result.vendor_id is not None and result.vendor_id in p.roles)
    )


def can_change_result(p: Principal, result: Result) -> bool:
    return (
        p.admin
        or (p.user_id is not None and result.uploader_id == p.user_id)
        or p.admin_of(result.vendor_id)
    )


def require_change_result(p: Principal, result: Result) -> None:
    """Refuse (403) a change of a result that is not the caller's, its vendor's (as admin)
    or, for a foundation admin, anyone's."""
    if not can_change_result(p, result):
        raise Forbidden(f"result {result.id} belongs to another account or vendor")


def only_public(p: Principal) -> bool:
    """Whether `p` reads the public results and no others (readable_results is `public`)."""
    return not p.admin and p.user_id is None and not p.roles


def readable_results(p: Principal) -> ColumnElement[bool]:
    """A WHERE clause for the results `p` may read."""
    if p.admin:
        return true()
    clauses: list[ColumnElement[bool]] = [Result.public == true()]
    if p.user_id is not None:
        clauses.append(Result.uploader_id == p.user_id)
    if p.roles:
        clauses.append(Result.vendor_id.in_(list(p.roles)))
    return or_(*clauses) if clauses else false()


def can_read_product(p: Principal, product: Product) -> bool:
    return product.public or p.member_of(product.vendor_id)


def readable_products(p: Principal) -> ColumnElement[bool]:
    if p.admin:
        return true()
    clauses: list[ColumnElement[bool]] = [Product.public == true()]
    if p.roles:
        clauses.append(Product.vendor_id.in_(list(p.roles)))
    return or_(*clauses)
