"""Failed-login counters, per attempted username (whether or not such an account exists)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime


class LoginThrottle(Base):
    __tablename__ = "login_throttle"

    # The lower-cased username that was tried: keyed by name, not by account, so an unknown
    # name is throttled exactly like a real one and the two cannot be told apart.
    username_key: Mapped[str] = mapped_column(String(32), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
