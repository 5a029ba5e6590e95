"""Several database hosts, one at a time: failover between the nodes of a MariaDB cluster.

A database URL may name several servers, all on one port (``user@db1,db2,db3:3306/strongroom``)
or each with its own (``user@/strongroom?host=db1:3306,db2:3307``). Every new connection tries
them in turn, starting from the one that answered last, with a short connect timeout. A node
that cannot be reached (errno 2002, 2003), drops the connection (2006, 2013) or is up but cut
off from its cluster (1047 "WSREP has not yet prepared node for application use": it refuses
every query) is passed over for the next. When the pool loses a connection, SQLAlchemy drops
it and the unit of work runs again on a new one (see :mod:`.transactions`).

On a Galera node every connection sets ``wsrep_sync_wait = 1``: a read waits until the node
has applied every write the cluster committed before it, so a refresh or an edit's conflict
check sees another device's save made a moment ago on another node. A single server has no
such lag, and the setting is left off there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import URL

DEFAULT_PORT = 3306
CONNECT_TIMEOUT_SECONDS = 5
# Errors that say "this node, not the request": try the next host.
NODE_ERRORS = frozenset({1047, 2002, 2003, 2006, 2013, 2055})
NOT_READY = 1047


SwitchListener = Callable[[str, str], None]


class HostListError(ValueError):
    """A database URL's list of hosts that cannot be read."""


def _port(text: str, where: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise HostListError(f"{where} has the port {text!r}, which is not a port number.")
    return int(text)


def hosts_of(url: URL) -> list[tuple[str, int]]:
    """The servers a URL names, in order: its host list, or its ``host=`` parameter."""
    query_hosts = url.query.get("host")
    if query_hosts is not None:
        listed = query_hosts if isinstance(query_hosts, str) else ",".join(query_hosts)
        hosts = []
        for entry in filter(None, (part.strip() for part in listed.split(","))):
            name, _, port = entry.rpartition(":") if ":" in entry else (entry, "", "")
            hosts.append((name, _port(port, entry) if port else url.port or DEFAULT_PORT))
        if not hosts:
            raise HostListError("The database URL's host= parameter names no server.")
        return hosts
    names = [part.strip() for part in (url.host or "").split(",")]
    if not all(names):
        raise HostListError("The database URL names no server, or an empty one in its list.")
    return [(name, url.port or DEFAULT_PORT) for name in names]


def single_host(url: URL, host: str, port: int) -> URL:
    """The URL for one of its servers (what the driver is given)."""
    query = {key: value for key, value in url.query.items() if key != "host"}
    return url.set(host=host, port=port, query=query)


def label(host: str, port: int) -> str:
    return f"{host}:{port}"


@dataclass
class Failover:
    """Which of the hosts to try first, and whom to tell when that changes."""

    hosts: list[tuple[str, int]]
    on_switch: SwitchListener | None = None
    current: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def current_label(self) -> str:
        return label(*self.hosts[self.current])

    def connect(self, dialect: Any, cparams: dict[str, Any]) -> Any:
        """A connection to the first host that is up and ready, starting from the last good."""
        with self._lock:
            start = self.current
        last_error: Exception | None = None
        for step in range(len(self.hosts)):
            index = (start + step) % len(self.hosts)
            host, port = self.hosts[index]
            try:
                connection = dialect.loaded_dbapi.connect(**{**cparams, "host": host, "port": port})
            except dialect.loaded_dbapi.Error as error:
                if getattr(error, "errno", None) not in NODE_ERRORS:
                    raise
                last_error = error
                continue
            if not _ready(connection):
                last_error = dialect.loaded_dbapi.OperationalError(
                    f"{label(host, port)} is not ready (not in its cluster's primary component)"
                )
                continue
            self._switched(start, index)
            return connection
        assert last_error is not None
        raise last_error

    def _switched(self, start: int, index: int) -> None:
        with self._lock:
            previous, self.current = self.current, index
        if index != start and previous != index and self.on_switch is not None:
            self.on_switch(label(*self.hosts[previous]), label(*self.hosts[index]))


def _ready(connection: Any) -> bool:
    """Whether the node answers queries (closing the connection when it does not)."""
    try:
        ready = _probe(connection)
    except Exception as error:
        if getattr(error, "errno", None) not in NODE_ERRORS:
            raise
        ready = False
    if not ready:
        connection.close()
    return ready


def _probe(connection: Any) -> bool:
    """Ready or not; on a Galera node, reads are made to wait for the cluster's commits.

    A Galera node cut off from its cluster still answers ``SELECT 1`` but refuses every table
    (1047): its ``wsrep_ready`` status says which. A single server has ``wsrep_on`` off (or no
    such variable at all) and is ready as it is.
    """
    cursor = connection.cursor()
    try:
        try:
            cursor.execute("SELECT @@wsrep_on")
            row = cursor.fetchone()
        except Exception as error:
            if getattr(error, "errno", None) in NODE_ERRORS:
                raise
            return True  # no wsrep variable: not a cluster node
        if not row or row[0] not in (1, "1", "ON"):
            return True
        cursor.execute("SHOW STATUS LIKE 'wsrep_ready'")
        status = cursor.fetchone()
        if not status or status[1] != "ON":
            return False
        cursor.execute("SET SESSION wsrep_sync_wait = 1")
        return True
    finally:
        cursor.close()


def _node_not_ready(context: Any) -> None:
    """A node cut off from its cluster keeps its connections but refuses every query: the
    pool must drop them like lost ones, so that the next attempt goes to another node."""
    if getattr(context.original_exception, "errno", None) in NODE_ERRORS:
        context.is_disconnect = True


def install(engine: Engine, failover: Failover) -> None:
    """Connect ``engine`` through ``failover``, and watch its nodes."""

    def connect(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
        cparams.setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
        return failover.connect(dialect, cparams)

    event.listen(engine, "do_connect", connect)
    event.listen(engine, "handle_error", _node_not_ready)
