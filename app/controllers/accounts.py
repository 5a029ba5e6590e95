"""Account actions: register, log in, resume a remembered session, log out.

Plain Python, no Textual: each public method is one user action, runs in a worker thread, opens
its own short-lived Session, and returns a plain dataclass (never an ORM object). Failures the user
can act on are typed exceptions whose message is meant to be shown as it is.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql import Executable

from app import crypto
from app.audit import SecurityLog
from app.config import SecuritySettings
from app.db import database_errors
from app.models import LoginSession, LoginThrottle, User
from app.passwords import (
    PasswordPolicy,
    ValidationError,
    clean_username,
    normalize_password,
    username_key,
)
from app.tokens import LastUsername, TokenFileError, TokenStore

LOGIN_FAILED = "Wrong username or password."
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class UsernameTaken(ValidationError):
    def __init__(self, username: str) -> None:
        super().__init__(
            f"The username {username!r} is already taken. Please choose a different one.",
            "username",
        )


class LoginFailed(Exception):
    """Wrong username or password: one message for both, by design."""

    def __init__(self, retry_at: datetime | None = None, now: datetime | None = None) -> None:
        message = LOGIN_FAILED
        if retry_at is not None and now is not None:
            message += f" Too many failed attempts: {_wait_text(retry_at, now)}"
        super().__init__(message)
        self.message = message


class LoginThrottled(LoginFailed):
    """Too many failures for this username: no attempt is checked until ``retry_at``."""

    def __init__(self, retry_at: datetime, now: datetime) -> None:
        Exception.__init__(self)
        self.retry_at = retry_at
        self.message = f"Too many failed attempts for this username. {_wait_text(retry_at, now)}"
        self.args = (self.message,)


def _wait_text(retry_at: datetime, now: datetime) -> str:
    seconds = max(1, int((retry_at - now).total_seconds() + 0.999))
    wait = f"{seconds} seconds" if seconds < 120 else f"{(seconds + 59) // 60} minutes"
    return f"Try again in {wait} (at {retry_at:%H:%M:%S} UTC)."


# After this many failures in a row, each attempt waits: 30 s, 1 min, 2 min, ... up to 15 min.
FREE_FAILURES = 5
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=15)


def _count_failure(dialect: str, key: str) -> Executable:
    """INSERT the first failure for ``key`` or add one to its count, in one statement."""
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(LoginThrottle).values(username_key=key, failures=1)
        return statement.on_conflict_do_update(
            index_elements=[LoginThrottle.username_key],
            set_={"failures": LoginThrottle.failures + 1},
        )
    from sqlalchemy.dialects.mysql import insert as mysql_insert

    upsert = mysql_insert(LoginThrottle).values(username_key=key, failures=1)
    return upsert.on_duplicate_key_update(failures=LoginThrottle.failures + 1)


def throttle_delay(failures: int) -> timedelta | None:
    if failures < FREE_FAILURES:
        return None
    return min(MAX_DELAY, FIRST_DELAY * (1 << min(failures - FREE_FAILURES, 10)))


class AccountDataError(Exception):
    """The account's stored key material is damaged or weaker than allowed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ActiveSession:
    """A logged-in user with an open vault. ``session_id`` is None for a not-remembered login."""

    user_id: int
    username: str
    vault_key: bytes = field(repr=False)
    session_id: int | None = None
    notice: str | None = None


class AccountGone(Exception):
    """The account was deleted (on another device, say) while this one had it open."""

    def __init__(self) -> None:
        super().__init__("This account no longer exists; it may have been deleted elsewhere.")
        self.message = str(self)


@dataclass(frozen=True)
class SessionInfo:
    """A remembered session as the account owner sees it."""

    id: int
    device_label: str
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    current: bool = False


@dataclass(frozen=True)
class _Credentials:
    """What a master password puts in its users row (registration and password change)."""

    params: crypto.KdfParams
    salt: bytes
    verifier: str
    wrapping_key: bytes = field(repr=False)

    def apply(self, user: User) -> None:
        user.verifier = self.verifier
        user.kdf_algorithm = self.params.algorithm
        user.kdf_memory_kib = self.params.memory_kib
        user.kdf_iterations = self.params.iterations
        user.kdf_parallelism = self.params.parallelism
        user.kdf_salt = self.salt
        user.vault_key_algorithm = crypto.AES_GCM
        user.key_format_version = crypto.KEY_FORMAT_VERSION
        user.vault_key_wrapped = b""  # until wrap(): the user's id is part of the wrapping

    def wrap(self, user: User, vault_key: bytes) -> None:
        user.vault_key_wrapped = crypto.wrap_key(
            self.wrapping_key, vault_key, crypto.account_key_aad(user.id)
        )


@dataclass(frozen=True)
class Registered:
    username: str


@dataclass(frozen=True)
class StartupState:
    """What the first screen should be: the vault, the login form, or registration."""

    has_accounts: bool
    session: ActiveSession | None = None
    notice: str | None = None


class AccountController:
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
    ) -> None:
        self._sessions = sessions
        self._tokens = tokens
        self._last_username = last_username
        self._audit = audit
        self._security = security
        self._target = target
        self._clock = clock
        self._device_label = (device_label or socket.gethostname() or "this device")[:64]
        self.policy = PasswordPolicy(security.min_password_length, security.max_password_length)
        self._dummy_salt = crypto.new_salt()
        self._dummy_verifier = crypto.dummy_verifier(security.bcrypt_cost)

    def _kdf_params(self) -> crypto.KdfParams:
        return crypto.KdfParams(
            crypto.ARGON2ID,
            self._security.argon2_memory_kib,
            self._security.argon2_iterations,
            self._security.argon2_parallelism,
        )

    def _derive_credentials(self, password: str) -> _Credentials:
        """The slow part of setting a master password, done before any transaction opens."""
        params = self._kdf_params()
        salt = crypto.new_salt()
        keys = crypto.derive_keys(normalize_password(password), salt, params)
        verifier = crypto.make_verifier(keys.authentication_key, self._security.bcrypt_cost)
        return _Credentials(params, salt, verifier, keys.wrapping_key)

    # -- start-up -------------------------------------------------------------------------

    def startup(self) -> StartupState:
        """Decide the first screen: resume a remembered session, or ask who is there."""
        with database_errors(self._target):
            session, notice = self._resume()
            with self._sessions() as db:
                has_accounts = bool(db.scalar(select(exists().where(User.id.is_not(None)))))
        return StartupState(has_accounts, session, notice)

    def _resume(self) -> tuple[ActiveSession | None, str | None]:
        try:
            token = self._tokens.load()
        except TokenFileError as error:
            if error.exposed_token is not None:
                self._delete_session_for(error.exposed_token)
            self._tokens.clear()
            self._record("saved_login_refused", None, type(error).__name__)
            return None, f"{error.message} Please log in."
        if token is None:
            return None, None

        token_hash = crypto.hash_token(token)
        now = self._clock()
        with self._sessions.begin() as db:
            row = db.scalar(select(LoginSession).where(LoginSession.token_hash == token_hash))
            if row is None:
                notice = "Your saved login has ended (logged out or revoked). Please log in."
            elif now >= row.expires_at:
                notice = "Your saved login reached its time limit. Please log in again."
            elif now - row.last_used_at >= self._security.session_idle_limit:
                days = self._security.session_idle_limit.days
                notice = f"Your saved login expired after {days} days unused. Please log in."
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
                    row.last_used_at = now
                    return ActiveSession(row.user_id, row.user.username, vault_key, row.id), None
            if row is not None:
                db.delete(row)
        self._tokens.clear()
        return None, notice

    def _delete_session_for(self, token: bytes) -> None:
        with self._sessions.begin() as db:
            db.execute(
                delete(LoginSession).where(LoginSession.token_hash == crypto.hash_token(token))
            )

    # -- registration ---------------------------------------------------------------------

    def register(self, username: str, password: str, confirm: str) -> Registered:
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
        with database_errors(self._target):
            try:
                # A cheap early answer for the common case; the unique constraint decides races.
                with self._sessions() as db:
                    if db.scalar(select(exists().where(User.username_key == key))):
                        raise UsernameTaken(name)

                credentials = self._derive_credentials(password)
                with self._sessions.begin() as db:
                    user = User(username=name, username_key=key, created_at=self._clock())
                    credentials.apply(user)
                    db.add(user)
                    db.flush()  # the id is part of the wrapped key's associated data
                    credentials.wrap(user, crypto.new_vault_key())
            except IntegrityError:
                raise UsernameTaken(name) from None
        self._note_username(name)
        self._record("registered", name)
        return Registered(name)

    def _note_username(self, name: str) -> None:
        if self._last_username is None:
            return
        with contextlib.suppress(OSError):  # only a convenience for the next launch
            self._last_username.save(name)

    # -- login and logout -----------------------------------------------------------------

    def warm_up(self) -> None:
        """Run the login's reads once for a name nobody can have, while the user types.

        SQLAlchemy compiles a statement the first time it runs; doing it here takes that off
        the first login (about 25 ms).
        """
        with database_errors(self._target), self._sessions() as db:
            self._check_throttle("", db)
            db.scalar(select(User).where(User.username_key == ""))

    def login(self, username: str, password: str, *, remember: bool) -> ActiveSession:
        normalized = normalize_password(password)
        try:
            key = username_key(clean_username(username))
        except ValidationError:
            key = None
        with database_errors(self._target):
            user = None
            if key is not None:
                with self._sessions() as db:  # one connection for both reads
                    self._check_throttle(key, db)
                    user = db.scalar(select(User).where(User.username_key == key))
            try:
                if user is None:
                    self._spend_equal_work(normalized)
                    raise LoginFailed
                keys = self._check_password(user, normalized)
            except LoginFailed:
                raise self._failed(key, "login_failed") from None
            vault_key = self._open_vault_key(user, keys)
            self._clear_failures(user.username_key)
            if crypto.verifier_cost(user.verifier) < self._security.bcrypt_cost:
                self._upgrade_verifier(user.id, keys.authentication_key)
            session_id, notice = self._remember(user.id, vault_key) if remember else (None, None)
        self._note_username(user.username)
        self._record("login_succeeded", user.username, "remembered" if remember else None)
        return ActiveSession(user.id, user.username, vault_key, session_id, notice)

    # -- throttling and the security log ---------------------------------------------------

    def _record(self, event: str, username: str | None = None, detail: str | None = None) -> None:
        if self._audit is not None:
            self._audit.record(event, username, detail)

    def _check_throttle(self, key: str, db: Session) -> None:
        now = self._clock()
        retry_at = db.scalar(
            select(LoginThrottle.next_attempt_at).where(LoginThrottle.username_key == key)
        )
        if retry_at is not None and retry_at > now:
            self._record("login_throttled", key)
            raise LoginThrottled(retry_at, now)

    def _failed(self, key: str | None, event: str) -> LoginFailed:
        """Count a failure for this name (atomically) and say when the next try is allowed."""
        self._record(event, key)
        if key is None:
            return LoginFailed()
        now = self._clock()
        with self._sessions.begin() as db:
            # One atomic upsert: concurrent failures (two laptops, twenty threads) all count.
            db.execute(_count_failure(db.get_bind().dialect.name, key))
            failures = db.scalar(
                select(LoginThrottle.failures).where(LoginThrottle.username_key == key)
            )
            delay = throttle_delay(int(failures or 0))
            if delay is None:
                return LoginFailed()
            retry_at = now + delay
            db.execute(
                update(LoginThrottle)
                .where(LoginThrottle.username_key == key)
                .values(next_attempt_at=retry_at)
            )
        return LoginFailed(retry_at, now)

    def _clear_failures(self, key: str) -> None:
        with self._sessions.begin() as db:
            db.execute(delete(LoginThrottle).where(LoginThrottle.username_key == key))

    def _spend_equal_work(self, password: str) -> None:
        """Cost an unknown username the same Argon2id and bcrypt work as a wrong password."""
        keys = crypto.derive_keys(password, self._dummy_salt, self._kdf_params())
        crypto.check_verifier(keys.authentication_key, self._dummy_verifier)

    def _check_password(self, user: User, password: str) -> crypto.DerivedKeys:
        params = crypto.KdfParams(
            user.kdf_algorithm, user.kdf_memory_kib, user.kdf_iterations, user.kdf_parallelism
        )
        try:
            params.check_floors()
        except crypto.CryptoError as error:
            raise AccountDataError(
                f"This account's stored key settings were refused: {error} "
                "The database may have been tampered with."
            ) from None
        if not crypto.verifier_is_acceptable(user.verifier):
            raise AccountDataError(
                "This account's stored password verifier is damaged or weaker than allowed."
            )
        keys = crypto.derive_keys(password, user.kdf_salt, params)
        if not crypto.check_verifier(keys.authentication_key, user.verifier):
            raise LoginFailed
        return keys

    def _open_vault_key(self, user: User, keys: crypto.DerivedKeys) -> bytes:
        if user.key_format_version != crypto.KEY_FORMAT_VERSION:
            raise AccountDataError(
                f"This account's vault key uses format {user.key_format_version}, which this "
                "version of Strongroom cannot read. Please upgrade Strongroom."
            )
        try:
            return crypto.unwrap_key(
                keys.wrapping_key, user.vault_key_wrapped, crypto.account_key_aad(user.id)
            )
        except crypto.CryptoError:
            raise AccountDataError(
                "This account's vault key is damaged and cannot be opened."
            ) from None

    def _upgrade_verifier(self, user_id: int, authentication_key: bytes) -> None:
        verifier = crypto.make_verifier(authentication_key, self._security.bcrypt_cost)
        with self._sessions.begin() as db:
            user = db.get_one(User, user_id)
            user.verifier = verifier

    def _remember(self, user_id: int, vault_key: bytes) -> tuple[int | None, str | None]:
        """Issue a fresh token for this device; the old one, if any, stops working."""
        try:
            previous = self._tokens.load()
        except TokenFileError as error:
            previous = error.exposed_token
        token = crypto.new_session_token()
        token_hash = crypto.hash_token(token)
        now = self._clock()
        with self._sessions.begin() as db:
            if previous is not None:
                db.execute(
                    delete(LoginSession).where(
                        LoginSession.token_hash == crypto.hash_token(previous)
                    )
                )
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
            session_id = row.id
        try:
            self._tokens.save(token)
        except OSError as error:
            with self._sessions.begin() as db:
                db.execute(delete(LoginSession).where(LoginSession.id == session_id))
            return None, (
                f"Logged in, but this device could not remember you "
                f"({error.strerror or 'cannot write'} at {self._tokens.path})."
            )
        return session_id, None

    def logout(self, active: ActiveSession) -> None:
        """End the session for real: the row goes, then the device's token file."""
        try:
            if active.session_id is not None:
                with database_errors(self._target), self._sessions.begin() as db:
                    db.execute(delete(LoginSession).where(LoginSession.id == active.session_id))
        finally:
            # Even with the database away, the local token goes: this device is logged out.
            self._tokens.clear()
            self._record("logout", active.username)

    # -- the unlocked account --------------------------------------------------------------

    def _user_for(self, db: Session, user_id: int) -> User:
        user = db.get(User, user_id)
        if user is None:
            raise AccountGone
        return user

    def unlock(self, user_id: int, session_id: int | None, password: str) -> ActiveSession:
        """Open a locked vault again with the master password; the session stays as it was."""
        with database_errors(self._target):
            with self._sessions() as db:
                user = self._user_for(db, user_id)
                self._check_throttle(user.username_key, db)
            try:
                keys = self._check_password(user, normalize_password(password))
            except LoginFailed:
                raise self._failed(user.username_key, "unlock_failed") from None
            vault_key = self._open_vault_key(user, keys)
            self._clear_failures(user.username_key)
        return ActiveSession(user.id, user.username, vault_key, session_id)

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
            raise ValidationError(" ".join(assessment.problems), "password")
        with database_errors(self._target):
            with self._sessions() as db:
                user = self._user_for(db, active.user_id)
            try:
                self._check_password(user, normalize_password(current))
            except LoginFailed:
                raise ValidationError("The current password is wrong.", "current") from None
            credentials = self._derive_credentials(new)
            with self._sessions.begin() as db:
                user = self._user_for(db, active.user_id)
                credentials.apply(user)
                credentials.wrap(user, active.vault_key)  # the same key: no item re-encrypted
                others = delete(LoginSession).where(LoginSession.user_id == user.id)
                if active.session_id is not None:
                    others = others.where(LoginSession.id != active.session_id)
                db.execute(others)
        self._record("password_changed", active.username)
        return active

    def list_sessions(self, active: ActiveSession) -> list[SessionInfo]:
        """This account's remembered sessions, most recently used first."""
        with database_errors(self._target), self._sessions() as db:
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

    def revoke_session(self, active: ActiveSession, session_id: int) -> None:
        """End one remembered session of this account (this device's too, if asked)."""
        with database_errors(self._target), self._sessions.begin() as db:
            db.execute(
                delete(LoginSession).where(
                    LoginSession.id == session_id, LoginSession.user_id == active.user_id
                )
            )
        if session_id == active.session_id:
            self._tokens.clear()
        self._record("session_revoked", active.username, f"session {session_id}")

    def delete_account(self, active: ActiveSession, password: str) -> None:
        """Remove the account, its sessions and every item, after checking the password."""
        with database_errors(self._target):
            with self._sessions() as db:
                user = self._user_for(db, active.user_id)
            try:
                self._check_password(user, normalize_password(password))
            except LoginFailed:
                raise ValidationError("The password is wrong.", "password") from None
            with self._sessions.begin() as db:
                db.delete(self._user_for(db, active.user_id))
        self._tokens.clear()
        if self._last_username is not None:
            self._last_username.path.unlink(missing_ok=True)
        self._record("account_deleted", active.username)
