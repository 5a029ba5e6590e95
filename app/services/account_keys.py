"""The account's key material, changed while it is unlocked: a new master password, a new
Secret Key, a new vault key. Part of :class:`app.services.accounts.AccountService` (its
methods, kept here so that each module stays short); each asks for the master password again
and changes the users row in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.core import crypto
from app.core.accounts import ActiveSession, EmergencyKit
from app.core.errors import AccountGone, LoginFailed, ValidationError, VaultKeyChanged
from app.core.passwords import PasswordPolicy
from app.core.secret_key import key_id, new_secret_key, printable
from app.models import User
from app.services.account_integrity import seal_account
from app.services.audit import SecurityLog
from app.services.credentials import Credentials, NewCredentials
from app.services.database import database_errors, readable
from app.services.integrity import lock_head, restart
from app.services.rotation import Progress, reseal_vault
from app.services.secret_keys import DeviceSecretKeys, login_key
from app.services.sessions import RememberedSessions
from app.services.transactions import run_in_transaction

ALREADY = "This account already has a Secret Key."


class KeyChanges:
    """Password change, Secret Key, vault key rotation (see the module)."""

    _sessions: sessionmaker[Session]
    _secret_keys: DeviceSecretKeys | None
    _audit: SecurityLog
    _target: str
    _credentials: Credentials
    _remembered: RememberedSessions
    policy: PasswordPolicy

    if TYPE_CHECKING:  # AccountService's, for the type checker only

        def _user_for(self, db: Session, user_id: int) -> User: ...

        def _check_master_password(
            self, user_id: int, password: str, first: str
        ) -> tuple[User, crypto.DerivedKeys]: ...

    def _confirm_password(
        self, active: ActiveSession, password: str, field: str, wrong: str
    ) -> tuple[User, crypto.DerivedKeys]:
        """The master password again, before an action that needs it; a refusal (``wrong``,
        or the wait) belongs to the dialog's ``field``."""
        try:
            return self._check_master_password(active.user_id, password, first=wrong)
        except LoginFailed as refusal:  # LoginThrottled too
            raise ValidationError(refusal.message, field) from None

    @contextmanager
    def _database(self) -> Iterator[None]:
        """The database's failures as the person's words: a driver error (DatabaseUnavailable)
        and a value of a type Strongroom never writes, in the account's row or its sessions
        (VaultTampered)."""
        with database_errors(self._target), readable("account"):
            yield

    def change_password(
        self, active: ActiveSession, current: str, new: str, confirm: str
    ) -> ActiveSession:
        """Re-wrap the vault key under a new master password and end every other session.

        Items are not re-encrypted: the vault key itself does not change.
        """
        if new != confirm:
            raise ValidationError(
                "The two new passwords do not match. Please type them again.", "confirm"
            )
        assessment = self.policy.assess(new, active.username)
        if not assessment.acceptable:
            problems = " ".join(assessment.problems)
            raise ValidationError(f"The new password: {problems}", "password")
        with self._database():
            user, _ = self._confirm_password(
                active, current, "current", "The current password is wrong."
            )
            # The Secret Key stays: the new password is mixed with the same one.
            credentials = self._credentials.derive(new, login_key(user, self._secret_keys, None))

            def change(db: Session) -> None:
                self._store(db, active, credentials)
                self._remembered.end_others(db, active)

            run_in_transaction(self._sessions, change)
        self._audit.record("password_changed", active.username)
        return active

    def rotate_vault_key(
        self, active: ActiveSession, password: str, progress: Progress | None = None
    ) -> tuple[ActiveSession, int]:
        """Replace the vault key: every item, history entry and field re-sealed under a new
        one in one transaction; the new key wrapped under the master password (asked for again)
        and this device's token; every other session ended. Returns the session with the new
        key, and how many items were re-sealed."""
        with self._database():
            user, keys = self._confirm_password(
                active, password, "password", "The password is wrong."
            )
            if self._credentials.open_vault_key(user, keys) != active.vault_key:
                raise VaultKeyChanged
            new_key = crypto.new_vault_key()
            token = self._remembered.this_device_token() if active.session_id else None

            def reseal(db: Session) -> tuple[int, int, int | None]:
                def rewrap(row: User) -> None:
                    row.vault_key_wrapped = crypto.wrap_key(
                        keys.wrapping_key, new_key, crypto.account_key_aad(user.id)
                    )
                    row.vault_key_check = crypto.key_check(new_key)
                    seal_account(row, keys.wrapping_key)

                return self._replace_vault_key(db, active, new_key, token, rewrap, progress)

            items, damaged, session_id = run_in_transaction(self._sessions, reseal)
        detail = f"{items} items" + (f", {damaged} damaged fields left" if damaged else "")
        self._audit.record("vault_key_rotated", active.username, detail)
        return replace(active, vault_key=new_key, session_id=session_id, notice=None), items

    def _replace_vault_key(
        self,
        db: Session,
        active: ActiveSession,
        new_key: bytes,
        token: bytes | None,
        rewrap: Callable[[User], None],
        progress: Progress | None = None,
    ) -> tuple[int, int, int | None]:
        """In the caller's transaction: every item re-sealed under ``new_key``, the row given
        it by ``rewrap``, the record begun again, every other session ended and this one's
        token wrapping the new key. How many items, damaged fields, and this session's id."""
        # Exclusive: every writer holds this row shared (app.services.writes.check_key).
        row = db.get(User, active.user_id, with_for_update=True)
        if row is None:
            raise AccountGone
        if row.vault_key_check not in (None, crypto.key_check(active.vault_key)):
            raise VaultKeyChanged
        old_head = lock_head(db, active)  # checked under the old key first
        items, damaged = reseal_vault(db, row.id, active.vault_key, new_key, progress)
        rewrap(row)
        db.flush()
        # Every item tagged again under the new key; the counter goes on.
        restart(db, replace(active, vault_key=new_key), old_head.counter)
        self._remembered.end_others(db, active)
        session_id = None
        if active.session_id is not None:
            session_id = self._remembered.wrap_for(db, row.id, active.session_id, new_key, token)
        return items, damaged, session_id

    def _store(self, db: Session, active: ActiveSession, credentials: NewCredentials) -> User:
        """Put new key material in the account's row, the vault key wrapped anew (the same
        key: no item re-encrypted), and the row's counter in the vault's head (so that this
        row brought back later is told)."""
        user = self._user_for(db, active.user_id)
        credentials.apply(user)
        credentials.wrap(user, active.vault_key)
        seal_account(user, credentials.wrapping_key)
        db.flush()
        head = lock_head(db, active)
        head.account_counter = user.account_counter or 0
        head.save(db)
        return user

    def add_secret_key(
        self, active: ActiveSession, password: str
    ) -> tuple[ActiveSession, EmergencyKit]:
        """Protect the account with a new Secret Key (the master password asked for again).
        A copy of the database made before must not help: the password gets a new salt and the
        vault a new key (every item re-sealed, as a rotation does, every other session ended),
        in one transaction. The key is kept on this device and its kit written first (a kill
        in between leaves a harmless copy, never a key nobody holds). The kit is shown once."""
        with self._database():
            with self._sessions() as db:
                if self._user_for(db, active.user_id).secret_key_id is not None:
                    raise ValidationError(ALREADY, "password")
            user, keys = self._confirm_password(
                active, password, "password", "The password is wrong."
            )
            if self._credentials.open_vault_key(user, keys) != active.vault_key:
                raise VaultKeyChanged
            key = new_secret_key()
            credentials = self._credentials.derive(password, key)  # a new salt
            new_key = crypto.new_vault_key()
            token = self._remembered.this_device_token() if active.session_id else None

            def add(db: Session) -> int | None:
                row = self._user_for(db, active.user_id)
                if row.secret_key_id is not None or row.kdf_salt != user.kdf_salt:
                    raise ValidationError(
                        "This account's password or Secret Key changed meanwhile: nothing was "
                        "changed. Please try again.",
                        "password",
                    )

                def rewrap(row: User) -> None:
                    credentials.apply(row)
                    credentials.wrap(row, new_key)
                    seal_account(row, credentials.wrapping_key)

                return self._replace_vault_key(db, active, new_key, token, rewrap)[2]

            kit = self._keep_secret_key(user, key)
            try:
                session_id = run_in_transaction(self._sessions, add)
            except BaseException:
                self._unless_taken(user.id, key, kit)
                raise
        self._audit.record("secret_key_added", active.username)
        self._audit.record("vault_key_rotated", active.username, "with the new Secret Key")
        return replace(active, vault_key=new_key, session_id=session_id, notice=None), kit

    def _keep_secret_key(self, user: User, key: bytes) -> EmergencyKit:
        """The new key saved on this device and its kit written, before the database is told
        (SecretKeyFileError, nothing changed, when it cannot be)."""
        if self._secret_keys is None:
            return EmergencyKit(user.username, printable(key), self._target, None)
        return self._secret_keys.keep(user, key)

    def _unless_taken(self, user_id: int, key: bytes, kit: EmergencyKit) -> None:
        """After a failed transaction: this device's copy and kit go, unless the database
        holds the key after all (a COMMIT whose answer was lost) or cannot be asked."""
        if self._secret_keys is None:
            return
        try:
            with self._sessions() as db:
                held = db.scalar(select(User.secret_key_id).where(User.id == user_id))
        except Exception:  # unknown: a copy of a key too many is harmless
            return
        if held != key_id(key):
            self._secret_keys.discard(user_id, key, kit)
