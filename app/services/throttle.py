"""Failed-login throttling: each attempt at a name is counted before its password is checked.

An attempt is reserved, atomically, before any key derivation: the count goes up and, from the
FREE_FAILURES-th attempt in a row, the wait for the next one is set, in the same transaction.
So however many attempts arrive at once, at most FREE_FAILURES guesses at a name are checked
before the wait starts (30 s, 1 min, 2 min, ... up to 15 min); attempts refused while waiting
count too. A success clears the count, unless other attempts were reserved after it (they stay
counted: a login of the owner's in the middle of an attack does not hand out five more
guesses). The count lives in the database, so neither a restart nor a second device resets it.

Names are stored as a keyed hash (the key is the database's own, in app_keys): what someone
types into the username box may be a passphrase, and must not be readable there or in the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql import Executable

from app.core import crypto
from app.core.accounts import Clock
from app.core.errors import LOGIN_FAILED, LoginFailed, LoginThrottled
from app.models import AppKey, LoginThrottle
from app.services.audit import SecurityLog
from app.services.transactions import run_in_transaction

FREE_FAILURES = 5
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=15)
_KEY_NAME = "throttle"


def throttle_delay(failures: int) -> timedelta | None:
    if failures < FREE_FAILURES:
        return None
    return min(MAX_DELAY, FIRST_DELAY * (1 << min(failures - FREE_FAILURES, 10)))


def _count_attempt(dialect: str, name_hash: str) -> Executable:
    """INSERT the first attempt at a name or add one to its count, in one statement (which
    also takes the row's write lock first, so concurrent reservations queue behind it)."""
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(LoginThrottle).values(name_hash=name_hash, failures=1)
        return statement.on_conflict_do_update(
            index_elements=[LoginThrottle.name_hash],
            set_={"failures": LoginThrottle.failures + 1},
        )
    from sqlalchemy.dialects.mysql import insert as mysql_insert

    upsert = mysql_insert(LoginThrottle).values(name_hash=name_hash, failures=1)
    return upsert.on_duplicate_key_update(failures=LoginThrottle.failures + 1)


@dataclass(frozen=True)
class Reservation:
    """One attempt at a name, counted: the count it made, and when the next may come."""

    name_hash: str
    count: int
    next_at: datetime | None


class Throttle:
    def __init__(self, sessions: sessionmaker[Session], audit: SecurityLog, clock: Clock) -> None:
        self._sessions = sessions
        self._audit = audit
        self._clock = clock
        self._key: bytes | None = None

    def name_hash(self, name: str) -> str:
        """The keyed hash a (lower-cased) name is counted under."""
        if self._key is None:
            self._key = self._load_key()
        return crypto.name_hash(self._key, name)

    def _load_key(self) -> bytes:
        with self._sessions.begin() as db:
            key = db.scalar(select(AppKey.value).where(AppKey.name == _KEY_NAME))
            if key:
                return key
        # A database made without the migration's key (it always makes one): make it now.
        try:
            value = crypto.new_vault_key()
            run_in_transaction(
                self._sessions, lambda db: db.add(AppKey(name=_KEY_NAME, value=value))
            )
        except IntegrityError:
            pass  # another device made it first
        with self._sessions() as db:
            return db.scalars(select(AppKey.value).where(AppKey.name == _KEY_NAME)).one()

    def record(self, event: str, username: str | None, name_hash: str | None) -> None:
        """Log an event for an account by name, for a name that is none only by its hash."""
        if username is not None:
            self._audit.record(event, username)
        else:
            detail = f"name {name_hash[:16]}" if name_hash else "not a valid name"
            self._audit.record(event, None, detail)

    def reserve(self, name_hash: str, username: str | None) -> Reservation:
        """Count this attempt before its password is checked; LoginThrottled while the name
        must wait."""
        now = self._clock()

        def work(db: Session) -> tuple[int, datetime | None, datetime | None]:
            """The count, the wait this attempt falls in (if any), the wait it starts."""
            db.execute(_count_attempt(db.get_bind().dialect.name, name_hash))
            failures, retry_at = db.execute(
                select(LoginThrottle.failures, LoginThrottle.next_attempt_at).where(
                    LoginThrottle.name_hash == name_hash
                )
            ).one()
            if retry_at is not None and retry_at > now:
                return int(failures), retry_at, None
            delay = throttle_delay(int(failures))
            if delay is None:
                return int(failures), None, None
            db.execute(
                update(LoginThrottle)
                .where(LoginThrottle.name_hash == name_hash)
                .values(next_attempt_at=now + delay)
            )
            return int(failures), None, now + delay

        # Run again when two nodes count at once (a Galera conflict): every attempt is counted.
        failures, waiting_until, next_at = run_in_transaction(self._sessions, work)
        if waiting_until is not None:
            self.record("login_throttled", username, name_hash)
            raise LoginThrottled(waiting_until, now)
        return Reservation(name_hash, failures, next_at)

    def failed(self, reservation: Reservation | None, first: str = LOGIN_FAILED) -> LoginFailed:
        """The refusal for a wrong password whose attempt was reserved (already counted)."""
        if reservation is None or reservation.next_at is None:
            return LoginFailed(first=first)
        return LoginFailed(reservation.next_at, self._clock(), first)

    def succeeded(self, reservation: Reservation) -> None:
        """Clear the count, if no attempt was reserved since this one (see the docstring)."""
        clear = delete(LoginThrottle).where(
            LoginThrottle.name_hash == reservation.name_hash,
            LoginThrottle.failures == reservation.count,
        )
        run_in_transaction(self._sessions, lambda db: db.execute(clear))
