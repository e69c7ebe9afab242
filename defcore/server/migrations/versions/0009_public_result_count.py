"""the count of public results, kept by triggers: the anonymous result list's total

A later migration that rebuilds `results` on SQLite (Alembic's batch mode copies the table)
drops its triggers with it, and must create these again.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# (name, event, when, change of the count): each change of results that moves the count, in
# SQL both databases read (`public` is NOT NULL, so <> never meets a NULL)
TRIGGERS = (
    ("results_count_insert", "INSERT", "NEW.public", "1"),
    ("results_count_delete", "DELETE", "OLD.public", "-1"),
    (
        "results_count_update",
        "UPDATE OF public",
        "OLD.public <> NEW.public",
        "CASE WHEN NEW.public THEN 1 ELSE -1 END",
    ),
)


def upgrade() -> None:
    # Counting the public results was a scan of the results table on every view of the
    # public result list (2.4 ms of PostgreSQL's CPU with 10,000 results, more with each
    # private upload); the triggers keep the count as rows come, go and change, in the
    # transaction that changes them, whatever path that takes.
    op.create_table(
        "result_counts",
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_result_counts")),
    )
    op.execute(
        "INSERT INTO result_counts (name, total) "
        "SELECT 'public', count(*) FROM results WHERE public"
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    # only changes that move the count take the count's row lock: private uploads do not
    for name, event, when, change in TRIGGERS:
        update = f"UPDATE result_counts SET total = total + ({change}) WHERE name = 'public';"
        if postgres:  # a trigger runs a function there: one for each, of the same UPDATE
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger AS $$ "
                f"BEGIN {update} RETURN NULL; END $$ LANGUAGE plpgsql"
            )
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON results FOR EACH ROW "
                f"WHEN ({when}) EXECUTE FUNCTION {name}()"
            )
        else:
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON results WHEN {when} BEGIN {update} END"
            )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, *_ in TRIGGERS:
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON results")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("result_counts")
