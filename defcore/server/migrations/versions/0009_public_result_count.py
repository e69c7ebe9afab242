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

# SQLite: one trigger for each change that moves the count, each a single UPDATE
SQLITE_TRIGGERS = {
    "results_count_insert": "AFTER INSERT ON results WHEN NEW.public",
    "results_count_delete": "AFTER DELETE ON results WHEN OLD.public",
    "results_count_update": "AFTER UPDATE OF public ON results WHEN OLD.public IS NOT NEW.public",
}
SQLITE_CHANGE = {
    "results_count_insert": "1",
    "results_count_delete": "-1",
    "results_count_update": "CASE WHEN NEW.public THEN 1 ELSE -1 END",
}


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
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION results_count_public() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    UPDATE result_counts SET total = total + 1 WHERE name = 'public';
                ELSIF TG_OP = 'DELETE' THEN
                    UPDATE result_counts SET total = total - 1 WHERE name = 'public';
                ELSIF NEW.public THEN
                    UPDATE result_counts SET total = total + 1 WHERE name = 'public';
                ELSE
                    UPDATE result_counts SET total = total - 1 WHERE name = 'public';
                END IF;
                RETURN NULL;
            END
            $$ LANGUAGE plpgsql
            """
        )
        # only changes that move the count take the count's row lock: private uploads do not
        for name, event, when in (
            ("results_count_insert", "INSERT", "NEW.public"),
            ("results_count_delete", "DELETE", "OLD.public"),
            ("results_count_update", "UPDATE OF public", "OLD.public IS DISTINCT FROM NEW.public"),
        ):
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON results FOR EACH ROW "
                f"WHEN ({when}) EXECUTE FUNCTION results_count_public()"
            )
        return
    for name, when in SQLITE_TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {name} {when} BEGIN UPDATE result_counts "
            f"SET total = total + ({SQLITE_CHANGE[name]}) WHERE name = 'public'; END"
        )


def downgrade() -> None:
    for name in SQLITE_TRIGGERS:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON results")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS results_count_public()")
    op.drop_table("result_counts")
