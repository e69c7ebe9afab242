"""accounts: self-registered vendors and their decisions, invitations, version cpids, one owner
per public key

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 07:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Only columns are added and indexes created: on SQLite a batch table rebuild of a table
    # that others reference would fire their ON DELETE actions.
    with op.batch_alter_table("vendors", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=20), nullable=False, server_default="private")
        )
        batch_op.add_column(
            sa.Column("status_reason", sa.Text(), nullable=False, server_default="")
        )
    # Vendors so far were created by foundation admins only: they are official.
    op.execute("UPDATE vendors SET status = 'official'")
    with op.batch_alter_table("product_versions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cpid", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.create_index(batch_op.f("ix_product_versions_cpid"), ["cpid"], unique=False)
    # A key registered to several accounts (possible before this revision) stays with the
    # account that registered it first; uploads signed with a dropped copy become unsigned.
    later_copies = (
        "SELECT k.id FROM public_keys k JOIN public_keys first "
        "ON first.fingerprint = k.fingerprint AND first.id < k.id"
    )
    op.execute(f"UPDATE results SET signed_key_id = NULL WHERE signed_key_id IN ({later_copies})")
    op.execute(f"DELETE FROM public_keys WHERE id IN ({later_copies})")
    with op.batch_alter_table("public_keys", schema=None) as batch_op:
        batch_op.create_index("ux_public_keys_fingerprint", ["fingerprint"], unique=True)
    op.create_table(
        "vendor_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_vendor_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendors.id"], name=op.f("fk_vendor_events_vendor_id_vendors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vendor_events")),
    )
    with op.batch_alter_table("vendor_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vendor_events_vendor_id"), ["vendor_id"], unique=False)
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("invited_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invited_by"],
            ["users.id"],
            name=op.f("fk_invitations_invited_by_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"],
            ["vendors.id"],
            name=op.f("fk_invitations_vendor_id_vendors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("vendor_id", "user_name", name=op.f("uq_invitations_vendor_id")),
    )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitations_user_name"), ["user_name"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitations_user_name"))
    op.drop_table("invitations")
    with op.batch_alter_table("vendor_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vendor_events_vendor_id"))
    op.drop_table("vendor_events")
    with op.batch_alter_table("public_keys", schema=None) as batch_op:
        batch_op.drop_index("ux_public_keys_fingerprint")
    with op.batch_alter_table("product_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_versions_cpid"))
        batch_op.drop_column("cpid")
    with op.batch_alter_table("vendors", schema=None) as batch_op:
        batch_op.drop_column("status_reason")
        batch_op.drop_column("status")
