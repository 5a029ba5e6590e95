"""Vault items: every field a person types is stored sealed (see app/services/sealing.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import (
    Base,
    UTCDateTime,
    intpk,
    optional_sealed_field,
    sealed_field,
    short_binary,
    utc_timestamp,
)

# The typed fields, in form order; each is a column named "<field>_sealed".
ITEM_FIELDS = ("title", "username", "password", "urls", "notes", "tags", "totp")
# Every sealed column of an item: the typed fields, then its custom fields (NULL when none).
SEALED_FIELDS = (*ITEM_FIELDS, "fields")


class VaultItem(Base):
    __tablename__ = "items"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Optimistic concurrency: every UPDATE checks and bumps it, so two devices editing the same
    # item cannot silently overwrite each other.
    version: Mapped[int] = mapped_column(Integer)
    favourite: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[utc_timestamp]
    updated_at: Mapped[utc_timestamp]
    # The identity of the last write, chosen by the device before writing: a write run again
    # after a COMMIT whose outcome was lost finds its own (see services.transactions).
    write_id: Mapped[str | None] = mapped_column(String(32), unique=True, index=True)
    # Set when the item is moved to the trash; purged 30 days later.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    title_sealed: Mapped[sealed_field]
    username_sealed: Mapped[sealed_field]
    password_sealed: Mapped[sealed_field]
    urls_sealed: Mapped[sealed_field]
    notes_sealed: Mapped[sealed_field]
    tags_sealed: Mapped[sealed_field]
    totp_sealed: Mapped[sealed_field]
    # The item's custom fields, as one sealed JSON list; NULL when it has none.
    fields_sealed: Mapped[optional_sealed_field]
    # A MAC over the row as Strongroom wrote it (see app.services.integrity); NULL only for an
    # item written before the integrity record, until its account's next unlock.
    integrity_tag: Mapped[bytes | None] = mapped_column(short_binary(32), nullable=True)

    history: Mapped[list[PasswordHistory]] = relationship(
        back_populates="item",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="PasswordHistory.id.desc()",
    )

    __mapper_args__ = {"version_id_col": version}


class PasswordHistory(Base):
    """A password an item used to have, with the time it was replaced."""

    __tablename__ = "password_history"

    id: Mapped[intpk]
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    replaced_at: Mapped[utc_timestamp]
    password_sealed: Mapped[sealed_field]

    item: Mapped[VaultItem] = relationship(back_populates="history")


class VaultHead(Base):
    """The integrity record of one account's vault (see app.services.integrity): the XOR of
    its items' tags, a counter every write moves up, and a MAC over both under the vault key."""

    __tablename__ = "vault_heads"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    counter: Mapped[int] = mapped_column(BigInteger)
    head: Mapped[bytes] = mapped_column(short_binary(32))
    # The account row's counter when this head was written: an older users row brought back
    # (a password change undone) has a lower one.
    account_counter: Mapped[int] = mapped_column(Integer)
    mac: Mapped[bytes] = mapped_column(short_binary(32))
