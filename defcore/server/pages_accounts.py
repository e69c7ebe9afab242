"""Pages with forms for an account, its vendors and their products.

`/account` (keys, tokens, invitations, vendor registration), `/vendors/ID` (the decision,
members and invitations, products) and `/products/ID/edit` (the product and its versions).
Each form posts to a route here that calls the same rules as the API (defcore.server.vendors,
products, keys, token_store), taken as defcore.server.page_forms says.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from defcore.server import products, schemas, vendors
from defcore.server.access import Principal
from defcore.server.keys import delete_own_key, keys_of, proof_message, register_key
from defcore.server.models import PRODUCT_KINDS, Product
from defcore.server.page_forms import (
    Action,
    Form,
    Id,
    app_state,
    check_csrf,
    parse_form,
    signed_in,
    take_form,
)
from defcore.server.pages import page
from defcore.server.pages_session import read_form
from defcore.server.token_store import issue, revoke, rotate, tokens_of

router = APIRouter(include_in_schema=False)


# -- the account ---------------------------------------------------------------------------------


def _account_page(session: Session, p: Principal, code: int = 200, new_token: str = "") -> Response:
    user = p.user
    assert user is not None
    return page(
        "account.html",
        p,
        code,
        keys=keys_of(session, user.id),
        tokens=tokens_of(session, user.id),
        current_token=p.token_id,
        invitations=vendors.my_invitations(session, p),
        memberships=vendors.memberships_of(session, user.id),
        proof=proof_message(user.id).decode(),
        new_token=new_token,
    )


@router.get("/account")
def account(request: Request) -> Response:
    with app_state(request).tx(request) as (session, p):
        if p.user is None:
            return RedirectResponse("/login", status_code=303)
        return _account_page(session, p)


@router.post("/account/keys")
async def add_key(request: Request) -> Response:
    def action(session: Session, p: Principal, form: Form) -> str:
        body = parse_form(schemas.KeyIn, form)
        assert p.user is not None
        register_key(session, p.user, body.public_key, body.self_signature, body.label)
        return "/account"

    return await take_form(request, action)


@router.post("/account/keys/{key_id}/delete")
async def delete_key(request: Request, key_id: Id) -> Response:
    def action(session: Session, p: Principal, form: Form) -> str:
        assert p.user is not None
        delete_own_key(session, p.user, key_id)
        return "/account"

    return await take_form(request, action)


async def _show_new_token(
    request: Request, make: Callable[[Session, Principal, Form], str]
) -> Response:
    """A new token is shown once, on the answer to the form (never in a URL)."""
    form = await read_form(request)

    def work() -> Response:  # in a worker thread: the event loop never waits on the database
        with app_state(request).tx(request) as (session, p):
            check_csrf(request, signed_in(p), form)
            token = make(session, p, form)
            return _account_page(session, p, 201, new_token=token)

    return await run_in_threadpool(work)


@router.post("/account/tokens")
async def add_token(request: Request) -> Response:
    def make(session: Session, p: Principal, form: Form) -> str:
        assert p.user is not None
        return issue(session, p.user.id, parse_form(schemas.TokenIn, form).label)[1]

    return await _show_new_token(request, make)


@router.post("/account/tokens/{token_id}/rotate")
async def rotate_token(request: Request, token_id: Id) -> Response:
    return await _show_new_token(request, lambda session, p, _: rotate(session, p, token_id)[1])


@router.post("/account/tokens/{token_id}/revoke")
async def revoke_token(request: Request, token_id: Id) -> Response:
    def action(session: Session, p: Principal, form: Form) -> str:
        revoke(session, p, token_id)
        return "/account"

    return await take_form(request, action)


@router.post("/account/invitations/{invitation_id}/accept")
async def accept_invitation(request: Request, invitation_id: Id) -> Response:
    def action(session: Session, p: Principal, form: Form) -> str:
        return f"/vendors/{vendors.accept(session, p, invitation_id).vendor_id}"

    return await take_form(request, action)


@router.post("/account/invitations/{invitation_id}/decline")
async def decline_invitation(request: Request, invitation_id: Id) -> Response:
    def action(session: Session, p: Principal, form: Form) -> str:
        vendors.decline(session, p, invitation_id)
        return "/account"

    return await take_form(request, action)


# -- vendors -------------------------------------------------------------------------------------


@router.post("/vendors")
async def register_vendor(request: Request) -> Response:
    def action(session: Session, p: Principal, form: Form) -> str:
        vendor = vendors.register_vendor(session, p, parse_form(schemas.VendorIn, form).name)
        return f"/vendors/{vendor.id}"

    return await take_form(request, action)


@router.get("/vendors/{vendor_id}")
def vendor_page(request: Request, vendor_id: Id) -> Response:
    with app_state(request).tx(request) as (session, p):
        vendor = vendors.readable_vendor(session, p, vendor_id)
        member = p.member_of(vendor.id)
        query = select(Product).where(Product.vendor_id == vendor.id).order_by(Product.name)
        if not member:
            query = query.where(Product.public.is_(True))
        return page(
            "vendor.html",
            p,
            vendor=vendor,
            member=member,
            vendor_admin=p.admin_of(vendor.id),
            foundation_admin=p.admin,
            members=vendors.members_of(session, p, vendor.id) if member else [],
            invitations=(
                vendors.invitations_of_vendor(session, p, vendor.id)
                if p.admin_of(vendor.id)
                else []
            ),
            events=vendors.events_of(session, p, vendor.id) if member else [],
            products=session.scalars(query).all(),
            kinds=PRODUCT_KINDS,
        )


def _on_vendor(vendor_id: int, act: Callable[[Session, Principal, Form], object]) -> Action:
    def action(session: Session, p: Principal, form: Form) -> str:
        act(session, p, form)
        return f"/vendors/{vendor_id}"

    return action


@router.post("/vendors/{vendor_id}/request-official")
async def request_official(request: Request, vendor_id: Id) -> Response:
    def act(session: Session, p: Principal, form: Form) -> object:
        return vendors.request_official(session, p, vendor_id)

    return await take_form(request, _on_vendor(vendor_id, act))


@router.post("/vendors/{vendor_id}/approve")
async def approve(request: Request, vendor_id: Id) -> Response:
    def act(session: Session, p: Principal, form: Form) -> object:
        reason = parse_form(schemas.ApproveIn, form).reason
        return vendors.decide(session, p, vendor_id, True, reason)

    return await take_form(request, _on_vendor(vendor_id, act))


@router.post("/vendors/{vendor_id}/deny")
async def deny(request: Request, vendor_id: Id) -> Response:
    def act(session: Session, p: Principal, form: Form) -> object:
        reason = parse_form(schemas.DenyIn, form).reason
        return vendors.decide(session, p, vendor_id, False, reason)

    return await take_form(request, _on_vendor(vendor_id, act))


@router.post("/vendors/{vendor_id}/invitations")
async def invite(request: Request, vendor_id: Id) -> Response:
    def act(session: Session, p: Principal, form: Form) -> object:
        body = parse_form(schemas.InvitationIn, form)
        return vendors.invite(session, p, vendor_id, body.user, body.role)

    return await take_form(request, _on_vendor(vendor_id, act))


@router.post("/vendors/{vendor_id}/invitations/{invitation_id}/cancel")
async def cancel_invitation(request: Request, vendor_id: Id, invitation_id: Id) -> Response:
    def act(session: Session, p: Principal, form: Form) -> object:
        vendors.cancel_invitation(session, p, vendor_id, invitation_id)
        return None

    return await take_form(request, _on_vendor(vendor_id, act))


@router.post("/vendors/{vendor_id}/members/{user_id}/remove")
async def remove_member(request: Request, vendor_id: Id, user_id: Id) -> Response:
    def action(session: Session, p: Principal, form: Form) -> str:
        vendors.remove_member(session, p, vendor_id, user_id)
        # a member who left may no longer see a private vendor's page
        return "/account" if user_id == p.user_id else f"/vendors/{vendor_id}"

    return await take_form(request, action)


@router.post("/vendors/{vendor_id}/products")
async def add_product(request: Request, vendor_id: Id) -> Response:
    def action(session: Session, p: Principal, form: Form) -> str:
        body = parse_form(schemas.ProductIn, form)
        vendor = vendors.readable_vendor(session, p, vendor_id)
        product = products.create_product(
            session, p, vendor, body.name, body.kind, body.description, body.public
        )
        return f"/products/{product.id}/edit"

    return await take_form(request, action)


# -- products ------------------------------------------------------------------------------------


@router.get("/products/{product_id}/edit")
def product_page(request: Request, product_id: Id) -> Response:
    with app_state(request).tx(request) as (session, p):
        product = products.administered_product(session, signed_in(p), product_id)
        return page("product_edit.html", p, product=product, kinds=PRODUCT_KINDS)


@router.post("/products/{product_id}/edit")
async def edit_product(request: Request, product_id: Id) -> Response:
    def action(session: Session, p: Principal, form: Form) -> str:
        # the form shows every field; an unticked "public" box is sent as nothing
        change = parse_form(schemas.ProductPatch, {"public": "false"} | form)
        products.change_product(
            session, p, product_id, change.name, change.kind, change.description, change.public
        )
        return f"/products/{product_id}/edit"

    return await take_form(request, action)


@router.post("/products/{product_id}/delete")
async def remove_product(request: Request, product_id: Id) -> Response:
    def action(session: Session, p: Principal, form: Form) -> str:
        vendor_id = products.administered_product(session, p, product_id).vendor_id
        products.delete_product(session, p, product_id)
        return f"/vendors/{vendor_id}"

    return await take_form(request, action)


@router.post("/products/{product_id}/versions")
async def add_version(request: Request, product_id: Id) -> Response:
    def action(session: Session, p: Principal, form: Form) -> str:
        body = parse_form(schemas.VersionIn, form)
        products.add_version(session, p, product_id, body.version, body.cpid)
        return f"/products/{product_id}/edit"

    return await take_form(request, action)


@router.post("/products/{product_id}/versions/{version_id}/edit")
async def edit_version(request: Request, product_id: Id, version_id: Id) -> Response:
    def action(session: Session, p: Principal, form: Form) -> str:
        change = parse_form(schemas.VersionPatch, form)
        products.change_version(session, p, product_id, version_id, change.version, change.cpid)
        return f"/products/{product_id}/edit"

    return await take_form(request, action)


@router.post("/products/{product_id}/versions/{version_id}/delete")
async def remove_version(request: Request, product_id: Id, version_id: Id) -> Response:
    def action(session: Session, p: Principal, form: Form) -> str:
        products.delete_version(session, p, product_id, version_id)
        return f"/products/{product_id}/edit"

    return await take_form(request, action)
