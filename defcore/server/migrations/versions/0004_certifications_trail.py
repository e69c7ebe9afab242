"""certifications bound to a product version, withdrawals, and the keyed audit trail

Revision ID: 0004
Revises: 0005
Create Date: 2026-12-02 07:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0005"
branch_labels = None
depends_on = None

APPEND_ONLY = "audit_events is an append-only audit trail"
ONE_HEAD = "audit_head holds exactly one row"


def upgrade() -> None:
    with op.batch_alter_table("verifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("product_version_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_by", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("withdraw_reason", sa.Text(), nullable=False, server_default="")
        )
    # A verification made before this revision certified the version its result had then; a
    # result could not be verified without one, and nothing moved it since on most stores.
    op.execute(
        "UPDATE verifications SET product_version_id = (SELECT results.product_version_id "
        "FROM results WHERE results.id = verifications.result_id)"
    )
    with op.batch_alter_table("verifications", schema=None) as batch_op:
        batch_op.alter_column("product_version_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(
            batch_op.f("ix_verifications_product_version_id"), ["product_version_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_verifications_product_version_id_product_versions"),
            "product_versions",
            ["product_version_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_verifications_withdrawn_by_users"), "users", ["withdrawn_by"], ["id"]
        )
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("subject_key", sa.String(length=200), nullable=False),
        sa.Column("row_json", sa.Text(), nullable=True),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_subject", ["subject", "subject_key"])
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.Column("head_mac", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    # The empty trail; `defcore server init` seals it with the key (which migrations never see).
    op.execute("INSERT INTO audit_head (id, seq, mac, head_mac) VALUES (1, 0, '', '')")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{APPEND_ONLY}';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE "
            "ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE "
            "ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()"
        )
        op.execute(
            f"""
            CREATE FUNCTION audit_head_one_row() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{ONE_HEAD}';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER audit_head_one_row BEFORE INSERT OR DELETE "
            "ON audit_head FOR EACH ROW EXECUTE FUNCTION audit_head_one_row()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{action.lower()} BEFORE {action} "
                f"ON audit_events BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )
        for action in ("INSERT", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_head_no_{action.lower()} BEFORE {action} "
                f"ON audit_head BEGIN SELECT RAISE(ABORT, '{ONE_HEAD}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_head_one_row ON audit_head")
        op.execute("DROP FUNCTION IF EXISTS audit_head_one_row()")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    op.drop_table("audit_head")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_subject")
    op.drop_table("audit_events")
    with op.batch_alter_table("verifications", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_verifications_withdrawn_by_users"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_verifications_product_version_id_product_versions"),
            type_="foreignkey",
        )
        batch_op.drop_index(batch_op.f("ix_verifications_product_version_id"))
        batch_op.drop_column("withdraw_reason")
        batch_op.drop_column("withdrawn_by")
        batch_op.drop_column("withdrawn_at")
        batch_op.drop_column("product_version_id")
