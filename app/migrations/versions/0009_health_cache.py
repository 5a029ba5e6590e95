"""The vault health report's cache: one sealed blob per item, nothing readable beside it.

Revision ID: 0009_health_cache
Revises: 0008_database_id
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.mysql import MEDIUMBLOB

revision = "0009_health_cache"
down_revision = "0008_database_id"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "health_cache",
        sa.Column("item_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "sealed",
            sa.LargeBinary().with_variant(MEDIUMBLOB(), "mysql", "mariadb"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_health_cache_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_health_cache_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_health_cache")),
    )
    op.create_index(op.f("ix_health_cache_user_id"), "health_cache", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_health_cache_user_id"), table_name="health_cache")
    op.drop_table("health_cache")
