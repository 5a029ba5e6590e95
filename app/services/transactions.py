"""One way every unit of work reaches the database: retried whole when the database asks.

MariaDB answers a serialization failure with errno 1213 ("Deadlock found ... try restarting
transaction", SQLSTATE 40001) or 1205 (lock wait timeout). On one server that is a real
deadlock; on a Galera cluster it is also how certification tells the loser of two commits made
at once on different nodes, mostly at COMMIT. Either way nothing of the transaction was applied,
and the database asks for it to be run again: so the whole unit of work runs again, in a new
transaction that reads afresh what it read before. An edit that lost then finds the other
device's version and raises EditConflict; a registration that lost finds the name taken; a
throttled login's attempt is counted after all.

A connection lost mid-transaction (a node killed, errno 2013) is retried the same way on a new
connection (see :mod:`.cluster` for how it picks a node). A connection lost during COMMIT leaves
its outcome unknown: the units of work that a second run could apply twice check an identity
they chose before the first run (``VaultItem.write_id``), so a retry finds its own write.

A lock wait timeout has already waited long (innodb_lock_wait_timeout) for a lock another
connection holds: it is run again once, not as often as a deadlock, which is over at once.

The loop is hand-written (a dozen lines) rather than tenacity's: importing tenacity costs the
command line 60 ms, more than half of a ``strongroom get``.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")

# Galera certification conflicts and InnoDB deadlocks (1213), lock wait timeouts (1205).
SERIALIZATION_FAILURES = frozenset({1213, 1205})
SERIALIZATION_SQLSTATE = "40001"
ATTEMPTS = 12
# A lock wait timeout has already waited innodb_lock_wait_timeout (50 s by default) for a lock
# another connection holds: run once more, not eleven times more (ten silent minutes).
LOCK_WAIT_TIMEOUT = 1205
LOCK_WAIT_ATTEMPTS = 2
FIRST_PAUSE = 0.005
LONGEST_PAUSE = 0.4
# The os's generator, as everywhere in Strongroom (``random`` is kept out by a test).
_JITTER = secrets.SystemRandom()


def error_code(error: BaseException) -> int | None:
    """The server's errno behind a driver error, if it has one."""
    code = getattr(getattr(error, "orig", None), "errno", None)
    return code if isinstance(code, int) else None


class TransactionLost(Exception):
    """What a unit of work wrote is no longer in its transaction: the server rolled it back
    without the driver saying so (seen on Galera, when a write replicated from another node
    aborts a long transaction between its statements, and later statements then ran in a new
    one). Nothing of it may be committed: the unit of work runs again, whole."""


def should_retry(error: DBAPIError) -> bool:
    """Whether running the unit of work again may succeed where this run failed."""
    if error_code(error) in SERIALIZATION_FAILURES:
        return True
    if getattr(error.orig, "sqlstate", None) == SERIALIZATION_SQLSTATE:
        return True
    # The connection is gone (and the pool knows it): the next run takes a new one.
    return bool(error.connection_invalidated)


def pause(attempt: int) -> float:
    """Exponential backoff with full jitter: concurrent losers spread out instead of colliding
    again in step."""
    return _JITTER.uniform(0, min(LONGEST_PAUSE, FIRST_PAUSE * (2**attempt)))


def run_in_transaction(
    sessions: sessionmaker[Session],
    work: Callable[[Session], T],
    *,
    attempts: int = ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``work`` in a transaction and commit; again, whole, when the database asks.

    Whatever ``work`` raises that is not such a database error (a UserError, say) ends the
    transaction (rolled back) and goes to the caller, as does the last failure.
    """
    lock_waits = 0
    for attempt in range(1, attempts + 1):
        try:
            with sessions.begin() as db:
                return work(db)
        except TransactionLost:
            if attempt == attempts:
                raise
            sleep(pause(attempt))
            continue
        except DBAPIError as error:
            lock_waits += error_code(error) == LOCK_WAIT_TIMEOUT
            if attempt == attempts or lock_waits >= LOCK_WAIT_ATTEMPTS or not should_retry(error):
                raise
            sleep(pause(attempt))
    raise AssertionError("unreachable: the last attempt returns or raises")
