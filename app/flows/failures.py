"""What a failed worker means to the person: a pure function from the error to a Failure.

The App routes the Failure (see ``StrongroomApp._worker_failed``); nothing here touches a
screen, so every case is testable without one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from app.core.errors import (
    AccountDataError,
    AccountGone,
    DatabaseUnavailable,
    ItemNotFound,
    LoginFailed,
    UserError,
    VaultKeyChanged,
    VaultTampered,
)
from app.core.standing import SessionEnded

# Where a failure goes: the screen that asked ("screen"), the database-error screen (the
# database never opened), the login form (the account or this device's session is gone), the
# unlock form (the session was locked by another process of this device), the vault's
# offline line (a background read failed; the vault keeps retrying), or, when the start-up
# itself failed another way (the database holds what Strongroom never writes, say), the
# database-error screen saying so ("startup_failed": no first screen to show it on).
Route = Literal["screen", "database_error", "logged_out", "locked", "offline", "startup_failed"]


PASSWORD_FIELDS = frozenset({"password", "confirm", "current"})


@dataclass(frozen=True)
class Failure:
    text: str
    field: str | None = None
    route: Route = "screen"
    clear_passwords: bool = False  # the password fields go: retyping them is the fix
    refresh: bool = False  # what the screen shows is out of date
    database: DatabaseUnavailable | None = None
    # The account and session a session's end is about: none other may be ended by it.
    about: tuple[int, int | None] | None = None
    unexpected: bool = False  # a bug: its stack belongs in the error log


def explain(error: BaseException, group: str, log_path: Path) -> Failure:
    """The Failure for ``error``, raised by a worker of ``group``."""
    if isinstance(error, DatabaseUnavailable):
        if group == "startup":
            return Failure(error.message, route="database_error", database=error)
        if group == "vault-load":
            return Failure(error.message, route="offline")
        return Failure(f"{error.message} What you typed is kept; try again when it is back.")
    if group == "startup" and isinstance(error, VaultTampered | AccountDataError):
        return Failure(error.message, route="startup_failed")
    if isinstance(error, SessionEnded):
        route: Route = "locked" if error.locked else "logged_out"
        return Failure(error.message, route=route, about=(error.user_id, error.session_id))
    if isinstance(error, AccountGone | VaultKeyChanged):
        return Failure(error.message, route="logged_out")
    if isinstance(error, UserError):
        field = error.field or None
        return Failure(
            error.message,
            # A mismatch is fixed by typing the password again, from its first field.
            "password" if field == "confirm" else field,
            # The password that was wrong goes (and only it: a taken name keeps them).
            clear_passwords=field in PASSWORD_FIELDS
            or (isinstance(error, LoginFailed | AccountDataError) and field != "secret_key"),
            refresh=isinstance(error, ItemNotFound),
        )
    return Failure(
        f"Something unexpected went wrong ({type(error).__name__}). Nothing was lost; "
        f"details are in {log_path}.",
        route="startup_failed" if group == "startup" else "screen",
        unexpected=True,
    )
