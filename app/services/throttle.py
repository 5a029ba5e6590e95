"""Failed-login throttling: counted per attempted name, in the database, atomically.

After FREE_FAILURES failures in a row for a name, each further attempt waits: 30 s, 1 min,
2 min, ... up to 15 min. The count lives in the database, so neither a restart nor a second
device resets it, and one upsert per failure means concurrent failures all count.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql import Executable

from app.core.accounts import Clock
from app.core.errors import LoginFailed, LoginThrottled
from app.models import LoginThrottle
from app.services.audit import SecurityLog

FREE_FAILURES = 5
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=15)


def throttle_delay(failures: int) -> timedelta | None:
    if failures < FREE_FAILURES:
        return None
    return min(MAX_DELAY, FIRST_DELAY * (1 << min(failures - FREE_FAILURES, 10)))


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


class Throttle:
    def __init__(self, sessions: sessionmaker[Session], audit: SecurityLog, clock: Clock) -> None:
        self._sessions = sessions
        self._audit = audit
        self._clock = clock

    def check(self, key: str, db: Session) -> None:
        """LoginThrottled when ``key`` must still wait; read on the caller's connection."""
        now = self._clock()
        retry_at = db.scalar(
            select(LoginThrottle.next_attempt_at).where(LoginThrottle.username_key == key)
        )
        if retry_at is not None and retry_at > now:
            self._audit.record("login_throttled", key)
            raise LoginThrottled(retry_at, now)

    def failed(self, key: str | None, event: str) -> LoginFailed:
        """Count a failure for this name (atomically) and say when the next try is allowed."""
        self._audit.record(event, key)
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

    def clear(self, key: str) -> None:
        with self._sessions.begin() as db:
            db.execute(delete(LoginThrottle).where(LoginThrottle.username_key == key))
