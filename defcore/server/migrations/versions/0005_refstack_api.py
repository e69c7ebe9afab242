"""RefStack's API: anonymous results (no uploader) and per-result metadata

Revision ID: 0005
Revises: 0002
Create Date: 2026-12-02 08:00:00
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _uploader_nullable(True)
    op.create_table(
        "result_meta",
        sa.Column("result_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["results.id"],
            name=op.f("fk_result_meta_result_id_results"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("result_id", "key", name=op.f("pk_result_meta")),
    )


def downgrade() -> None:
    op.drop_table("result_meta")
    anonymous = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM results WHERE uploader_id IS NULL")
    )
    if anonymous:
        raise RuntimeError(
            f"{anonymous} anonymous results have no uploader; the older schema cannot hold them"
        )
    _uploader_nullable(False)


def _uploader_nullable(nullable: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.alter_column("results", "uploader_id", existing_type=sa.Integer(), nullable=nullable)
        return
    # SQLite cannot alter a column, and rebuilding `results` (batch_alter_table) drops it while
    # foreign keys are on: that DELETE would cascade to every result's tests, verifications and
    # verdicts. Dropping NOT NULL changes nothing stored, so the table's definition is edited
    # in place, as SQLite's documentation describes for such changes (writable_schema and a
    # new schema_version); the downgrade does the same once no row holds a NULL.
    table_sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'results'"
    ).scalar_one()
    if nullable:
        pattern, replacement = r"\buploader_id INTEGER NOT NULL", "uploader_id INTEGER"
    else:
        pattern, replacement = (
            r"\buploader_id INTEGER\b(?! NOT NULL)",
            "uploader_id INTEGER NOT NULL",
        )
    new_sql, changed = re.subn(pattern, replacement, table_sql)
    if changed != 1:
        raise RuntimeError(f"results: cannot find the uploader_id column in {table_sql!r}")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'results'",
            (new_sql,),
        )
        bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")
