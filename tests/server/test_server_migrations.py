"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from defcore.server.db import current_revision, head_revision, make_engine, migrate
from defcore.server.models import Base


def test_migrations_match_models(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert current_revision(engine) is None
        before, after = migrate(engine)
        assert (before, after) == (None, head_revision())
        assert migrate(engine) == (after, after)  # idempotent
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diffs == []
    finally:
        engine.dispose()


def test_anonymous_results_migration_keeps_every_row(database_url: str) -> None:
    """0005 makes results.uploader_id nullable; on SQLite it edits the table's definition in
    place, because rebuilding the table would cascade the delete to the results' tests."""
    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    from defcore.server.db import _alembic_config

    config = _alembic_config()
    before = ScriptDirectory.from_config(config).get_revision("0005").down_revision
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, str(before))
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, name, foundation_admin, created_at, maintainer) "
                    "VALUES (1, 'u', false, '2026-01-01', false)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO results (id, uploader_id, public, body_sha256, body_format, "
                    "cpid, test_count, passed_count, signature, created_at) VALUES "
                    "('r1', 1, false, 'd', 'refstack', 'c', 1, 1, '', '2026-01-01')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO result_tests (result_id, tests_json, class_failures_json) "
                    "VALUES ('r1', '[]', '{}')"
                )
            )
        migrate(engine)
        with engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM result_tests")).scalar_one() == 1
            assert conn.execute(text("SELECT uploader_id FROM results")).scalar_one() == 1
            conn.execute(
                text(
                    "INSERT INTO results (id, uploader_id, public, body_sha256, body_format, "
                    "cpid, test_count, passed_count, signature, created_at) VALUES "
                    "('r2', NULL, false, 'd', 'refstack', 'c', 1, 1, '', '2026-01-01')"
                )
            )
            assert conn.execute(text("SELECT count(*) FROM results")).scalar_one() == 2
    finally:
        engine.dispose()
