"""A throwaway MariaDB Galera cluster on 127.0.0.1: three nodes, small buffer pools, rsync SST.

Started once per test session (it takes about ten seconds), on ports nobody else holds. A test
may kill a node with SIGKILL and restart it: the restart recovers the node's position from
InnoDB first (``mariadbd --wsrep-recover``, what ``galera_recovery`` does), so the node catches
up by incremental state transfer instead of copying everything.
"""

from __future__ import annotations

import configparser
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PROVIDER = Path("/usr/lib/galera/libgalera_smm.so")
MARIADBD = Path("/usr/sbin/mariadbd")
DOCUMENTED_SETTINGS = Path(__file__).resolve().parent.parent / "docs" / "galera.cnf"


def documented_settings(**overrides: str) -> list[str]:
    """docs/galera.cnf, the settings the compose example gives each node, as mariadbd options
    (with these overrides for a cluster on 127.0.0.1)."""
    parser = configparser.ConfigParser()
    parser.read(DOCUMENTED_SETTINGS)
    settings = {**dict(parser["galera"]), **overrides}
    return [f"--{name.replace('_', '-')}={value}" for name, value in settings.items()]


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for probe in sockets:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in sockets]
    finally:
        for probe in sockets:
            probe.close()


def missing() -> str | None:
    """Why a cluster cannot start here, or None."""
    if not MARIADBD.exists() or shutil.which("mariadb-install-db") is None:
        return "the MariaDB server (mariadbd, mariadb-install-db) is not installed"
    if not PROVIDER.exists():
        return f"Galera ({PROVIDER}, Debian package galera-4) is not installed"
    if shutil.which("rsync") is None:
        return "rsync (Galera's state transfer) is not installed"
    return None


@dataclass
class Node:
    index: int
    root: Path
    sql_port: int
    gcomm_port: int
    ist_port: int
    sst_port: int
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.sql_port}"

    @property
    def datadir(self) -> Path:
        return self.root / "data"


class GaleraCluster:
    def __init__(self, root: Path, size: int = 3) -> None:
        self.root = root
        ports = free_ports(4 * size)
        self.nodes = [
            Node(i, root / f"node{i + 1}", sql, gcomm, ist, sst)
            for i, (sql, gcomm, ist, sst) in enumerate(zip(*[iter(ports)] * 4, strict=True))
        ]
        # Root runs the servers as mysql: rsync's daemon drops a root caller to "nobody".
        self._user = "mysql" if os.geteuid() == 0 else None

    # -- addresses ------------------------------------------------------------------------

    def url(self, *nodes: int, database: str = "strongroom") -> str:
        """A URL with these nodes' hosts, in this order (all of them by default)."""
        chosen = [self.nodes[i] for i in (nodes or range(len(self.nodes)))]
        hosts = ",".join(node.address for node in chosen)
        return f"mariadb+mariadbconnector://root@/{database}?host={hosts}"

    def node_url(self, node: int, database: str = "strongroom") -> str:
        return f"mariadb+mariadbconnector://root@{self.nodes[node].address}/{database}"

    def sql(self, node: int, statement: str, database: str = "mysql") -> list[tuple[object, ...]]:
        """One statement on one node, through the driver alone (SQLAlchemy's first connect
        runs queries of its own, which a node cut off from its cluster refuses)."""
        import mariadb

        connection = mariadb.connect(
            host="127.0.0.1",
            port=self.nodes[node].sql_port,
            user="root",
            database=database,
            autocommit=True,
            connect_timeout=5,
        )
        try:
            cursor = connection.cursor()
            cursor.execute(statement)
            return [tuple(row) for row in cursor.fetchall()] if cursor.description else []
        finally:
            connection.close()

    # -- life -----------------------------------------------------------------------------

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        for node in self.nodes:
            node.root.mkdir()
        # One system database, copied: the joiners replace theirs by state transfer anyway.
        first = self.nodes[0]
        installed = subprocess.run(
            [
                "mariadb-install-db",
                "--no-defaults",
                f"--datadir={first.datadir}",
                f"--user={self._user or os.environ.get('USER', 'root')}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if installed.returncode != 0:
            raise RuntimeError(f"mariadb-install-db failed: {installed.stdout[-2000:]}")
        for node in self.nodes[1:]:
            shutil.copytree(first.datadir, node.datadir)
        if self._user:
            shutil.chown(self.root, self._user)
            for path in [*self.root.rglob("*")]:
                shutil.chown(path, self._user)
        self._launch(self.nodes[0], "--wsrep-new-cluster")
        self.wait_synced(0)
        for node in self.nodes[1:]:
            self._launch(node)
        for node in self.nodes[1:]:
            self.wait_synced(node.index)

    def _launch(self, node: Node, *extra: str) -> None:
        node.process = subprocess.Popen(
            [*self._arguments(node), f"--log-error={node.root / 'server.log'}", *extra],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def _arguments(self, node: Node) -> list[str]:
        gcomm = ",".join(f"127.0.0.1:{other.gcomm_port}" for other in self.nodes)
        options = (
            f"gmcast.listen_addr=tcp://127.0.0.1:{node.gcomm_port};"
            f"ist.recv_addr=127.0.0.1:{node.ist_port};gcache.size=64M;"
            # Notice a killed node within about two seconds (the defaults take five or more).
            "evs.keepalive_period=PT0.5S;evs.suspect_timeout=PT2S;evs.inactive_timeout=PT4S"
        )
        return [
            str(MARIADBD),
            "--no-defaults",
            f"--datadir={node.datadir}",
            f"--port={node.sql_port}",
            "--bind-address=127.0.0.1",
            f"--socket={node.root / 'mariadb.sock'}",
            f"--pid-file={node.root / 'mariadb.pid'}",
            *([f"--user={self._user}"] if self._user else []),
            "--innodb-log-file-size=32M",
            "--skip-log-bin",
            *documented_settings(
                wsrep_cluster_address=f"gcomm://{gcomm}",
                # The official image has mariadb-backup; Debian's server here has rsync.
                wsrep_sst_method="rsync",
            ),
            f"--wsrep-node-address=127.0.0.1:{node.gcomm_port}",
            f"--wsrep-node-name=node{node.index + 1}",
            f"--wsrep-provider-options={options}",
            f"--wsrep-sst-receive-address=127.0.0.1:{node.sst_port}",
        ]

    def status(self, node: int, name: str) -> str | None:
        try:
            rows = self.sql(node, f"SHOW STATUS LIKE '{name}'")
        except Exception:
            return None
        return str(rows[0][1]) if rows else None

    def wait_synced(self, node: int, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            process = self.nodes[node].process
            if process is not None and process.poll() is not None:
                log = (self.nodes[node].root / "server.log").read_text(errors="replace")
                raise RuntimeError(f"Galera node {node + 1} exited:\n{log[-3000:]}")
            if self.status(node, "wsrep_local_state_comment") == "Synced":
                return
            time.sleep(0.2)
        raise RuntimeError(f"Galera node {node + 1} did not reach Synced in {timeout} s")

    def kill(self, node: int) -> None:
        process = self.nodes[node].process
        assert process is not None
        process.send_signal(signal.SIGKILL)
        process.wait()
        self.nodes[node].process = None

    def restart(self, node: int) -> str:
        """Start a killed node again from its recovered position; the position it gave."""
        target = self.nodes[node]
        recovered = subprocess.run(
            [
                *self._arguments(target),
                f"--log-error={target.root / 'recover.log'}",
                "--wsrep-recover",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        recover_log = target.root / "recover.log"
        log = recover_log.read_text(errors="replace") if recover_log.exists() else ""
        found = re.findall(r"Recovered position: (\S+)", log)
        if recovered.returncode != 0 or not found:
            raise RuntimeError(f"position recovery failed for node {node + 1}:\n{log[-2000:]}")
        self._launch(target, f"--wsrep-start-position={found[-1]}")
        self.wait_synced(node)
        return str(found[-1])

    def stop(self) -> None:
        for node in self.nodes:
            if node.process is not None:
                node.process.terminate()
        for node in self.nodes:
            if node.process is not None:
                try:
                    node.process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    node.process.kill()
                node.process = None
        shutil.rmtree(self.root, ignore_errors=True)


def start_cluster() -> GaleraCluster:
    """The session's cluster; under CI=true a cluster that cannot start fails the run."""
    reason = missing()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI=true: the Galera tests must run)", pytrace=False)
        pytest.skip(reason)
    cluster = GaleraCluster(Path(tempfile.mkdtemp(prefix="strongroom-galera-")))
    try:
        cluster.start()
    except Exception:
        cluster.stop()
        raise
    return cluster
