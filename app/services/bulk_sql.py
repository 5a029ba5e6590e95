"""How the bulk write of an import (app.services.bulk) runs its statements: many rows to one
executemany, and, on MariaDB, on a thread of their own while the next rows are sealed."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, wait
from contextlib import contextmanager
from functools import partial
from operator import itemgetter
from queue import SimpleQueue
from typing import Any, TypeVar

from sqlalchemy import Connection, Insert, LargeBinary, Update

T = TypeVar("T")


@contextmanager
def statements(connection: Connection) -> Iterator[Executor]:
    """Where the bulk write's statements run (app.services.bulk, _placed_then_sealed): here on
    SQLite (its connection stays in the thread that opened it); on MariaDB one thread of their
    own, in the order given. Leaving with an error drops what has not started and waits for
    what has, so that the transaction is rolled back with no statement of it still running."""
    if connection.dialect.name == "sqlite":
        yield Here()
        return
    writer = _Writer()
    try:
        yield writer
    finally:
        writer.finish()


class _Writer(Executor):
    """One thread of its own that runs the calls given, in order. A call is known here before
    it can run, whenever Ctrl-C comes (a ThreadPoolExecutor starts its thread inside submit,
    where an interrupt left a running call unknown to the wait below)."""

    def __init__(self) -> None:
        self._calls: SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None] = SimpleQueue()
        self._given: list[Future[Any]] = []
        self._thread = threading.Thread(target=self._run, name="strongroom-import", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (call := self._calls.get()) is not None:
            future, work = call
            if future.set_running_or_notify_cancel():  # not if dropped meanwhile
                try:
                    future.set_result(work())
                except BaseException as error:
                    future.set_exception(error)

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        self._given.append(future)
        self._calls.put((future, partial(fn, *args, **kwargs)))
        return future

    def finish(self) -> None:
        """Drop what has not started and wait for the call running, however many times
        Ctrl-C is pressed meanwhile (a statement held up by a lock may take a while): the
        connection is not the rollback's until the writer has let go of it (the driver is not
        thread-safe: a rollback sent during a statement crashed the process). Every step can
        be taken again, so an interrupt anywhere in them only starts them over; it is raised
        once the writer has finished."""
        interrupted = False
        while True:
            try:
                for future in self._given:
                    future.cancel()  # only those not started: a running one goes on
                self._calls.put(None)
                wait([future for future in self._given if not future.done()])
                self._thread.join()
                break
            except KeyboardInterrupt:
                interrupted = True
        if interrupted:
            raise KeyboardInterrupt


class Here(Executor):
    """An Executor that runs each call at once, in the caller's thread."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        done: Future[T] = Future()
        try:
            done.set_result(fn(*args, **kwargs))
        except BaseException as error:
            done.set_exception(error)
        return done


def execute_many(
    connection: Connection, statement: Insert | Update, rows: list[dict[str, Any]]
) -> None:
    """``statement`` for each of ``rows`` (dicts with the same keys), as one executemany of the
    SQL SQLAlchemy compiles for this database. The values go to the driver as the columns'
    types bind them, looked up once, not row by row: sealed fields (bytes) and ids need
    nothing, dates their type's processor. SQLAlchemy's own per-row handling of 10,000 rows
    of a dozen values each was a fifth of an import."""
    dialect = connection.dialect
    compiled = statement.compile(dialect=dialect, column_keys=list(rows[0]))
    processors = {}
    for name, bind in compiled.binds.items():
        processor = (
            None
            if isinstance(bind.type, LargeBinary)
            else bind.type.dialect_impl(dialect).bind_processor(dialect)
        )
        if processor is not None:
            processors[name] = processor
    names = compiled.positiontup
    keys = list(names) if names is not None else list(rows[0])
    # The values in the statement's order by one C call a row, the few a type converts after.
    pick = itemgetter(*keys) if len(keys) > 1 else lambda row: (row[keys[0]],)
    converted = [(index, processors[key]) for index, key in enumerate(keys) if key in processors]
    params: list[Any] = []
    for row in rows:
        values = pick(row)
        if converted:
            values = list(values)
            for index, processor in converted:
                values[index] = processor(values[index])
        params.append(tuple(values) if names is not None else dict(zip(keys, values, strict=True)))
    connection.exec_driver_sql(compiled.string, params)
