"""Custom fields on vault items: one sealed column, NULL for an item without any.

Revision ID: 0007_custom_fields
Revises: 0006_write_id
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.mysql import MEDIUMBLOB

revision = "0007_custom_fields"
down_revision = "0006_write_id"
branch_labels = None
depends_on = None


def upgrade() -> None:
    column_type = sa.LargeBinary().with_variant(MEDIUMBLOB(), "mysql", "mariadb")
    op.add_column("items", sa.Column("fields_sealed", column_type, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.drop_column("fields_sealed")
