"""/v1/products: a vendor's products (public or private to the vendor) and their versions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from defcore.errors import Conflict, Forbidden, NotFound
from defcore.server import schemas
from defcore.server.access import Principal, can_read_product, readable_products
from defcore.server.api.common import ERRORS, SIGNED_IN, Id, app_state, signed_in
from defcore.server.api.vendors import vendor_or_404
from defcore.server.models import Product, ProductVersion

router = APIRouter(prefix="/v1", tags=["products"])


def _product_out(product: Product) -> schemas.ProductOut:
    return schemas.ProductOut(
        id=product.id,
        vendor_id=product.vendor_id,
        vendor=product.vendor.name,
        name=product.name,
        kind=product.kind,
        description=product.description,
        public=product.public,
        versions=[schemas.VersionOut(id=v.id, version=v.version) for v in product.versions],
    )


@router.get("/products", response_model=list[schemas.ProductOut], responses=ERRORS)
def list_products(
    request: Request, vendor_id: Annotated[int | None, Query(ge=1, le=schemas.MAX_DB_INT)] = None
) -> list[schemas.ProductOut]:
    with app_state(request).tx(request) as (session, p):
        query = select(Product).where(readable_products(p))
        if vendor_id is not None:
            query = query.where(Product.vendor_id == vendor_id)
        return [_product_out(x) for x in session.scalars(query.order_by(Product.name)).all()]


@router.post(
    "/vendors/{vendor_id}/products",
    status_code=201,
    response_model=schemas.ProductOut,
    responses=ERRORS,
    dependencies=[SIGNED_IN],
)
def create_product(request: Request, vendor_id: Id, body: schemas.ProductIn) -> schemas.ProductOut:
    with app_state(request).tx(request) as (session, p):
        vendor = vendor_or_404(session, vendor_id)
        if not signed_in(p).admin_of(vendor.id):
            raise Forbidden(f"only an admin of vendor {vendor_id} may add products")
        taken = session.scalar(
            select(Product).where(Product.vendor_id == vendor.id, Product.name == body.name)
        )
        if taken is not None:
            raise Conflict(f"vendor {vendor.name!r} already has a product {body.name!r}")
        product = Product(
            vendor_id=vendor.id,
            name=body.name,
            kind=body.kind,
            description=body.description,
            public=body.public,
        )
        session.add(product)
        session.flush()
        session.refresh(product)
        return _product_out(product)


def _readable_product(session: Session, p: Principal, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None or not can_read_product(p, product):
        raise NotFound(f"no product {product_id}")
    return product


@router.get("/products/{product_id}", response_model=schemas.ProductOut, responses=ERRORS)
def get_product(request: Request, product_id: Id) -> schemas.ProductOut:
    with app_state(request).tx(request) as (session, p):
        return _product_out(_readable_product(session, p, product_id))


@router.patch(
    "/products/{product_id}",
    response_model=schemas.ProductOut,
    responses=ERRORS,
    dependencies=[SIGNED_IN],
)
def change_product(
    request: Request, product_id: Id, change: schemas.ProductPatch
) -> schemas.ProductOut:
    with app_state(request).tx(request) as (session, p):
        product = _readable_product(session, signed_in(p), product_id)
        if not p.admin_of(product.vendor_id):
            raise Forbidden(f"product {product_id} belongs to another vendor")
        if change.description is not None:
            product.description = change.description
        if change.public is not None:
            product.public = change.public
        session.flush()
        return _product_out(product)


@router.post(
    "/products/{product_id}/versions",
    status_code=201,
    response_model=schemas.VersionOut,
    responses=ERRORS,
    dependencies=[SIGNED_IN],
)
def add_version(request: Request, product_id: Id, body: schemas.VersionIn) -> schemas.VersionOut:
    with app_state(request).tx(request) as (session, p):
        product = _readable_product(session, signed_in(p), product_id)
        if not p.admin_of(product.vendor_id):
            raise Forbidden(f"product {product_id} belongs to another vendor")
        if any(v.version == body.version for v in product.versions):
            raise Conflict(f"product {product_id} already has version {body.version!r}")
        version = ProductVersion(product_id=product.id, version=body.version)
        session.add(version)
        session.flush()
        return schemas.VersionOut(id=version.id, version=version.version)
