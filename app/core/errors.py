"""The errors a person can act on: each carries the sentence to show and the field it concerns.

Every failure that reaches a screen is a :class:`UserError` (or is unexpected, and then logged).
The App turns one into what the person sees without asking which kind it is: ``message`` is
meant to be shown as it is, ``field`` names the form field where the fix goes ("" for none).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.core.items import Item

LOGIN_FAILED = "Wrong username or password."
UNLOCK_FAILED = "Wrong password."


class UserError(Exception):
    """A failure whose message is written for the person at the keyboard."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationError(UserError, ValueError):
    """Input that cannot be accepted; ``field`` names the form field it belongs to."""


class UsernameTaken(ValidationError):
    def __init__(self, username: str) -> None:
        super().__init__(
            f"The username {username!r} is already taken. Please choose a different one.",
            "username",
        )


class LoginFailed(UserError):
    """Wrong username or password: one message for both, by design."""

    def __init__(
        self,
        retry_at: datetime | None = None,
        now: datetime | None = None,
        first: str = LOGIN_FAILED,
    ) -> None:
        message = first
        if retry_at is not None and now is not None:
            message += f" Too many failed attempts: {wait_text(retry_at, now)}"
        super().__init__(message, "password")


class LoginThrottled(LoginFailed):
    """Too many failures for this username: no attempt is checked until ``retry_at``."""

    def __init__(self, retry_at: datetime, now: datetime) -> None:
        UserError.__init__(
            self,
            f"Too many failed attempts for this username. {wait_text(retry_at, now)}",
            "password",
        )
        self.retry_at = retry_at


def wait_text(retry_at: datetime, now: datetime) -> str:
    seconds = max(1, int((retry_at - now).total_seconds() + 0.999))
    wait = f"{seconds} seconds" if seconds < 120 else f"{(seconds + 59) // 60} minutes"
    return f"Try again in {wait} (at {retry_at:%H:%M:%S} UTC)."


class AccountDataError(UserError):
    """The account's stored key material is damaged or weaker than allowed."""


class AccountGone(UserError):
    """The account was deleted (on another device, say) while this one had it open."""

    def __init__(self) -> None:
        super().__init__("This account no longer exists; it may have been deleted elsewhere.")


class VaultKeyChanged(UserError):
    """The vault key was rotated on another device; this device's copy opens nothing now."""

    def __init__(self) -> None:
        super().__init__(
            "The vault key was changed on another device, so this device must log in again. "
            "Nothing was saved with the old key."
        )


class VaultLocked(UserError):
    def __init__(self) -> None:
        super().__init__("The vault is locked. Unlock it and try again.")


class ItemNotFound(UserError):
    def __init__(self) -> None:
        super().__init__("That item no longer exists; it may have been deleted on another device.")


class EditConflict(UserError):
    """The item changed since it was opened; ``current`` is what the database holds now."""

    def __init__(self, current: Item | None) -> None:
        super().__init__("This item was changed on another device while you were editing it.")
        self.current = current


class DatabaseUnavailable(UserError):
    """The database cannot be reached or used. ``target`` never contains a password."""

    def __init__(self, target: str, reason: str, hint: str) -> None:
        super().__init__(f"The database ({target}) cannot be reached: {reason}")
        self.target = target
        self.reason = reason
        self.hint = hint


class DatabaseBusy(DatabaseUnavailable):
    """The server waited its lock wait timeout (errno 1205) for a lock another connection
    holds: it is reachable, and nothing of this change was written."""

    def __init__(self, target: str, reason: str) -> None:
        UserError.__init__(
            self,
            f"The database ({target}) is busy: another connection held a lock this needed for "
            f"longer than the server waits ({reason}). Nothing was changed.",
        )
        self.target = target
        self.reason = reason
        self.hint = (
            "Try again in a moment. If it keeps happening, look on the server for a client "
            "that keeps a transaction open (SHOW PROCESSLIST)."
        )


class VaultTampered(UserError):
    """The database's rows do not match the vault's integrity record: changed, removed or put
    back by someone who can write the database, not by Strongroom. ``damaged``: the ids of the
    items whose rows no longer match (they are shown as damaged, never opened)."""

    def __init__(self, message: str, damaged: tuple[int, ...] = ()) -> None:
        super().__init__(message)
        self.damaged = damaged
        # What a listing found, those items shown as damaged (set by the vault service).
        self.items: list[Item] = []


class VaultRolledBack(VaultTampered):
    """The database is older than what this device has already seen of it: a backup restored,
    or the database rolled back. ``seen_on``: when this device saw the newer state."""

    def __init__(self, seen_on: datetime) -> None:
        super().__init__(
            f"The database is older than what this device saw on {seen_on:%Y-%m-%d %H:%M} UTC: "
            "it was restored from a backup or rolled back, and changes made since may be "
            "missing. Nothing was changed. If you restored it on purpose, run strongroom db "
            "accept-restore; if not, restore the newest copy of the database."
        )
        self.seen_on = seen_on
