"""A vault's rows read while its password is checked, for the listing that follows the login.

A login spends most of its time in Argon2id and bcrypt, which leave the GIL and a core free;
the rows of the whole vault, as they are stored (sealed), need no key to be read. So the read
that the first listing would make after the login is made during it, on a thread of its own,
and the listing takes it once the account is open (CheckedReads._checked), if the vault's head
is still the one read with it and it is no older than AHEAD_SECONDS. Nothing is opened or
checked here: the listing checks these rows against the integrity record as it checks its own.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as NotYet
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from app.core.memory import collector_paused
from app.services.integrity_check import Snapshot, read_vault
from app.services.transactions import run_in_transaction

AHEAD_SECONDS = 10.0  # a read ahead is used only this soon after it was made
WAIT_SECONDS = 2.0  # how long a listing waits for a read ahead still under way


@dataclass(frozen=True)
class ReadAhead:
    user_id: int
    snapshot: Snapshot
    made: float  # time.monotonic() when it was read


def start(sessions: sessionmaker[Session], user_id: int) -> Future[ReadAhead | None]:
    """Read ``user_id``'s vault on a thread of its own; the future's result is None when the
    read failed (the listing then reads for itself and says why)."""
    future: Future[ReadAhead | None] = Future()

    def read() -> None:
        try:
            future.set_result(_read(sessions, user_id))
        except Exception:  # the listing's own read says what went wrong
            future.set_result(None)

    threading.Thread(target=read, name="strongroom-read-ahead", daemon=True).start()
    return future


def taken(future: Future[ReadAhead | None] | None, user_id: int) -> ReadAhead | None:
    """The read ahead ``future`` holds, if it is of ``user_id``'s vault and recent."""
    if future is None:
        return None
    try:
        ahead = future.result(timeout=WAIT_SECONDS)
    except NotYet:
        return None
    if ahead is None or ahead.user_id != user_id or ahead.snapshot.head is None:
        return None
    return ahead if time.monotonic() - ahead.made <= AHEAD_SECONDS else None


def _read(sessions: sessionmaker[Session], user_id: int) -> ReadAhead:
    with collector_paused():  # the rows are long-lived: the collector would walk them all
        snapshot = run_in_transaction(sessions, lambda db: read_vault(db, user_id))
    return ReadAhead(user_id, snapshot, time.monotonic())
