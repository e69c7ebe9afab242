"""Results diff pages: a result against the product's previous one ("did I improve"), and a
product against another for one guideline (defcore.results.diff over the cached verdicts)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from defcore.errors import NotFound
from defcore.results.diff import diff_verdicts
from defcore.server.access import Principal, can_read_product, readable_results
from defcore.server.guidelines import GuidelineRegistry
from defcore.server.heatmap import program_of, widest_platform
from defcore.server.models import Product, ProductVersion, Result
from defcore.server.pages import _state, error_page, page
from defcore.server.service import readable_result, verdict

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Query(max_length=200)]


def _previous(session: Session, p: Principal, result: Result) -> Result | None:
    """The newest result of the same product uploaded before `result`, that `p` may read."""
    if result.product_version is None:
        return None
    return session.scalar(
        select(Result)
        .join(ProductVersion, Result.product_version_id == ProductVersion.id)
        .where(
            ProductVersion.product_id == result.product_version.product_id,
            Result.created_at < result.created_at,
            Result.id != result.id,
            readable_results(p),
        )
        .order_by(Result.created_at.desc())
        .limit(1)
    )


def _newest(session: Session, p: Principal, product: Product) -> Result | None:
    return session.scalar(
        select(Result)
        .join(ProductVersion, Result.product_version_id == ProductVersion.id)
        .where(ProductVersion.product_id == product.id, readable_results(p))
        .order_by(Result.created_at.desc())
        .limit(1)
    )


def _target_for(
    session: Session, registry: GuidelineRegistry, result: Result, gid: str, target: str
) -> str:
    """The chosen target, or the result's program (its verification's, else what it ran)."""
    if target:
        return registry.target(gid, target)[1].name
    guideline = registry.get(gid)
    if not guideline.platforms:
        return next(iter(guideline.add_ons), "")
    widest = widest_platform(guideline)
    verified = [
        v.target
        for v in sorted(result.verifications, key=lambda v: v.created_at, reverse=True)
        if v.withdrawn_at is None
    ]
    return program_of(guideline, verdict(session, registry, result, gid, widest), verified)


def _render(
    request: Request,
    session: Session,
    p: Principal,
    before: Result,
    after: Result,
    guideline: str,
    target: str,
    title: str,
) -> Response:
    registry = _state(request).registry
    gid = guideline or next(
        (v.guideline_id for v in after.verifications if v.withdrawn_at is None), ""
    )
    gid = gid or registry.newest() or ""
    name = _target_for(session, registry, after, gid, target)
    changes = diff_verdicts(
        verdict(session, registry, before, gid, name), verdict(session, registry, after, gid, name)
    )
    return page(
        "results_diff.html",
        p,
        title=title,
        before=before,
        after=after,
        diff=changes,
        guideline_ids=registry.platform_ids(),
        guideline=gid,
        target=name,
        # the form keeps what chose the two sides
        request_args={k: v for k, v in request.query_params.items() if k in ("a", "b", "against")},
    )


@router.get("/results/{result_id}/diff")
def result_diff(
    request: Request,
    result_id: str,
    against: Annotated[str, Query(max_length=36)] = "",
    guideline: Text = "",
    target: Text = "",
) -> Response:
    """`result_id` against `against`, by default the product's previous result."""
    with _state(request).tx(request) as (session, p):
        after = readable_result(session, p, result_id)
        before = readable_result(session, p, against) if against else _previous(session, p, after)
        if before is None:
            return error_page(
                f"result {result_id[:36]} has no earlier result of its product to compare with",
                404,
            )
        title = "Did it improve? Against the product's previous result"
        if against:
            title = "Result against result"
        return _render(request, session, p, before, after, guideline, target, title)


@router.get("/products/diff")
def product_diff(
    request: Request,
    a: Annotated[int, Query(ge=1, le=2_147_483_647)],
    b: Annotated[int, Query(ge=1, le=2_147_483_647)],
    guideline: Text = "",
    target: Text = "",
) -> Response:
    """Product `b`'s newest result against product `a`'s, for one guideline and target."""
    with _state(request).tx(request) as (session, p):
        found = []
        for product_id in (a, b):
            product = session.get(Product, product_id)
            if product is None or not can_read_product(p, product):
                raise NotFound(f"no product {product_id}")
            result = _newest(session, p, product)
            if result is None:
                raise NotFound(f"product {product.name!r} has no result you may read")
            found.append((product, result))
        (first, before), (second, after) = found
        title = f"{second.name} against {first.name}"
        return _render(request, session, p, before, after, guideline, target, title)
