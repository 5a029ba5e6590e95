"""Whether this device's session still stands, as the database says now.

A session can end while the app holds it open: revoked from another device, ended there by a
change of master password, past its time limit, or locked by a command on this device. The
app asks before every action and every half minute (see app.flows.base.Flow.session), and
a session that no longer stands ends here too, with one of these reasons.
"""

from __future__ import annotations

from app.core.errors import UserError

ENDED = "This session was ended from another device. Please log in again."
PASSWORD_CHANGED = "Your master password was changed on another device: log in again."  # noqa: S105
EXPIRED = "This session reached its time limit. Please log in again."
LOCKED_HERE = "The vault was locked elsewhere on this device (strongroom lock, another window)."


class SessionEnded(UserError):
    """This device's session no longer stands. ``locked``: only its vault key went (it was
    locked by this device's command line or another window), so unlocking is the way back;
    otherwise this device is logged out. Names the account and session it is about (never a
    key), so that an answer arriving after a lock or another login ends nothing else."""

    def __init__(
        self, message: str, user_id: int, session_id: int | None, *, locked: bool = False
    ) -> None:
        super().__init__(message)
        self.user_id = user_id
        self.session_id = session_id
        self.locked = locked
