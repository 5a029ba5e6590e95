"""How the bulk write of an import (app.services.bulk) runs its statements: many rows to one
executemany, and, on MariaDB, on a thread of their own while the next rows are sealed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from operator import itemgetter
from typing import Any, TypeVar

from sqlalchemy import Connection, Insert, LargeBinary, Table, Update

from app.models import PasswordHistory, VaultItem

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


class _Writer(ThreadPoolExecutor):
    """One thread that runs the statements in the order given, and knows what it was given."""

    def __init__(self) -> None:
        super().__init__(max_workers=1, thread_name_prefix="strongroom-import")
        self.given: list[Future[Any]] = []

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future = super().submit(fn, *args, **kwargs)
        self.given.append(future)
        return future

    def finish(self) -> None:
        """Drop what has not started and wait for the statement running, however many times
        Ctrl-C is pressed meanwhile (one held up by a lock may take a while): the connection
        is not the rollback's until the writer has let go of it (the driver is not
        thread-safe: a rollback sent during a statement crashed the process). The wait is on
        the statements, not on the thread (an interrupted Thread.join takes the thread for
        ended). A Ctrl-C pressed while waiting is raised once the writer has finished."""
        self.shutdown(wait=False, cancel_futures=True)
        interrupted = False
        while True:
            try:
                # Those dropped are done (never started): wait on the rest, or on nothing.
                wait([future for future in self.given if not future.done()])
                break
            except KeyboardInterrupt:
                interrupted = True
        self.shutdown(wait=True)  # the thread has nothing left to run: it ends at once
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


def table(model: type[VaultItem] | type[PasswordHistory]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table
