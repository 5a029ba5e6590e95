"""An account: its name, its password verifier and its wrapped vault key."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import (
    Base,
    intpk,
    short_binary,
    stored_types_checked,
    username_str,
    utc_timestamp,
    wrapped_key,
)

if TYPE_CHECKING:
    from app.models.session import LoginSession


@stored_types_checked
class User(Base):
    __tablename__ = "users"

    id: Mapped[intpk]
    username: Mapped[username_str]
    # Lower-cased name under a unique constraint: "Alice" and "alice" are one account on every
    # backend, whatever the column collation, and two racing registrations cannot both win.
    username_key: Mapped[username_str] = mapped_column(unique=True)
    created_at: Mapped[utc_timestamp]

    # bcrypt over base64(HKDF(Argon2id(password))): see app/core/crypto.py.
    verifier: Mapped[str] = mapped_column(String(60))

    kdf_algorithm: Mapped[str] = mapped_column(String(16))
    kdf_memory_kib: Mapped[int] = mapped_column(Integer)
    kdf_iterations: Mapped[int] = mapped_column(Integer)
    kdf_parallelism: Mapped[int] = mapped_column(Integer)
    kdf_salt: Mapped[bytes] = mapped_column(short_binary(32))

    vault_key_wrapped: Mapped[wrapped_key]
    # crypto.key_check of the current vault key: writes made with any other key are refused.
    # NULL for an account made before it existed, until its next login fills it in.
    vault_key_check: Mapped[bytes | None] = mapped_column(short_binary(32), nullable=True)
    vault_key_algorithm: Mapped[str] = mapped_column(String(16))
    key_format_version: Mapped[int] = mapped_column(Integer)
    # A MAC over the row's key material and this counter, under a key only the master password
    # yields (see app.services.integrity); NULL for an account made before it existed, until
    # its next login fills it in. The counter moves up with every password change.
    account_mac: Mapped[bytes | None] = mapped_column(short_binary(32), nullable=True)
    account_counter: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The public id of the account's Secret Key (app.core.secret_key), NULL for an account
    # without one: the key itself is on the person's devices and kit, never here.
    secret_key_id: Mapped[str | None] = mapped_column(String(16), nullable=True)

    sessions: Mapped[list[LoginSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
