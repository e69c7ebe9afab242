"""Impact of a guideline change on certified products, before it is approved.

Each product's newest verified result (the same evidence as Widely Deployed) is judged for each
target it was verified for, under the base guideline and under the change; products that pass
the one and not the other are listed with the capabilities they would fail.
"""

from __future__ import annotations

from dataclasses import dataclass

from defcore.errors import DefcoreError, GuidelineError
from defcore.guidelines.model import Guideline, Status
from defcore.guidelines.targets import resolve_target
from defcore.results.model import RunResults
from defcore.results.verdict import compute_verdict


@dataclass(frozen=True)
class ProductImpact:
    product: str
    result_id: str
    target: str
    passes_base: bool
    passes_change: bool
    newly_failing: tuple[str, ...]  # capabilities that fail under the change only

    @property
    def breaks(self) -> bool:
        return self.passes_base and not self.passes_change


def impact(database_url: str, base: Guideline, change: Guideline) -> list[ProductImpact]:
    from defcore.server.access import Principal
    from defcore.server.db import make_engine, session_factory
    from defcore.server.deployed import newest_verified
    from defcore.server.guidelines import GuidelineRegistry
    from defcore.server.ingest import run_from_json
    from defcore.server.models import ResultTests, User

    registry = GuidelineRegistry()
    try:
        registry.get(base.id)
    except DefcoreError as exc:
        raise GuidelineError(f"impact: the base guideline must be a known id ({exc})") from exc
    # The foundation runs the gate: it sees every product, private ones included.
    foundation = Principal(User(id=0, name="gate", foundation_admin=True))
    engine = make_engine(database_url)
    out: list[ProductImpact] = []
    try:
        with session_factory(engine)() as session:
            for row in newest_verified(session, foundation, registry, base.id):
                stored = session.get(ResultTests, row.stored_result)
                if stored is None:
                    continue
                run = run_from_json(stored.tests_json, stored.class_failures_json)
                for target in row.targets:
                    out.append(_judge(row.label, row.stored_result, target, run, base, change))
    finally:
        engine.dispose()
    return out


def _judge(
    product: str,
    result_id: str,
    target_name: str,
    run: RunResults,
    base: Guideline,
    change: Guideline,
) -> ProductImpact:
    before = compute_verdict(base, resolve_target(base, target_name), run)
    try:
        target = resolve_target(change, target_name)
    except GuidelineError:
        return ProductImpact(
            product, result_id, target_name, before.passed, False, ("(target removed)",)
        )
    after = compute_verdict(change, target, run)
    failed_before = {c.name for c in before.capabilities if not c.passed}
    newly = tuple(
        c.name
        for c in after.capabilities
        if c.status is Status.REQUIRED and not c.passed and c.name not in failed_before
    )
    return ProductImpact(product, result_id, target_name, before.passed, after.passed, newly)
