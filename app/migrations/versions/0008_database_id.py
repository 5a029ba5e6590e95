"""A random identity for the database, kept in app_keys as "database_id" (not a secret).

A device's saved login records the identity of the database that issued it, so that a command
run with the same folders against another database is refused instead of deleting that login
(and leaving its session, on the real database, open).

Revision ID: 0008_database_id
Revises: 0007_custom_fields
Create Date: 2026-12-06
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

from app.models.base import short_binary

revision = "0008_database_id"
down_revision = "0007_custom_fields"
branch_labels = None
depends_on = None

_KEYS = sa.table("app_keys", sa.column("name", sa.String(32)), sa.column("value", short_binary(64)))


def upgrade() -> None:
    op.bulk_insert(_KEYS, [{"name": "database_id", "value": secrets.token_bytes(16)}])


def downgrade() -> None:
    op.execute(_KEYS.delete().where(_KEYS.c.name == "database_id"))
