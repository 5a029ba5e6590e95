"""The optional Secret Key: the public id of an account's key, NULL for an account without one
(every existing account). The key itself is never stored in the database.

Revision ID: 0011_secret_key
Revises: 0010_integrity
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_secret_key"
down_revision = "0010_integrity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("secret_key_id", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("secret_key_id")
