"""Remembered sessions: a device's token file on one side, its hashed row on the other.

The database holds the token's SHA-256 and the vault key wrapped under a key derived from the
token; the device holds the token. Neither alone opens the vault.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.core import crypto
from app.core.accounts import ActiveSession, Clock, SessionInfo
from app.core.config import SecuritySettings
from app.core.errors import AccountDataError, VaultTampered
from app.core.passwords import stored_username
from app.models import LoginSession, User
from app.services.audit import SecurityLog
from app.services.tokens import TokenFileError, TokenStore
from app.services.transactions import run_in_transaction

NO_ACCOUNT = (
    "The database was changed outside Strongroom: this device's saved login belongs to no "
    "account. Restore the database from a backup."
)


@dataclass(frozen=True)
class Stamp:
    """This device's session at one moment (see RememberedSessions.stamp): equal stamps, the
    same session of the same account with the same key, in the same state."""

    unlocked: bool  # a remembered session whose copy of the vault key is there
    parts: tuple[object, ...]


def _valid_name(name: str, key: str) -> bool:
    try:
        stored_username(name, key)
    except AccountDataError:
        return False
    return True


class RememberedSessions:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        tokens: TokenStore,
        security: SecuritySettings,
        audit: SecurityLog,
        clock: Clock,
        device_label: str | None = None,
    ) -> None:
        self._sessions = sessions
        self.tokens = tokens
        self._security = security
        self._audit = audit
        self._clock = clock
        self._device_label = (device_label or socket.gethostname() or "this device")[:64]

    def resume(self, *, touch: bool = True) -> tuple[ActiveSession | None, str | None]:
        """This device's remembered session, opened; or None and why it could not be. Opening
        it marks it used, and a session past its limits is deleted; ``touch=False`` writes
        nothing (nor waits on a lock another transaction holds on its row)."""
        try:
            token = self.tokens.load()
        except TokenFileError as error:
            if not touch:
                return None, None
            if error.exposed_token is not None:
                self._delete_for(error.exposed_token)
            self.tokens.clear()
            self._audit.record("saved_login_refused", None, type(error).__name__)
            return None, f"{error.message} Please log in."
        if token is None:
            return None, None

        token_hash = crypto.hash_token(token)
        now = self._clock()

        def work(db: Session) -> tuple[ActiveSession | None, str]:
            row = db.scalar(select(LoginSession).where(LoginSession.token_hash == token_hash))
            if row is None:
                return None, "Your saved login has ended (logged out or revoked). Please log in."
            if row.user is None:  # deleting an account deletes its sessions: a raw write did this
                raise VaultTampered(NO_ACCOUNT)
            if now >= row.expires_at:
                notice = "Your saved login reached its time limit. Please log in again."
            elif now - row.last_used_at >= self._security.session_idle_limit:
                days = self._security.session_idle_limit.days
                notice = f"Your saved login expired after {days} days unused. Please log in."
            elif not _valid_name(row.user.username, row.user.username_key):
                notice = "Your saved login belongs to a name that is not valid. Please log in."
            elif not row.vault_key_wrapped:
                # Locked: who it is stays remembered, the vault key waits for the password.
                if touch:
                    row.last_used_at = now
                return ActiveSession(row.user_id, row.user.username, b"", row.id), ""
            else:
                try:
                    vault_key = crypto.unwrap_key(
                        crypto.session_wrapping_key(token),
                        row.vault_key_wrapped,
                        crypto.session_key_aad(row.user_id, token_hash, row.key_format_version),
                    )
                except crypto.CryptoError:
                    notice = "Your saved login is damaged. Please log in."
                else:
                    if touch:
                        row.last_used_at = now
                    return ActiveSession(row.user_id, row.user.username, vault_key, row.id), ""
            if touch:
                db.delete(row)
            return None, notice

        active, notice = run_in_transaction(self._sessions, work)
        if active is not None or not touch:
            return active, None
        self.tokens.clear()
        return None, notice

    def stamp(self, user_id: int | None) -> Stamp:
        """What this device's session is now, read without writing anything (unlike
        :meth:`resume`): which token, which row of which account, its wrapped copy of the vault
        key, whether it has expired, and the account's own wrapped key and verifier. Any lock,
        unlock, logout, login, revocation, expiry, password change or rotation changes it (an
        unlock wraps with a fresh nonce), so a process holding the vault key compares it with
        the stamp it started with. ``user_id``: the account to describe with no session."""
        try:
            token = self.tokens.load()
        except TokenFileError:
            return Stamp(False, ("token file refused",))
        token_hash = crypto.hash_token(token) if token is not None else ""
        now = self._clock()
        unlocked = False
        with self._sessions() as db:
            row = None
            if token_hash:
                row = db.scalar(select(LoginSession).where(LoginSession.token_hash == token_hash))
            if row is None:
                parts: tuple[object, ...] = (token_hash, None)
            else:
                user_id = row.user_id
                expired = now >= row.expires_at or (
                    now - row.last_used_at >= self._security.session_idle_limit
                )
                unlocked = bool(row.vault_key_wrapped) and not expired
                parts = (token_hash, row.id, row.user_id, row.vault_key_wrapped, expired)
                parts += (row.key_format_version,)
            user = db.get(User, user_id) if user_id is not None else None
            if user is None:
                return Stamp(False, (*parts, None))
            account = (user.id, user.vault_key_wrapped, user.vault_key_check, user.verifier)
            return Stamp(unlocked, (*parts, *account, user.kdf_salt, user.key_format_version))

    def _delete_for(self, token: bytes) -> None:
        gone = delete(LoginSession).where(LoginSession.token_hash == crypto.hash_token(token))
        run_in_transaction(self._sessions, lambda db: db.execute(gone))

    def remember(self, user_id: int, vault_key: bytes) -> tuple[int | None, str | None]:
        """Issue a fresh token for this device; the old one, if any, stops working."""
        try:
            previous = self.tokens.load()
        except TokenFileError as error:
            previous = error.exposed_token
        token = crypto.new_session_token()
        token_hash = crypto.hash_token(token)
        now = self._clock()

        def work(db: Session) -> int:
            if previous is not None:
                db.execute(
                    delete(LoginSession).where(
                        LoginSession.token_hash == crypto.hash_token(previous)
                    )
                )
            # Run again after a lost COMMIT, the first run's row (same token) is replaced.
            db.execute(delete(LoginSession).where(LoginSession.token_hash == token_hash))
            row = LoginSession(
                user_id=user_id,
                token_hash=token_hash,
                device_label=self._device_label,
                created_at=now,
                last_used_at=now,
                expires_at=now + self._security.session_absolute_limit,
                vault_key_wrapped=crypto.wrap_key(
                    crypto.session_wrapping_key(token),
                    vault_key,
                    crypto.session_key_aad(user_id, token_hash),
                ),
                vault_key_algorithm=crypto.AES_GCM,
                key_format_version=crypto.KEY_FORMAT_VERSION,
            )
            db.add(row)
            db.flush()
            return row.id

        session_id = run_in_transaction(self._sessions, work)
        try:
            self.tokens.save(token)
        except OSError as error:
            gone = delete(LoginSession).where(LoginSession.id == session_id)
            run_in_transaction(self._sessions, lambda db: db.execute(gone))
            return None, (
                f"Logged in, but this device could not remember you "
                f"({error.strerror or 'cannot write'} at {self.tokens.path})."
            )
        return session_id, None

    def lock(self, session_id: int) -> None:
        """Forget this session's copy of the vault key: from now on only the master password
        opens the vault, whatever survives of this process, the token file or the database."""
        forget = (
            update(LoginSession).where(LoginSession.id == session_id).values(vault_key_wrapped=b"")
        )
        run_in_transaction(self._sessions, lambda db: db.execute(forget))

    def rearm(self, user_id: int, session_id: int, vault_key: bytes) -> int | None:
        """After an unlock: wrap the vault key under this device's token again, so the next
        launch opens the vault. None when this device no longer holds that session's token."""
        token = self.this_device_token()
        if token is None:
            return None
        return run_in_transaction(
            self._sessions, lambda db: self.wrap_for(db, user_id, session_id, vault_key, token)
        )

    def wrap_for(
        self, db: Session, user_id: int, session_id: int, vault_key: bytes, token: bytes | None
    ) -> int | None:
        """Inside the caller's transaction: this device's session row holds ``vault_key``
        wrapped under its token again; None (and the row's copy emptied) without the token."""
        row = db.get(LoginSession, session_id, with_for_update=True)
        if row is None or row.user_id != user_id:
            return None
        if token is None or row.token_hash != crypto.hash_token(token):
            row.vault_key_wrapped = b""
            return None
        row.vault_key_wrapped = crypto.wrap_key(
            crypto.session_wrapping_key(token),
            vault_key,
            crypto.session_key_aad(user_id, row.token_hash),
        )
        row.key_format_version = crypto.KEY_FORMAT_VERSION
        return session_id

    def this_device_token(self) -> bytes | None:
        try:
            return self.tokens.load()
        except TokenFileError:
            return None

    def end(self, session_id: int | None) -> None:
        """End one session for real: the row goes, then the device's token file, even with
        the database away (this device is logged out either way)."""
        try:
            if session_id is not None:
                gone = delete(LoginSession).where(LoginSession.id == session_id)
                run_in_transaction(self._sessions, lambda db: db.execute(gone))
        finally:
            self.tokens.clear()

    def end_others(self, db: Session, active: ActiveSession) -> None:
        """Inside the caller's transaction: every session of the account but this one."""
        others = delete(LoginSession).where(LoginSession.user_id == active.user_id)
        if active.session_id is not None:
            others = others.where(LoginSession.id != active.session_id)
        db.execute(others)

    def list_sessions(self, active: ActiveSession) -> list[SessionInfo]:
        """This account's remembered sessions, most recently used first."""
        with self._sessions() as db:
            rows = db.scalars(
                select(LoginSession)
                .where(LoginSession.user_id == active.user_id)
                .order_by(LoginSession.last_used_at.desc(), LoginSession.id.desc())
            ).all()
            return [
                SessionInfo(
                    row.id,
                    row.device_label,
                    row.created_at,
                    row.last_used_at,
                    row.expires_at,
                    current=row.id == active.session_id,
                )
                for row in rows
            ]

    def revoke(self, active: ActiveSession, session_id: int) -> None:
        """End one remembered session of this account (this device's too, if asked)."""
        gone = delete(LoginSession).where(
            LoginSession.id == session_id, LoginSession.user_id == active.user_id
        )
        run_in_transaction(self._sessions, lambda db: db.execute(gone))
        if session_id == active.session_id:
            self.tokens.clear()
        self._audit.record("session_revoked", active.username, f"session {session_id}")
