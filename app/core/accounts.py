"""What the account services hand back: plain, frozen data, never ORM objects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

Clock = Callable[[], datetime]
TOKEN_BYTES = 32  # a remembered session's token: random bytes from `secrets`


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ActiveSession:
    """A logged-in user with an open vault. ``session_id`` is None for a not-remembered login."""

    user_id: int
    username: str
    vault_key: bytes = field(repr=False)
    session_id: int | None = None
    notice: str | None = None


@dataclass(frozen=True)
class SessionInfo:
    """A remembered session as the account owner sees it."""

    id: int
    device_label: str
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    current: bool = False


def secret_key_by_default(database_url: str) -> bool:
    """Whether a new account gets a Secret Key unless asked otherwise: yes on a shared database
    (MariaDB), whose copies others may hold; no on this device's own SQLite file."""
    return not database_url.startswith("sqlite")


@dataclass(frozen=True)
class EmergencyKit:
    """A new Secret Key, to be shown once: its printed form, whose it is, and where its
    printable kit file was written (None when it could not be)."""

    username: str
    secret_key: str = field(repr=False)
    database: str
    path: Path | None


@dataclass(frozen=True)
class Registered:
    username: str
    kit: EmergencyKit | None = None


@dataclass(frozen=True)
class StartupState:
    """What the first screen should be: the vault, the login form, or registration."""

    has_accounts: bool
    session: ActiveSession | None = None
    notice: str | None = None


def device_label(kind: str) -> str:
    """A device's sessions as the sessions list names them: its host, and what opened them
    ("laptop (Linux)" for the app, "laptop (command line)"), so that a person can tell their
    devices apart. A long host name is cut so that the kind stays in the list's 24 columns."""
    import socket

    host = socket.gethostname() or "this device"
    if not kind:
        return host
    room = 24 - len(f" ({kind})")
    if len(host) > room:
        host = host[: room - 1] + "…"
    return f"{host} ({kind})"
