"""Widely Deployed from the store: each product's newest verified result, judged per capability.

The definitions are those of `defcore.scoring.deployed`: a product's evidence is its newest
result (across all its versions) carrying a verification for a target the scored guideline also
defines; only verified results count, whoever may read them, since a verification is the
foundation's public statement about the result. Products the caller may not read still count,
under a placeholder label, so the shares are the same for everyone and no private name leaks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from defcore.scoring.deployed import (
    DeployedReport,
    ProductEvidence,
    resolve_targets,
    widely_deployed,
)
from defcore.server.access import Principal, can_read_product, can_read_result
from defcore.server.guidelines import GuidelineRegistry
from defcore.server.ingest import run_from_json
from defcore.server.models import Product, ProductVersion, Result, ResultTests, Verification


@dataclass(frozen=True)
class EvidenceRow:
    product_id: int | None  # None when the caller may not read the product
    label: str
    stored_result: str  # the result's id, for the server's own use only
    result_id: str | None  # the result's id when the caller may read it
    targets: tuple[str, ...]


def newest_verified(
    session: Session, p: Principal, registry: GuidelineRegistry, guideline_id: str
) -> list[EvidenceRow]:
    """Per product, its newest result verified for a target the guideline defines."""
    guideline = registry.get(guideline_id)
    rows = session.execute(
        select(
            ProductVersion.product_id,
            Result.id,
            Result.created_at,
            Verification.target,
        )
        .join(Result, Result.product_version_id == ProductVersion.id)
        .join(Verification, Verification.result_id == Result.id)
        .where(Verification.withdrawn_at.is_(None))  # a withdrawn verification is no evidence
    ).all()
    by_result: dict[str, tuple[int, tuple[datetime, str], set[str]]] = {}
    for product_id, result_id, created_at, target in rows:
        entry = by_result.setdefault(result_id, (product_id, (created_at, result_id), set()))
        entry[2].add(target)
    # Newest by upload time; on a tie the greater id wins, so the choice is stable.
    newest: dict[int, tuple[tuple[datetime, str], str, tuple[str, ...]]] = {}
    for result_id, (product_id, order, targets) in by_result.items():
        resolved = tuple(resolve_targets(guideline, sorted(targets)))
        if not resolved:
            continue
        best = newest.get(product_id)
        if best is None or order > best[0]:
            newest[product_id] = (order, result_id, resolved)
    out: list[EvidenceRow] = []
    products = {
        x.id: x for x in session.scalars(select(Product).where(Product.id.in_(list(newest))))
    }
    hidden = 0
    for product_id in sorted(newest, key=lambda i: (products[i].name, i)):
        product = products[product_id]
        _order, result_id, chosen = newest[product_id]
        result = session.get(Result, result_id)
        assert result is not None
        readable = can_read_product(p, product)
        if readable:
            label = f"{product.vendor.name} / {product.name}"
        else:
            hidden += 1
            label = f"private product {hidden}"
        out.append(
            EvidenceRow(
                product_id if readable else None,
                label,
                result_id,
                result_id if readable and can_read_result(p, result) else None,
                chosen,
            )
        )
    return out


def deployed_report(
    session: Session,
    p: Principal,
    registry: GuidelineRegistry,
    guideline_id: str,
    threshold: float,
    min_products: int,
) -> tuple[DeployedReport, list[EvidenceRow]]:
    rows = newest_verified(session, p, registry, guideline_id)
    evidence = []
    for row in rows:
        stored = session.get(ResultTests, row.stored_result)
        assert stored is not None
        run = run_from_json(stored.tests_json, stored.class_failures_json)
        evidence.append(ProductEvidence(row.label, run, row.targets, row.product_id, row.result_id))
    report = widely_deployed(registry.get(guideline_id), evidence, threshold, min_products)
    return report, rows
