"""An identity for each write to an item, chosen by the device before it writes.

A connection lost during COMMIT leaves the device unsure whether its write happened; the write
is then run again, and finds its own write_id if the first run was applied (never applied twice).

Revision ID: 0006_write_id
Revises: 0005_vault_key_check
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_write_id"
down_revision = "0005_vault_key_check"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("items", sa.Column("write_id", sa.String(32), nullable=True))
    op.create_index("ix_items_write_id", "items", ["write_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_items_write_id", table_name="items")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("write_id")
