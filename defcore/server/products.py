"""Products and their versions: what a vendor admin edits and deletes, and cpid matching.

A version may carry the cpid of the cloud it is (refstack-client sends it with every upload).
A cpid is unique among one vendor's versions, and an upload is associated with a version only
when exactly one version of a vendor the uploader belongs to has the upload's cpid: another
vendor claiming the same cpid can neither take nor block someone else's uploads.

A product or version that a verification certifies cannot be deleted (the verification, even
withdrawn, is the record of what was certified); other results stay stored, detached from it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from defcore.errors import Conflict, Forbidden, NotFound
from defcore.server.access import Principal, can_read_product
from defcore.server.models import Product, ProductVersion, Result, Vendor, Verification


def readable_product(session: Session, p: Principal, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None or not can_read_product(p, product):
        raise NotFound(f"no product {product_id}")
    return product


def administered_product(session: Session, p: Principal, product_id: int) -> Product:
    product = readable_product(session, p, product_id)
    if not p.admin_of(product.vendor_id):
        raise Forbidden(f"product {product_id} belongs to another vendor")
    return product


def version_of(session: Session, product: Product, version_id: int) -> ProductVersion:
    version = session.get(ProductVersion, version_id)
    if version is None or version.product_id != product.id:
        raise NotFound(f"product {product.id} has no version {version_id}")
    return version


def check_public(vendor: Vendor, public: bool) -> None:
    """As in RefStack, only an official vendor's products may be public (and so listed)."""
    if public and vendor.status != "official":
        raise Conflict(
            f"vendor {vendor.name!r} is {vendor.status}: a product can be public once a "
            "foundation admin has approved the vendor as official"
        )


def check_cpid(session: Session, vendor_id: int, cpid: str, version_id: int | None) -> None:
    if not cpid:
        return
    clash = session.scalar(
        select(ProductVersion)
        .join(Product, Product.id == ProductVersion.product_id)
        .where(Product.vendor_id == vendor_id, ProductVersion.cpid == cpid)
        .where(ProductVersion.id != (version_id or 0))
    )
    if clash is not None:
        raise Conflict(
            f"cpid {cpid!r} is already version {clash.version!r} of product {clash.product_id}"
        )


def _verifications(session: Session, version_ids: Sequence[int]) -> list[Verification]:
    if not version_ids:
        return []
    return list(
        session.scalars(
            select(Verification)
            .where(Verification.product_version_id.in_(list(version_ids)))
            .order_by(Verification.id)
        )
    )


def check_deletable(session: Session, what: str, version_ids: Sequence[int]) -> None:
    """Refuse (409) to delete versions a verification certifies: a verified result is locked
    to them, and a withdrawn verification stays in the audit trail, naming its version."""
    found = _verifications(session, version_ids)
    active = [v for v in found if v.withdrawn_at is None]
    if active:
        raise Conflict(
            f"{what} has {len(active)} verified result(s) (first {active[0].result_id}): "
            "it cannot be deleted"
        )
    if found:
        raise Conflict(
            f"{what} has {len(found)} withdrawn verification(s) (first of result "
            f"{found[0].result_id}), kept in the audit trail: it cannot be deleted"
        )


def _detach(session: Session, version_ids: Sequence[int]) -> None:
    if version_ids:
        session.execute(
            update(Result)
            .where(Result.product_version_id.in_(list(version_ids)))
            .values(product_version_id=None)
        )


def delete_version(session: Session, p: Principal, product_id: int, version_id: int) -> None:
    product = administered_product(session, p, product_id)
    version = version_of(session, product, version_id)
    check_deletable(session, f"version {version.version!r}", [version.id])
    _detach(session, [version.id])
    session.delete(version)
    session.flush()


def delete_product(session: Session, p: Principal, product_id: int) -> None:
    product = administered_product(session, p, product_id)
    version_ids = [v.id for v in product.versions]
    check_deletable(session, f"product {product.name!r}", version_ids)
    _detach(session, version_ids)
    for version in product.versions:
        session.delete(version)
    session.delete(product)
    session.flush()


def version_for_cpid(session: Session, p: Principal, cpid: str) -> ProductVersion | None:
    """The one version of the uploader's vendors whose cpid is `cpid`, if exactly one."""
    if not cpid or not p.roles:
        return None
    found = session.scalars(
        select(ProductVersion)
        .join(Product, Product.id == ProductVersion.product_id)
        .where(ProductVersion.cpid == cpid, Product.vendor_id.in_(list(p.roles)))
        .limit(2)
    ).all()
    return found[0] if len(found) == 1 else None


def associate_by_cpid(session: Session, p: Principal, result: Result) -> None:
    """Put a new upload on the product version its cpid names (see the module docstring)."""
    version = version_for_cpid(session, p, result.cpid)
    if version is not None:
        result.product_version_id = version.id
        result.vendor_id = version.product.vendor_id


def _name_free(session: Session, vendor_id: int, name: str) -> None:
    taken = session.scalar(
        select(Product.id).where(Product.vendor_id == vendor_id, Product.name == name)
    )
    if taken is not None:
        raise Conflict(f"the vendor already has a product {name!r}")


def create_product(
    session: Session,
    p: Principal,
    vendor: Vendor,
    name: str,
    kind: str,
    description: str,
    public: bool,
) -> Product:
    if not p.admin_of(vendor.id):
        raise Forbidden(f"only an admin of vendor {vendor.id} may add products")
    check_public(vendor, public)
    _name_free(session, vendor.id, name)
    product = Product(
        vendor_id=vendor.id, name=name, kind=kind, description=description, public=public
    )
    session.add(product)
    session.flush()
    session.refresh(product)
    return product


def change_product(
    session: Session,
    p: Principal,
    product_id: int,
    name: str | None = None,
    kind: str | None = None,
    description: str | None = None,
    public: bool | None = None,
) -> Product:
    """Change what is given (not None) of a product the caller's vendor owns."""
    product = administered_product(session, p, product_id)
    if name is not None and name != product.name:
        _name_free(session, product.vendor_id, name)
        product.name = name
    if kind is not None:
        product.kind = kind
    if description is not None:
        product.description = description
    if public is not None:
        check_public(product.vendor, public)
        product.public = public
    session.flush()
    return product


def add_version(
    session: Session, p: Principal, product_id: int, version: str, cpid: str
) -> ProductVersion:
    product = administered_product(session, p, product_id)
    if any(v.version == version for v in product.versions):
        raise Conflict(f"product {product_id} already has version {version!r}")
    check_cpid(session, product.vendor_id, cpid, None)
    row = ProductVersion(product_id=product.id, version=version, cpid=cpid)
    session.add(row)
    session.flush()
    return row


def change_version(
    session: Session,
    p: Principal,
    product_id: int,
    version_id: int,
    version: str | None = None,
    cpid: str | None = None,
) -> ProductVersion:
    product = administered_product(session, p, product_id)
    row = version_of(session, product, version_id)
    if version is not None and version != row.version:
        if any(v.version == version for v in product.versions):
            raise Conflict(f"product {product_id} already has version {version!r}")
        row.version = version
    if cpid is not None:
        check_cpid(session, product.vendor_id, cpid, row.id)
        row.cpid = cpid
    session.flush()
    return row
