"""Server-rendered pages: results, marketplace, heat map, API usage report, guidelines.

Pages read only what the visitor may read (the same access rules as the API). A result page
judges the result from its stored tests; the heat map and comparisons take verdicts from the
server's cache. Nothing is computed in the browser.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import ScalarSelect, Subquery, literal, or_, select, union_all
from sqlalchemy.orm import Session, selectinload

from defcore.errors import DefcoreError, GuidelineNotFound
from defcore.guidelines.diff import diff as diff_guidelines
from defcore.guidelines.render import render as render_guideline
from defcore.results.verdict import CapabilityVerdict, TestVerdict, Verdict
from defcore.server.access import (
    Principal,
    readable_products,
    readable_results,
)
from defcore.server.certification import Certification, certifications, standing
from defcore.server.heatmap import capability_states, program_of, widest_platform
from defcore.server.models import (
    RESULTS_NEWEST_FIRST,
    Product,
    ProductVersion,
    Result,
    Vendor,
    Verification,
)
from defcore.server.service import judge, readable_result, result_count, verdict
from defcore.server.state import AppState

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("defcore.server", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
    # Templates are part of the installed package: never look at their files again. With
    # reloading on, every page stat()ed its template, and each system call gave up the GIL
    # to wait for it again behind the uploads' threads.
    auto_reload=False,
)


def compile_templates() -> None:
    """Compile every page's template now: a worker's first view of each page would pay for it
    (tens of ms), and compiled, they are kept for the worker's life (defcore.server.app)."""
    for name in _ENV.list_templates(extensions=["html"]):
        _ENV.get_template(name)


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.defcore
    return state


def page(template: str, p: Principal, code: int = 200, **context: Any) -> HTMLResponse:
    # base.html's sign-out form, and any form of a signed-in page, sends the session's token
    context.setdefault("csrf", p.csrf)
    html = _ENV.get_template(template).render(me=p.user, **context)
    # "replace": a string the store should never have held (a lone surrogate) shows as "?"
    # instead of making the page fail for good
    return HTMLResponse(html.encode("utf-8", "replace"), status_code=code)


def error_page(message: str, status: int) -> HTMLResponse:
    return page("error.html", Principal(), status, message=message, status=status)


@router.get("/")
def index() -> Response:
    return RedirectResponse("/marketplace", status_code=303)


# -- results ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListedResult:
    """One row of the result list, read as plain columns: 50 Result objects loaded with their
    products and verifications through the ORM, and rendered attribute by attribute, were
    most of the list's time (yappi)."""

    id: str
    uploaded: str
    product: str  # "name version", or "" when the result has none
    passed_count: int
    test_count: int
    signed: bool
    public: bool
    badges: list[str]  # "target guideline" of each verification, withdrawn ones too


@router.get("/results")
def results_page(
    request: Request,
    vendor: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    product: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    verified: Annotated[str, Query(max_length=100)] = "",
    signed: Annotated[str, Query(pattern="^(|yes|no)$")] = "",
    page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Response:
    with _state(request).tx(request) as (session, p):
        # FROM results said outright: for an admin, readable_results is `true`, and a count
        # that only keeps the WHERE would have no table to count
        chosen = select(Result.id).select_from(Result).where(readable_results(p))
        if vendor is not None:
            chosen = chosen.where(Result.vendor_id == vendor)
        if product is not None:
            chosen = chosen.join(ProductVersion).where(ProductVersion.product_id == product)
        if verified:
            chosen = chosen.where(
                Result.id.in_(
                    select(Verification.result_id).where(
                        Verification.guideline_id == verified, Verification.withdrawn_at.is_(None)
                    )
                )
            )
        if signed == "yes":
            chosen = chosen.where(Result.signed_key_id.is_not(None))
        elif signed == "no":
            chosen = chosen.where(Result.signed_key_id.is_(None))
        narrowed = bool(vendor or product or verified or signed)
        count = result_count(chosen, p, narrowed)
        shown = (
            chosen.order_by(*RESULTS_NEWEST_FIRST)
            .limit(PAGE_SIZE)
            .offset((page_no - 1) * PAGE_SIZE)
        )
        # never correlated: the rows' statement joins `results` too, and the count is of all
        rows, total = _listed_results(
            session, shown.subquery(), count.scalar_subquery().correlate(None)
        )
        if not rows:  # past the last page: no row brought the count
            total = session.scalar(count) or 0
        vendors, products, guideline_ids = filter_choices(session, p)
        filters = {"vendor": vendor, "product": product, "verified": verified, "signed": signed}
        pages = max(1, -(-total // PAGE_SIZE))
        return page(
            "results.html",
            p,
            results=rows,
            total=total,
            vendors=vendors,
            products=products,
            guideline_ids=guideline_ids,
            filters=filters,
            page_no=page_no,
            pages=pages,
            link=lambda **change: (
                "/results?"
                + urllib.parse.urlencode(
                    {k: v for k, v in {**filters, "page": page_no, **change}.items() if v}
                )
            ),
        )


def _listed_results(
    session: Session, page_ids: Subquery, count: ScalarSelect[int]
) -> tuple[list[ListedResult], int]:
    """The rows of the page's result ids with their verifications' badges and the count of
    all the list's results, in one statement: each statement waits for a busy database to
    answer, and for the worker's GIL after it. The page's ids are found first, from the
    index alone, and only they are joined to their products and verifications: joined before
    OFFSET, every skipped row was joined too (page 180 of 200 took 4.8 ms on SQLite, now 1).
    The count rides on each row (an uncorrelated subquery: both databases run it once); a
    result with several verifications comes once for each, in order."""
    found = session.execute(
        select(
            count.label("total"),
            Result.id,
            Result.created_at,
            Product.name,
            ProductVersion.version,
            Result.passed_count,
            Result.test_count,
            Result.signed_key_id,
            Result.public,
            Verification.target,
            Verification.guideline_id,
        )
        .select_from(page_ids)
        .join(Result, Result.id == page_ids.c.id)
        .outerjoin(ProductVersion, Result.product_version_id == ProductVersion.id)
        .outerjoin(Product, ProductVersion.product_id == Product.id)
        .outerjoin(Verification, Verification.result_id == Result.id)
        .order_by(*RESULTS_NEWEST_FIRST, Verification.id)
    ).all()
    listed: list[ListedResult] = []
    for row in found:
        if not listed or listed[-1].id != row.id:
            listed.append(
                ListedResult(
                    id=row.id,
                    uploaded=row.created_at.strftime("%Y-%m-%d %H:%M"),
                    product=f"{row.name} {row.version}" if row.name is not None else "",
                    passed_count=row.passed_count,
                    test_count=row.test_count,
                    signed=row.signed_key_id is not None,
                    public=bool(row.public),
                    badges=[],
                )
            )
        if row.target is not None:
            listed[-1].badges.append(f"{row.target} {row.guideline_id}")
    return listed, found[0].total if found else 0


@dataclass(frozen=True)
class Choice:
    id: int
    name: str


def filter_choices(session: Session, p: Principal) -> tuple[list[Choice], list[Choice], list[str]]:
    """The result list's filter menus: vendors and readable products by name, verified
    guidelines newest first. One statement, not three: under load each round trip to
    PostgreSQL waits for its backend to be scheduled, and the list made eleven of them."""
    menus = union_all(
        select(literal("vendor").label("menu"), Vendor.id.label("id"), Vendor.name.label("name")),
        select(literal("product"), Product.id, Product.name).where(readable_products(p)),
        select(literal("guideline"), literal(0), Verification.guideline_id).distinct(),
    ).order_by("menu", "name", "id")
    choices: dict[str, list[Choice]] = {"vendor": [], "product": [], "guideline": []}
    for menu, id_, name in session.execute(menus):
        choices[menu].append(Choice(id_, name))
    guidelines = sorted((c.name for c in choices["guideline"]), reverse=True)
    return choices["vendor"], choices["product"], guidelines


@router.get("/results/{result_id}")
def result_page(
    request: Request,
    result_id: str,
    guideline: Annotated[str, Query(max_length=100)] = "",
    target: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    state = _state(request)
    with state.tx(request) as (session, p):
        result = readable_result(session, p, result_id)
        gid = guideline or (
            result.verifications[0].guideline_id
            if result.verifications
            else state.registry.newest()
        )
        if gid is None:
            return error_page("this server has no guidelines to judge results against", 404)
        g = state.registry.get(gid)
        # whether each target passes, and one target's verdict in full: the one asked for,
        # else the first passed, else the first
        judged = {
            name: judge(session, state.registry, result, gid, name)
            for name in [*g.platforms, *g.add_ons]
        }
        summary = [(name, v.passed) for name, v in judged.items()]
        shown = target or next((name for name, ok in summary if ok), "")
        if not shown and summary:
            shown = summary[0][0]
        chosen = None
        if shown:
            chosen = judged.get(shown) or judge(session, state.registry, result, gid, shown)
        return page(
            "result.html",
            p,
            result=result,
            guideline=gid,
            guideline_ids=state.registry.ids(),
            summary=summary,
            verdict=chosen and ShownVerdict.of(gid, chosen),
            capability_rows=capability_rows(chosen),
        )


@dataclass(frozen=True)
class ShownVerdict:
    """The head of a result page's verdict; its guideline is the one the page judges by (an
    add-on's is judged by its own file, but verified under the platform guideline's id)."""

    guideline: str
    target: str
    passed: bool
    required_tests: int
    required_tests_passed: int

    @classmethod
    def of(cls, guideline_id: str, verdict: Verdict) -> ShownVerdict:
        passed, required = verdict.required_tally()
        return cls(guideline_id, verdict.target, verdict.passed, required, passed)


def capability_rows(
    verdict: Verdict | None,
) -> list[tuple[str, CapabilityVerdict, list[TestVerdict]]]:
    """(component, capability, its tests not passed) of a verdict: filtered here, as a loop
    over every test of every capability in the template took half of a result page's time."""
    if verdict is None:
        return []
    return [
        (comp.name, cap, [t for t in cap.tests if not t.passed])
        for comp in verdict.components
        for cap in comp.capabilities
    ]


# -- marketplace, heat map, usage ---------------------------------------------------------------


@dataclass
class ProductCard:
    product: Product
    # certifications not withdrawn, newest guideline first (defcore.server.certification)
    certifications: list[Certification]
    standing: str  # current, expiring, expired or none


@router.get("/marketplace")
def marketplace(request: Request) -> Response:
    """Products by standing: "OpenStack Powered" lists only those with a current certification."""
    state = _state(request)
    with state.tx(request) as (session, p):
        products = session.scalars(
            select(Product)
            .where(Product.public.is_(True))
            .options(selectinload(Product.vendor), selectinload(Product.versions))
            .order_by(Product.name)
        ).all()
        found = certifications(session, state.registry, [x.id for x in products])
        cards = []
        for product in products:
            kept = [c for c in found[product.id] if c.withdrawn_at is None]
            cards.append(ProductCard(product, kept, standing(kept)))
        groups = [
            ("powered", "OpenStack Powered", [c for c in cards if c.standing == "current"]),
            (
                "expiring",
                "Certification expiring",
                [c for c in cards if c.standing == "expiring"],
            ),
            (
                "others",
                "Not currently certified",
                [c for c in cards if c.standing not in ("current", "expiring")],
            ),
        ]
        # Each program's own listing: products certified (current) for it, platform or add-on.
        programs: dict[str, list[ProductCard]] = {}
        for card in cards:
            for program in sorted(
                {c.program for c in card.certifications if c.status == "current"}
            ):
                programs.setdefault(program, []).append(card)
        return page(
            "marketplace.html",
            p,
            groups=groups,
            total=len(cards),
            programs=sorted(programs.items()),
        )


def _evidence(session: Session, p: Principal) -> list[tuple[Product, Result]]:
    """Each visible product with its newest result the visitor may read."""
    products = session.scalars(
        select(Product)
        .where(readable_products(p))
        .options(selectinload(Product.vendor))
        .order_by(Product.name)
    ).all()
    out = []
    for product in products:
        result = session.scalar(
            select(Result)
            .join(ProductVersion, Result.product_version_id == ProductVersion.id)
            .where(ProductVersion.product_id == product.id)
            .where(or_(readable_results(p), Result.verifications.any()))
            .order_by(Result.created_at.desc())
            .limit(1)
        )
        if result is not None:
            out.append((product, result))
    return out


@dataclass
class HeatColumn:
    product: Product
    program: str  # the target the product is judged against
    cells: dict[str, str]  # capability -> a state of defcore.server.heatmap.CELL_STATES


def _verified_targets(session: Session, product_id: int) -> list[str]:
    return list(
        session.scalars(
            select(Verification.target)
            .join(ProductVersion, ProductVersion.id == Verification.product_version_id)
            .where(ProductVersion.product_id == product_id, Verification.withdrawn_at.is_(None))
            .order_by(Verification.created_at.desc())
        )
    )


def _matrix(
    request: Request, guideline: str, target: str
) -> tuple[Principal, str, str, list[str], list[HeatColumn]]:
    """Required capabilities x visible products. With no `target`, each product is judged
    against its own program (defcore.server.heatmap.program_of)."""
    state = _state(request)
    registry = state.registry
    with state.tx(request) as (session, p):
        gid = guideline or registry.newest() or ""
        g = registry.get(gid)
        if not g.platforms:
            raise GuidelineNotFound(f"guideline {gid} defines no platform to map")
        rows_target = registry.target(gid, target)[1].name if target else widest_platform(g)
        _, resolved = registry.target(gid, rows_target)
        capabilities: list[str] = []
        for component in resolved.components:
            for status, name in component.all_capabilities():
                if str(status) == "required" and name not in capabilities:
                    capabilities.append(name)
        columns = []
        for product, result in _evidence(session, p):
            answer = verdict(session, registry, result, gid, rows_target)
            program = rows_target
            if not target:
                program = program_of(g, answer, _verified_targets(session, product.id))
                if program != rows_target:
                    answer = verdict(session, registry, result, gid, program)
            states = capability_states(answer)
            cells = {cap: states.get(cap, "outside") for cap in capabilities}
            columns.append(HeatColumn(product, program, cells))
        return p, gid, rows_target if target else "", capabilities, columns


@router.get("/heatmap")
def heatmap(
    request: Request,
    guideline: Annotated[str, Query(max_length=100)] = "",
    target: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    p, gid, target_name, capabilities, columns = _matrix(request, guideline, target)
    return page(
        "heatmap.html",
        p,
        guideline=gid,
        target=target_name,
        capabilities=capabilities,
        columns=columns,
        guideline_ids=_state(request).registry.platform_ids(),
    )


@router.get("/usage")
def usage(
    request: Request,
    guideline: Annotated[str, Query(max_length=100)] = "",
    target: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    p, gid, target_name, capabilities, columns = _matrix(request, guideline, target)
    rows = []
    for cap in capabilities:
        # only products that ran the capability's tests are judged on it
        judged = [c.cells[cap] == "pass" for c in columns if c.cells[cap] in ("pass", "fail")]
        passing = sum(judged)
        share = passing / len(judged) if judged else 0.0
        rows.append((cap, passing, len(judged), share))
    rows.sort(key=lambda r: (-r[3], r[0]))
    return page(
        "usage.html",
        p,
        guideline=gid,
        target=target_name or "each product's program",
        rows=rows,
        products=len(columns),
        guideline_ids=_state(request).registry.platform_ids(),
    )


# -- guidelines ---------------------------------------------------------------------------------


@router.get("/guidelines")
def guidelines(request: Request) -> Response:
    state = _state(request)
    with state.tx(request) as (_session, p):
        return page("guidelines.html", p, ids=state.registry.ids())


@router.get("/guidelines/diff")
def guideline_diff(
    request: Request,
    old: Annotated[str, Query(max_length=100)] = "",
    new: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    state = _state(request)
    with state.tx(request) as (_session, p):
        ids = state.registry.platform_ids()
        new = new or (ids[0] if ids else "")
        old = old or (ids[1] if len(ids) > 1 else new)
        changes = diff_guidelines(state.registry.get(old), state.registry.get(new))
        return page("diff.html", p, old=old, new=new, changes=changes, ids=state.registry.ids())


@router.get("/guidelines/{guideline_id}")
def guideline_page(request: Request, guideline_id: str) -> Response:
    state = _state(request)
    try:
        g = state.registry.get(guideline_id)
    except DefcoreError as exc:
        return error_page(str(exc), 404)
    return HTMLResponse(render_guideline(g, "html"))
