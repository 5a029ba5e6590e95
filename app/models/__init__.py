"""SQLAlchemy models: the tables Strongroom keeps, and nothing else."""

from app.models.base import Base
from app.models.health import HealthCache
from app.models.item import ITEM_FIELDS, SEALED_FIELDS, PasswordHistory, VaultHead, VaultItem
from app.models.session import LoginSession
from app.models.throttle import AppKey, LoginThrottle
from app.models.user import User

__all__ = [
    "ITEM_FIELDS",
    "SEALED_FIELDS",
    "AppKey",
    "Base",
    "HealthCache",
    "LoginSession",
    "LoginThrottle",
    "PasswordHistory",
    "User",
    "VaultHead",
    "VaultItem",
]
