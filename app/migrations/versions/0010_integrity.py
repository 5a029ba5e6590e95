"""The vault's integrity record: a MAC'd tag on every item, a MAC'd head per account (the XOR
of its items' tags, and a counter that only goes up), and a MAC on the account row.

A migration holds no key, so it cannot compute a tag or re-seal a field: every existing item
keeps a NULL tag (and its fields their first associated data) until the account's next unlock,
which re-seals them, binds each to its version and writes the head in one transaction (see
app.services.integrity). An account row keeps a NULL MAC until its next login.

Revision ID: 0010_integrity
Revises: 0009_health_cache
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.models.base import short_binary

revision = "0010_integrity"
down_revision = "0009_health_cache"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("items", sa.Column("integrity_tag", short_binary(32), nullable=True))
    op.add_column("users", sa.Column("account_mac", short_binary(32), nullable=True))
    op.add_column("users", sa.Column("account_counter", sa.Integer(), nullable=True))
    op.create_table(
        "vault_heads",
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("counter", sa.BigInteger(), nullable=False),
        sa.Column("head", short_binary(32), nullable=False),
        sa.Column("account_counter", sa.Integer(), nullable=False),
        sa.Column("mac", short_binary(32), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_vault_heads_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_vault_heads")),
    )


def downgrade() -> None:
    op.drop_table("vault_heads")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("account_counter")
        batch.drop_column("account_mac")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("integrity_tag")
