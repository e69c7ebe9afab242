"""The "Widely Deployed" criterion from data: which capabilities products in the field pass.

Pure computation over test runs; the results server (`defcore.server.deployed`) gathers the
evidence from its store and the scoring code may feed it runs from anywhere.

Definitions (the results server documents the same in its API):

- **Evidence.** Each product contributes at most one run: its *newest verified result*, the
  most recently uploaded result of any of its versions that a foundation admin has verified for
  a target whose name the guideline being scored also defines ("OpenStack Powered Storage",
  "compute", an add-on's name). The verification may be against any guideline: a product
  verified for 2018.02's Storage program is evidence for 2020.06's storage capabilities. Only
  verified results count, because only those are evidence the foundation has checked; an
  unverified upload, public or private, never counts.
- **Scope.** A product is judged only on the capabilities of the components of those targets
  *in the guideline being scored* (a storage-only product says nothing about compute). A
  capability is judged in every status (required, advisory, deprecated, removed,
  informational), so advisory and deprecated ones get evidence too.
- **Pass.** A product passes a capability when every unflagged test of it (in the guideline
  being scored) passed in the run, the same rule as `compute_verdict`. A capability with no
  unflagged tests asks nothing of a product: its share is undetermined.
- **Share and mark.** share = products passing / products judged. The criterion is achieved
  when share is *strictly above* the threshold (default 0.5: a majority of the products with
  evidence) and at least `min_products` products were judged; with fewer it is unknown (None),
  as it is when no product was judged.
- **The committee's mark** is whether the capability's `achievements` in the guideline name
  "deployed"; `agrees` compares it with the data's mark (None when either is unknown).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from defcore.errors import DeployedError, TargetNotFound
from defcore.guidelines.model import STATUS_ORDER, Guideline, Status
from defcore.guidelines.targets import resolve_target
from defcore.results.model import RunResults
from defcore.results.verdict import compute_verdict

CRITERION = "deployed"
DEFAULT_THRESHOLD = 0.5
DEFAULT_MIN_PRODUCTS = 1


@dataclass(frozen=True)
class ProductEvidence:
    """One product's newest verified run and the target names it was verified for."""

    product: str  # a unique label for reports: the product's name, or a placeholder if private
    run: RunResults
    targets: tuple[str, ...]
    product_id: int | None = None
    result_id: str | None = None


@dataclass(frozen=True)
class CapabilityDeployment:
    name: str
    status: Status | None
    components: tuple[str, ...]
    passing: tuple[str, ...]  # product labels
    failing: tuple[str, ...]
    committee: bool  # the guideline's own mark: "deployed" in the capability's achievements
    achieved: bool | None  # the data's mark; None when undetermined
    testable: bool  # False when the capability has no unflagged test

    @property
    def judged(self) -> int:
        return len(self.passing) + len(self.failing)

    @property
    def share(self) -> float | None:
        if not self.testable or not self.judged:
            return None
        return len(self.passing) / self.judged

    @property
    def agrees(self) -> bool | None:
        return None if self.achieved is None else self.achieved == self.committee

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": str(self.status) if self.status else None,
            "components": list(self.components),
            "passing": len(self.passing),
            "judged": self.judged,
            "share": self.share,
            "achieved": self.achieved,
            "committee": self.committee,
            "agrees": self.agrees,
            "passing_products": list(self.passing),
            "failing_products": list(self.failing),
        }


@dataclass(frozen=True)
class DeployedReport:
    guideline: str
    threshold: float
    min_products: int
    capabilities: list[CapabilityDeployment]
    # product label -> the targets of the guideline it was judged for
    products: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def capability(self, name: str) -> CapabilityDeployment:
        return next(c for c in self.capabilities if c.name == name)

    @property
    def disagreements(self) -> list[CapabilityDeployment]:
        return [c for c in self.capabilities if c.agrees is False]

    def as_dict(self) -> dict[str, Any]:
        return {
            "guideline": self.guideline,
            "threshold": self.threshold,
            "min_products": self.min_products,
            "products": len(self.products),
            "capabilities": [c.as_dict() for c in self.capabilities],
        }


def check_parameters(threshold: float, min_products: int) -> None:
    if not 0.0 <= threshold < 1.0:
        raise DeployedError(
            f"threshold {threshold} is out of range: the share must be strictly above it, "
            "so it is at least 0 and below 1"
        )
    if min_products < 1:
        raise DeployedError(f"min_products {min_products} is out of range: at least 1")


def resolve_targets(guideline: Guideline, names: Iterable[str]) -> list[str]:
    """The names among `names` that `guideline` defines as targets, resolved, deduplicated."""
    found: list[str] = []
    for name in names:
        try:
            target = resolve_target(guideline, name)
        except TargetNotFound:
            continue
        if target.name not in found:
            found.append(target.name)
    return found


def widely_deployed(
    guideline: Guideline,
    evidence: Sequence[ProductEvidence],
    threshold: float = DEFAULT_THRESHOLD,
    min_products: int = DEFAULT_MIN_PRODUCTS,
) -> DeployedReport:
    """Each capability of the guideline's components with the products passing it."""
    check_parameters(threshold, min_products)
    passing: dict[str, list[str]] = {}
    failing: dict[str, list[str]] = {}
    products: dict[str, tuple[str, ...]] = {}
    for item in evidence:
        names = resolve_targets(guideline, item.targets)
        if not names:
            continue
        if item.product in products:
            raise DeployedError(f"two pieces of evidence carry the product label {item.product!r}")
        products[item.product] = tuple(names)
        judged: dict[str, bool] = {}
        for name in names:
            target = resolve_target(guideline, name)
            verdict = compute_verdict(guideline, target, item.run, STATUS_ORDER)
            for cap in verdict.capabilities:
                judged[cap.name] = judged.get(cap.name, True) and cap.passed
        for cap_name, passed in judged.items():
            (passing if passed else failing).setdefault(cap_name, []).append(item.product)
    rows = []
    for cap_name, components in _capabilities(guideline).items():
        capability = guideline.capabilities[cap_name]
        testable = bool(capability.unflagged_tests)
        ok: list[str] = passing.get(cap_name, [])
        bad: list[str] = failing.get(cap_name, [])
        judged_count = len(ok) + len(bad)
        achieved: bool | None = None
        if testable and judged_count >= min_products:
            achieved = len(ok) / judged_count > threshold
        rows.append(
            CapabilityDeployment(
                name=cap_name,
                status=guideline.status_of(cap_name),
                components=tuple(components),
                passing=tuple(ok),
                failing=tuple(bad),
                committee=CRITERION in capability.achievements,
                achieved=achieved,
                testable=testable,
            )
        )
    return DeployedReport(guideline.id, threshold, min_products, rows, products)


def _capabilities(guideline: Guideline) -> dict[str, list[str]]:
    """Capabilities any component lists (in any status), in file order, with their components."""
    found: dict[str, list[str]] = {}
    for component in guideline.components.values():
        for _status, name in component.all_capabilities():
            if name in guideline.capabilities:
                found.setdefault(name, [])
                if component.name not in found[name]:
                    found[name].append(component.name)
    return found
