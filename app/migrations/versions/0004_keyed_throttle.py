"""Throttle counters keyed by a keyed hash of the name tried, never the name itself.

The old table held every name ever tried in clear, and a passphrase typed into the username box
is a name tried: it is dropped, not converted (its counters restart from nothing).

Revision ID: 0004_keyed_throttle
Revises: 0003_login_throttle
Create Date: 2026-11-30
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

from app.models.base import UTCDateTime, short_binary

revision = "0004_keyed_throttle"
down_revision = "0003_login_throttle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("login_throttle")
    op.create_table(
        "login_throttle",
        sa.Column("name_hash", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name_hash", name=op.f("pk_login_throttle")),
    )
    keys = op.create_table(
        "app_keys",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", short_binary(64), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_app_keys")),
    )
    op.bulk_insert(keys, [{"name": "throttle", "value": secrets.token_bytes(32)}])


def downgrade() -> None:
    op.drop_table("app_keys")
    op.drop_table("login_throttle")
    op.create_table(
        "login_throttle",
        sa.Column("username_key", sa.String(length=32), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("username_key", name=op.f("pk_login_throttle")),
    )
