"""Failed-login counters, per attempted name; and the key that hides those names."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, short_binary


class LoginThrottle(Base):
    __tablename__ = "login_throttle"

    # A keyed hash (HMAC-SHA256, hex) of the lower-cased name that was tried, never the name:
    # what someone types into the username box may be a passphrase. Keyed by name, not by
    # account, so an unknown name is throttled exactly like a real one.
    name_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class AppKey(Base):
    """A random key the database keeps for itself (the throttle's name-hashing key)."""

    __tablename__ = "app_keys"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[bytes] = mapped_column(short_binary(64))
