"""A remembered login: the hash of a device's token and the vault key wrapped under that token."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, intpk, label_str, stored_types_checked, utc_timestamp, wrapped_key

if TYPE_CHECKING:
    from app.models.user import User


@stored_types_checked
class LoginSession(Base):
    __tablename__ = "sessions"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # SHA-256 (hex) of the 32-byte token; the token itself exists only in the device's file.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    device_label: Mapped[label_str]
    created_at: Mapped[utc_timestamp]
    last_used_at: Mapped[utc_timestamp]
    expires_at: Mapped[utc_timestamp]

    vault_key_wrapped: Mapped[wrapped_key]
    vault_key_algorithm: Mapped[str] = mapped_column(String(16))
    key_format_version: Mapped[int] = mapped_column(Integer)

    user: Mapped[User] = relationship(back_populates="sessions")
