"""The evidence: result files of many runs, each tied to a cloud and a configuration."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from defcore.errors import ResultsError
from defcore.results.model import RunResults
from defcore.results.read import read_result_file


@dataclass(frozen=True)
class RunRecord:
    source: str
    cloud: str  # the product: RefStack's cpid when known, else the cloud's name
    config: str  # how it was run: "dynamic (admin)", "pre-provisioned accounts", ...
    results: RunResults


def load_run(path: Path) -> RunRecord:
    """A run directory (its result.json) or any result file defcore reads."""
    file = path / "result.json" if path.is_dir() else path
    found = read_result_file(file)
    config = str(found.meta.get("credentials") or "unknown")
    cloud = found.results.cpid or str(found.meta.get("auth_url") or found.meta.get("cloud") or "")
    return RunRecord(str(path), cloud or str(path), config, found.results)


def load_runs(paths: list[Path]) -> list[RunRecord]:
    if not paths:
        raise ResultsError("no runs given: name run directories or result files")
    return [load_run(p) for p in paths]


def load_store_runs(database_url: str) -> list[RunRecord]:
    """Every stored result tied to a product: the product is the cloud, the run's
    configuration unknown (the server keeps outcomes, not how the run was made)."""
    from sqlalchemy import select

    from defcore.server.db import make_engine, session_factory
    from defcore.server.ingest import run_from_json
    from defcore.server.models import Product, ProductVersion, Result, ResultTests

    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            rows = session.execute(
                select(Result.id, Product, ResultTests)
                .join(ProductVersion, Result.product_version_id == ProductVersion.id)
                .join(Product, ProductVersion.product_id == Product.id)
                .join(ResultTests, ResultTests.result_id == Result.id)
                .order_by(Result.created_at, Result.id)
            ).all()
            return [
                RunRecord(
                    f"result {result_id}",
                    f"{product.vendor.name} / {product.name}",
                    "unknown",
                    run_from_json(tests.tests_json, tests.class_failures_json),
                )
                for result_id, product, tests in rows
            ]
    finally:
        engine.dispose()
