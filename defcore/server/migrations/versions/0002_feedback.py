"""feedback: maintainers, proposals and their append-only audit trail

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

APPEND_ONLY = "proposal_events is an append-only audit trail"


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("maintainer", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guideline_id", sa.String(length=100), nullable=False),
        sa.Column("capability", sa.String(length=200), nullable=False),
        sa.Column("change_json", sa.Text(), nullable=False),
        sa.Column("current_json", sa.Text(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("quorum", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_proposals_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposals")),
    )
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_proposals_guideline_id"), ["guideline_id"], unique=False
        )
        batch_op.create_index("ix_proposals_state_created", ["state", "created_at"], unique=False)
    op.create_table(
        "proposal_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("maintainer", sa.Boolean(), nullable=False),
        sa.Column("vote", sa.Integer(), nullable=True),
        sa.Column("ref_seq", sa.Integer(), nullable=True),
        sa.Column("state_from", sa.String(length=20), nullable=True),
        sa.Column("state_to", sa.String(length=20), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_proposal_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name=op.f("fk_proposal_events_proposal_id_proposals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_events")),
        sa.UniqueConstraint("proposal_id", "seq", name=op.f("uq_proposal_events_proposal_id")),
    )
    # The audit trail is append-only in the database itself, not only in the server's code.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION proposal_events_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{APPEND_ONLY}';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER proposal_events_append_only BEFORE UPDATE OR DELETE "
            "ON proposal_events FOR EACH ROW EXECUTE FUNCTION proposal_events_append_only()"
        )
        op.execute(
            "CREATE TRIGGER proposal_events_no_truncate BEFORE TRUNCATE "
            "ON proposal_events FOR EACH STATEMENT EXECUTE FUNCTION proposal_events_append_only()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER proposal_events_no_{action.lower()} BEFORE {action} "
                f"ON proposal_events BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS proposal_events_no_truncate ON proposal_events")
        op.execute("DROP TRIGGER IF EXISTS proposal_events_append_only ON proposal_events")
        op.execute("DROP FUNCTION IF EXISTS proposal_events_append_only()")
    op.drop_table("proposal_events")
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.drop_index("ix_proposals_state_created")
        batch_op.drop_index(batch_op.f("ix_proposals_guideline_id"))
    op.drop_table("proposals")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("maintainer")
