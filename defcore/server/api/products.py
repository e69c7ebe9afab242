"""/v1/products: a vendor's products and their versions, created, edited and deleted by the
vendor's admins; read by everyone when public (defcore.server.products has the rules)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from defcore.server import products, schemas
from defcore.server.access import readable_products
from defcore.server.api.common import ERRORS, SIGNED_IN, Id, app_state, signed_in
from defcore.server.models import Product, ProductVersion
from defcore.server.products import delete_product, delete_version, readable_product
from defcore.server.vendors import readable_vendor

router = APIRouter(prefix="/v1", tags=["products"])


def version_out(version: ProductVersion) -> schemas.VersionOut:
    return schemas.VersionOut(id=version.id, version=version.version, cpid=version.cpid)


def product_out(product: Product) -> schemas.ProductOut:
    return schemas.ProductOut(
        id=product.id,
        vendor_id=product.vendor_id,
        vendor=product.vendor.name,
        name=product.name,
        kind=product.kind,
        description=product.description,
        public=product.public,
        versions=[version_out(v) for v in product.versions],
    )


@router.get("/products", response_model=list[schemas.ProductOut], responses=ERRORS)
def list_products(
    request: Request,
    vendor_id: Annotated[int | None, Query(ge=1, le=schemas.MAX_DB_INT)] = None,
) -> list[schemas.ProductOut]:
    with app_state(request).tx(request) as (session, p):
        query = select(Product).where(readable_products(p))
        if vendor_id is not None:
            query = query.where(Product.vendor_id == vendor_id)
        return [product_out(x) for x in session.scalars(query.order_by(Product.name)).all()]


@router.post(
    "/vendors/{vendor_id}/products",
    status_code=201,
    response_model=schemas.ProductOut,
    responses=ERRORS,
    dependencies=[SIGNED_IN],
)
def create_product(request: Request, vendor_id: Id, body: schemas.ProductIn) -> schemas.ProductOut:
    with app_state(request).tx(request) as (session, p):
        vendor = readable_vendor(session, signed_in(p), vendor_id)
        product = products.create_product(
            session, p, vendor, body.name, body.kind, body.description, body.public
        )
        return product_out(product)


@router.get("/products/{product_id}", response_model=schemas.ProductOut, responses=ERRORS)
def get_product(request: Request, product_id: Id) -> schemas.ProductOut:
    with app_state(request).tx(request) as (session, p):
        return product_out(readable_product(session, p, product_id))


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
        product = products.change_product(
            session,
            signed_in(p),
            product_id,
            change.name,
            change.kind,
            change.description,
            change.public,
        )
        return product_out(product)


@router.delete(
    "/products/{product_id}", status_code=204, responses=ERRORS, dependencies=[SIGNED_IN]
)
def remove_product(request: Request, product_id: Id) -> Response:
    with app_state(request).tx(request) as (session, p):
        delete_product(session, signed_in(p), product_id)
    return Response(status_code=204)


@router.post(
    "/products/{product_id}/versions",
    status_code=201,
    response_model=schemas.VersionOut,
    responses=ERRORS,
    dependencies=[SIGNED_IN],
)
def add_version(request: Request, product_id: Id, body: schemas.VersionIn) -> schemas.VersionOut:
    with app_state(request).tx(request) as (session, p):
        version = products.add_version(session, signed_in(p), product_id, body.version, body.cpid)
        return version_out(version)


@router.patch(
    "/products/{product_id}/versions/{version_id}",
    response_model=schemas.VersionOut,
    responses=ERRORS,
    dependencies=[SIGNED_IN],
)
def change_version(
    request: Request, product_id: Id, version_id: Id, change: schemas.VersionPatch
) -> schemas.VersionOut:
    with app_state(request).tx(request) as (session, p):
        version = products.change_version(
            session, signed_in(p), product_id, version_id, change.version, change.cpid
        )
        return version_out(version)


@router.delete(
    "/products/{product_id}/versions/{version_id}",
    status_code=204,
    responses=ERRORS,
    dependencies=[SIGNED_IN],
)
def remove_version(request: Request, product_id: Id, version_id: Id) -> Response:
    with app_state(request).tx(request) as (session, p):
        delete_version(session, signed_in(p), product_id, version_id)
    return Response(status_code=204)
