"""The vault: sealed items and their password history.

Revision ID: 0002_vault
Revises: 0001_accounts
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.mysql import MEDIUMBLOB

from app.models.base import UTCDateTime

revision = "0002_vault"
down_revision = "0001_accounts"
branch_labels = None
depends_on = None

FIELDS = ("title", "username", "password", "urls", "notes", "tags", "totp")


def sealed() -> sa.types.TypeEngine[bytes]:
    return sa.LargeBinary().with_variant(MEDIUMBLOB(), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("favourite", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        *(sa.Column(f"{field}_sealed", sealed(), nullable=False) for field in FIELDS),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_items_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
    )
    op.create_index(op.f("ix_items_user_id"), "items", ["user_id"], unique=False)
    op.create_table(
        "password_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("replaced_at", UTCDateTime(), nullable=False),
        sa.Column("password_sealed", sealed(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_password_history_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_history")),
    )
    op.create_index(
        op.f("ix_password_history_item_id"), "password_history", ["item_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_password_history_item_id"), table_name="password_history")
    op.drop_table("password_history")
    op.drop_index(op.f("ix_items_user_id"), table_name="items")
    op.drop_table("items")
