"""The vault health report's cache: what scoring an item's password found, sealed.

One row per item, holding nothing readable: the zxcvbn score, the common-password flag and the
breach count, with what they were computed from (a keyed digest of the password and the words
it was judged with, and the breach list's identity), all inside one AES-GCM blob under the
vault key, bound to its user and item (see app/services/health_cache.py). Which items share a
password is never stored. Derived data: dropping every row loses nothing but time.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, sealed_field


class HealthCache(Base):
    __tablename__ = "health_cache"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    sealed: Mapped[sealed_field]
