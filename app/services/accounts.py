"""Account actions: start-up, register, log in, unlock, log out, change password, delete.

Plain Python, no Textual: each public method is one user action, runs in a worker thread, opens
its own short-lived Session, and returns plain data (never an ORM object). Failures a person can
act on are :class:`~app.core.errors.UserError`. The work is shared with three helpers: the
master password's key material (:mod:`.credentials`), throttling (:mod:`.throttle`) and
remembered sessions (:mod:`.sessions`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.core import crypto
from app.core.accounts import (
    ActiveSession,
    Clock,
    EmergencyKit,
    Registered,
    SessionInfo,
    StartupState,
    utc_now,
)
from app.core.config import SecuritySettings
from app.core.errors import (
    LOGIN_FAILED,
    UNLOCK_FAILED,
    AccountGone,
    DatabaseUnavailable,
    LoginFailed,
    UserError,
    UsernameTaken,
    ValidationError,
)
from app.core.passwords import (
    PasswordPolicy,
    clean_username,
    normalize_password,
    stored_username,
    username_key,
)
from app.core.secret_key import new_secret_key
from app.models import User
from app.services.account_integrity import (
    again_if_moved,
    check_account,
    check_account_row,
    seal_account,
)
from app.services.account_keys import KeyChanges
from app.services.audit import SecurityLog
from app.services.credentials import Credentials
from app.services.integrity import restart
from app.services.secret_keys import STRIPPED, DeviceSecretKeys, holds, login_key
from app.services.sessions import RememberedSessions, Stamp
from app.services.standing import check_standing
from app.services.throttle import Throttle
from app.services.tokens import LastUsername, TokenStore
from app.services.transactions import run_in_transaction


class AccountService(KeyChanges):
    def __init__(
        self,
        sessions: sessionmaker[Session],
        tokens: TokenStore,
        security: SecuritySettings,
        *,
        last_username: LastUsername | None = None,
        audit: SecurityLog | None = None,
        target: str = "",
        clock: Clock = utc_now,
        device_label: str | None = None,
        secret_keys: DeviceSecretKeys | None = None,
        read_ahead: Callable[[int], object] | None = None,
    ) -> None:
        self._sessions = sessions
        # Given an account's id as its password check begins: the vault read for the listing
        # that follows, made during the KDF (see app.services.read_ahead).
        self._read_ahead = read_ahead or (lambda user_id: None)
        self._secret_keys = secret_keys  # this device's Secret Keys (app.services.secret_keys)
        self._last_username = last_username
        self._audit = audit or SecurityLog(None)
        self._target = target
        self._clock = clock
        self.policy = PasswordPolicy(security.min_password_length, security.max_password_length)
        self._credentials = Credentials(sessions, security)
        self._throttle = Throttle(sessions, self._audit, clock)
        self._remembered = RememberedSessions(
            sessions, tokens, security, self._audit, clock, device_label
        )

    # -- start-up -------------------------------------------------------------------------

    def startup(self) -> StartupState:
        """Decide the first screen: resume a remembered session, or ask who is there."""
        with self._database():
            session, notice = self._remembered.resume()
            with self._sessions() as db:
                has_accounts = bool(db.scalar(select(exists().where(User.id.is_not(None)))))
        return StartupState(has_accounts, session, notice)

    def remembered(self) -> ActiveSession | None:
        """This device's remembered session as it stands, opened without writing anything
        (startup marks it used, and so may wait on a lock another transaction holds)."""
        with self._database():
            return self._remembered.resume(touch=False)[0]

    def session_stamp(self, user_id: int | None = None) -> Stamp:
        """This device's session as it is now, read only (see RememberedSessions.stamp)."""
        with self._database():
            return self._remembered.stamp(user_id)

    def warm_up(self) -> None:
        """Run the login's reads once for a name nobody can have (see Backend.warm_up)."""
        with self._database(), self._sessions() as db:
            db.scalar(select(User).where(User.username_key == ""))
            self._throttle.name_hash("")  # reads the throttle's key once

    # -- registration ---------------------------------------------------------------------

    def register(
        self, username: str, password: str, confirm: str, *, secret_key: bool = False
    ) -> Registered:
        """A new account; with ``secret_key``, protected by a new Secret Key as well, saved on
        this device and returned (with its kit) to be shown once."""
        name = clean_username(username)
        if password != confirm:
            raise ValidationError(
                "The two passwords do not match. Please type them again.", "confirm"
            )
        if not password:
            raise ValidationError("Please enter a password.", "password")
        assessment = self.policy.assess(password, name)
        if not assessment.acceptable:
            raise ValidationError(" ".join(assessment.problems), "password")
        key = username_key(name)
        with self._database():
            try:
                # A cheap early answer for the common case; the unique constraint decides races.
                with self._sessions() as db:
                    if db.scalar(select(exists().where(User.username_key == key))):
                        raise UsernameTaken(name)

                secret = new_secret_key() if secret_key else None
                credentials = self._credentials.derive(password, secret)
                vault_key = crypto.new_vault_key()
                kits: list[tuple[int, EmergencyKit]] = []

                def work(db: Session) -> User | None:
                    # Run again after a Galera conflict, a name taken meanwhile is found here;
                    # after a lost COMMIT, the first run's own row (its verifier) is.
                    taken = db.scalar(select(User).where(User.username_key == key))
                    if taken is not None:
                        if taken.verifier == credentials.verifier:
                            return taken
                        raise UsernameTaken(name)
                    user = User(username=name, username_key=key, created_at=self._clock())
                    credentials.apply(user)
                    db.add(user)
                    db.flush()  # the id is part of the wrapped key's associated data
                    credentials.wrap(user, vault_key)
                    seal_account(user, credentials.wrapping_key)
                    db.flush()
                    restart(db, ActiveSession(user.id, name, vault_key), 0)
                    if secret is not None:  # kept on this device before the row is committed
                        kits.append((user.id, self._keep_secret_key(user, secret)))
                    return user

                try:
                    user = run_in_transaction(self._sessions, work)
                except BaseException:
                    for user_id, kit in kits:
                        self._unless_taken(user_id, secret or b"", kit)
                    raise
            except IntegrityError:
                raise UsernameTaken(name) from None
        self._note_username(name)
        self._audit.record("registered", name)
        if secret is None or user is None or not kits:
            return Registered(name)
        for user_id, kit in kits[:-1]:  # a run that lost to a conflict and ran again
            if user_id != user.id:
                self._unless_taken(user_id, secret, kit)
            elif kit.path is not None:
                kit.path.unlink(missing_ok=True)
        self._audit.record("secret_key_added", name)
        return Registered(name, kits[-1][1])

    def _note_username(self, name: str) -> None:
        if self._last_username is None:
            return
        with contextlib.suppress(OSError):  # only a convenience for the next launch
            self._last_username.save(name)

    # -- login and logout -----------------------------------------------------------------

    def login(
        self, username: str, password: str, *, remember: bool, secret_key: str | None = None
    ) -> ActiveSession:
        """Log in; an account with a Secret Key needs this device's copy or ``secret_key``
        (typed from the kit), else SecretKeyNeeded before any password guess is counted."""
        return again_if_moved(lambda: self._login(username, password, remember, secret_key))

    def _login(
        self, username: str, password: str, remember: bool, secret_key: str | None
    ) -> ActiveSession:
        normalized = normalize_password(password)
        try:
            key = username_key(clean_username(username))
        except ValidationError:
            key = None
        with self._database():
            user, name_hash, reservation = None, None, None
            if key is not None:
                with self._sessions() as db:
                    user = db.scalar(select(User).where(User.username_key == key))
                held = login_key(user, self._secret_keys, secret_key) if user else None
                name_hash = self._throttle.name_hash(key)
                # Counted before the slow check: at most five guesses, however many at once.
                reservation = self._throttle.reserve(name_hash, user.username if user else None)
            try:
                if user is None:
                    self._credentials.spend_equal_work(normalized)
                    raise LoginFailed
                self._read_ahead(user.id)
                keys = self._credentials.check(user, normalized, held)
            except LoginFailed:
                self._throttle.record("login_failed", user.username if user else None, name_hash)
                stripped = user and held is None and holds(self._secret_keys, user)
                first = LOGIN_FAILED + STRIPPED if stripped else LOGIN_FAILED
                raise self._throttle.failed(reservation, first) from None
            stored_username(user.username, user.username_key)
            check_account_row(user, keys.wrapping_key)
            vault_key = self._credentials.open_vault_key(user, keys)
            assert reservation is not None  # a user was found by a valid name
            self._throttle.succeeded(reservation)
            self._check_account(user, keys, vault_key)
            self._credentials.bring_up_to_date(user, keys, vault_key)
            if self._secret_keys is not None and held is None and holds(self._secret_keys, user):
                # A key this account never took (a process killed before its commit): the
                # password alone opened the row, so it was not taken off the row since.
                self._secret_keys.remove(user.id)
            if secret_key and held is not None and self._secret_keys is not None:
                with contextlib.suppress(OSError):  # asked for again next time
                    self._secret_keys.save(user, held)  # after a login that opened the vault
            session_id, notice = (
                self._remembered.remember(user.id, vault_key) if remember else (None, None)
            )
        self._note_username(user.username)
        self._audit.record("login_succeeded", user.username, "remembered" if remember else None)
        return ActiveSession(user.id, user.username, vault_key, session_id, notice)

    def logout(self, active: ActiveSession) -> None:
        """End the session for real: the row goes, then the device's token file."""
        try:
            with self._database():
                self._remembered.end(active.session_id)
        finally:
            self._audit.record("logout", active.username)

    def forget_saved_login(self) -> None:
        """This device's saved login goes without the database's part (logging out of a
        database that cannot be read): the token file, so the row opens nothing from here."""
        self._remembered.tokens.clear()
        self._audit.record("logout", None, "saved login removed; the database could not be read")

    def keeps_secret_key(self, user_id: int) -> bool:
        """Whether this device keeps a Secret Key for the account: logging out keeps it."""
        return self._secret_keys is not None and self._secret_keys.path(user_id).exists()

    def _check_account(self, user: User, keys: crypto.DerivedKeys, vault_key: bytes) -> None:
        """The account row is whole and no older than its vault (see integrity.check_account)."""
        with self._sessions() as db:
            check_account(db, user, keys.wrapping_key, vault_key)

    # -- the unlocked account --------------------------------------------------------------

    def _user_for(self, db: Session, user_id: int) -> User:
        user = db.get(User, user_id)
        if user is None:
            raise AccountGone
        return user

    def _check_master_password(
        self,
        user_id: int,
        password: str,
        first: str = UNLOCK_FAILED,
        typed: str | None = None,
        reads_ahead: bool = False,
    ) -> tuple[User, crypto.DerivedKeys]:
        """A logged-in account's master password, throttled like a login (the same count,
        reserved before the check): LoginThrottled, or LoginFailed starting with ``first``;
        with its Secret Key (this device's, or ``typed``) if it has one, else SecretKeyNeeded.
        ``reads_ahead`` (an unlock): the vault is read during the KDF, as at login, once the
        check is sure to run."""
        with self._sessions() as db:
            user = self._user_for(db, user_id)
        name_hash = self._throttle.name_hash(user.username_key)
        held = login_key(user, self._secret_keys, typed)
        reservation = self._throttle.reserve(name_hash, user.username)
        if reads_ahead:
            self._read_ahead(user.id)
        try:
            keys = self._credentials.check(user, normalize_password(password), held)
        except LoginFailed:
            self._throttle.record("unlock_failed", user.username, name_hash)
            raise self._throttle.failed(reservation, first) from None
        self._throttle.succeeded(reservation)
        if typed and held is not None and self._secret_keys is not None:
            with contextlib.suppress(OSError):  # asked for again next time
                self._secret_keys.save(user, held)
        return user, keys

    def check_master_password(self, active: ActiveSession, password: str) -> None:
        """The master password again, before an export: LoginFailed (throttled like a login)
        when it is wrong."""
        with self._database():
            self._check_master_password(active.user_id, password)

    def unlock(
        self, user_id: int, session_id: int | None, password: str, secret_key: str | None = None
    ) -> ActiveSession:
        """Open a locked vault again with the master password (and ``secret_key`` when this
        device does not hold the account's); the session stays as it was."""
        return again_if_moved(lambda: self._unlock(user_id, session_id, password, secret_key))

    def _unlock(
        self, user_id: int, session_id: int | None, password: str, secret_key: str | None
    ) -> ActiveSession:
        with self._database():
            user, keys = self._check_master_password(
                user_id, password, typed=secret_key, reads_ahead=True
            )
            stored_username(user.username, user.username_key)
            check_account_row(user, keys.wrapping_key)
            vault_key = self._credentials.open_vault_key(user, keys)
            self._check_account(user, keys, vault_key)
            if session_id is not None:
                session_id = self._remembered.rearm(user.id, session_id, vault_key)
        self._audit.record("vault_unlocked", user.username)
        return ActiveSession(user.id, user.username, vault_key, session_id)

    def lock(self, active: ActiveSession) -> None:
        """Record a lock: the remembered session keeps who is there, not the vault key.

        Without the database, this device's saved login goes instead (the next launch asks
        who is there): either way, the token file and the database no longer open the vault.
        """
        if active.session_id is None:
            return
        try:
            with self._database():
                self._remembered.lock(active.session_id)
        except DatabaseUnavailable as error:
            self._remembered.tokens.clear()
            self._audit.record("vault_locked", active.username, "saved login removed")
            raise UserError(
                f"Locked. {error.message} So that the lock holds, this device no longer "
                "remembers you: log in again next time."
            ) from None
        self._audit.record("vault_locked", active.username)

    def standing(self, active: ActiveSession, stamp: bytes | None) -> bytes:
        """Whether this device's session still stands (app.services.standing): its password
        stamp, or AccountGone, VaultKeyChanged or SessionEnded."""
        with self._database():
            return check_standing(self._sessions, self._clock, active, stamp)

    def list_sessions(self, active: ActiveSession) -> list[SessionInfo]:
        """This account's remembered sessions, most recently used first."""
        with self._database():
            return self._remembered.list_sessions(active)

    def revoke_session(self, active: ActiveSession, session_id: int) -> None:
        """End one remembered session of this account (this device's too, if asked)."""
        with self._database():
            self._remembered.revoke(active, session_id)

    def delete_account(self, active: ActiveSession, password: str) -> None:
        """Remove the account, its sessions and every item, after checking the password."""
        with self._database():
            user, _ = self._confirm_password(active, password, "password", "The password is wrong.")
            run_in_transaction(
                self._sessions, lambda db: db.delete(self._user_for(db, active.user_id))
            )
        self._remembered.tokens.clear()
        if self._secret_keys is not None:
            self._secret_keys.remove(active.user_id, user.secret_key_id)  # and its kit
        if self._last_username is not None:
            self._last_username.path.unlink(missing_ok=True)
        self._audit.record("account_deleted", active.username)
