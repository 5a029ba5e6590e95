"""A check value for the current vault key, so a rotated key's old copies write nothing.

Revision ID: 0005_vault_key_check
Revises: 0004_keyed_throttle
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.models.base import short_binary

revision = "0005_vault_key_check"
down_revision = "0004_keyed_throttle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("vault_key_check", short_binary(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("vault_key_check")
