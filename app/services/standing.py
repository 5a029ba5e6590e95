"""One cheap query: does this device's session still stand? (See app.core.standing.)

It reads the account's key check and master-password salt and, for a remembered session,
that session's row: gone (revoked, logged out, or ended by a password change or a rotation
elsewhere), past its time limit, or locked by another process of this device.
"""

from __future__ import annotations

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, sessionmaker

from app.core import crypto
from app.core.accounts import ActiveSession, Clock
from app.core.errors import AccountGone, VaultKeyChanged
from app.core.standing import ENDED, EXPIRED, LOCKED_HERE, PASSWORD_CHANGED, SessionEnded
from app.models import LoginSession, User


def check_standing(
    sessions: sessionmaker[Session], clock: Clock, active: ActiveSession, stamp: bytes | None
) -> bytes:
    """The account's password stamp (its master-password salt, which only a password change
    replaces) when ``active`` still stands; ``stamp``, the one read before, tells a password
    changed elsewhere from a plain revocation. Raises AccountGone, VaultKeyChanged or
    SessionEnded."""
    query = (
        select(
            User.kdf_salt,
            User.vault_key_check,
            LoginSession.expires_at,
            LoginSession.vault_key_wrapped,
        )
        .select_from(User)
        .outerjoin(
            LoginSession,
            and_(LoginSession.user_id == User.id, LoginSession.id == active.session_id),
        )
        .where(User.id == active.user_id)
    )
    with sessions() as db:
        row = db.execute(query).one_or_none()
    if row is None:
        raise AccountGone
    salt, key_check, expires_at, wrapped = row
    if key_check is not None and key_check != crypto.key_check(active.vault_key):
        raise VaultKeyChanged
    password_changed = stamp is not None and salt != stamp
    ended = None
    if active.session_id is None:
        # Nothing remembered to look at: only a new master password says others must go.
        ended = PASSWORD_CHANGED if password_changed else None
    elif expires_at is None:
        ended = PASSWORD_CHANGED if password_changed else ENDED
    elif clock() >= expires_at:
        ended = EXPIRED
    elif not wrapped:
        raise SessionEnded(LOCKED_HERE, active.user_id, active.session_id, locked=True)
    if ended is not None:
        raise SessionEnded(ended, active.user_id, active.session_id)
    return bytes(salt)
