"""Shared fixtures: throwaway databases on both backends, isolated directories, a fake clock,
an account to work in. What a test file imports is in tests/helpers.py and its neighbours."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.core.accounts import ActiveSession
from app.core.config import Settings
from app.services.accounts import AccountService
from app.services.database import Database, open_database
from tests.galera import GaleraCluster, start_cluster
from tests.helpers import (
    STRONG_PASSWORD,
    FakeClock,
    ThrowawayMariaDB,
    make_controller,
    make_settings,
)

MARIADB_URL_ENV = "STRONGROOM_TEST_MARIADB_URL"
DEFAULT_MARIADB_URL = "mariadb+mariadbconnector://root@127.0.0.1:3306/test"

# No example is judged by how long it took: these machines are shared and noisy, and speed is
# the benchmark's to measure (python -m bench), never a test's.
hypothesis_settings.register_profile("strongroom", deadline=None)
hypothesis_settings.load_profile("strongroom")


@pytest.fixture
def agent_runtime() -> Iterator[Path]:
    """A private runtime folder (XDG_RUNTIME_DIR) for the command line's agent socket. Short and
    in /tmp: a socket's path must fit in 107 bytes, which one under a test's tmp_path may not
    (pytest -n adds a folder per worker), and the agent then never starts."""
    folder = Path(tempfile.mkdtemp(prefix="strongroom-run-"))  # 0700, as a runtime folder is
    try:
        yield folder
    finally:
        stop_agents(folder)
        shutil.rmtree(folder, ignore_errors=True)


def stop_agents(runtime: Path) -> None:
    """SIGTERM to every Strongroom process this test started with ``runtime`` as its runtime
    folder (an agent outlives the command that started it, until it is idle long enough)."""
    wanted = f"XDG_RUNTIME_DIR={runtime}".encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            environment = (proc / "environ").read_bytes().split(b"\0")
            command = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:  # gone, or another user's
            continue
        if wanted in environment and b"app" in command:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(proc.name), signal.SIGTERM)


@pytest.fixture(autouse=True)
def _isolate_user_files(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, agent_runtime: Path
) -> None:
    """No test may read or write the developer's own config, token file, database or agent."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(home / name.lower()))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(agent_runtime))
    monkeypatch.delenv("STRONGROOM_DATABASE_URL", raising=False)
    monkeypatch.delenv("STRONGROOM_CONFIG_DIR", raising=False)


MARIADB_FIXTURES = {"mariadb_server", "mariadb_url", "throwaway_mariadb", "galera", "galera_db"}


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that needs a MariaDB server must say so with the marker (``-m "not mariadb"``
    then leaves it out); one that forgets fails here instead of at random.

    Under pytest -n (scripts/test), the tests on the Galera cluster run on one worker (with
    ``--dist loadgroup``): they kill and cut off its nodes, so no other test may share it, and
    the cluster starts once per run."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        needs = MARIADB_FIXTURES & fixtures
        if needs and item.get_closest_marker("mariadb") is None:
            raise pytest.UsageError(
                f"{item.nodeid} uses {sorted(needs)} without @pytest.mark.mariadb"
            )
        if "galera" in fixtures:
            item.add_marker(pytest.mark.xdist_group("galera"))


def _mariadb_server_url() -> str:
    return os.environ.get(MARIADB_URL_ENV, DEFAULT_MARIADB_URL)


@pytest.fixture(scope="session")
def mariadb_server() -> str:
    """The server URL, or a skip outside CI; under CI=true a missing MariaDB fails the run."""
    url = _mariadb_server_url()
    try:
        engine = create_engine(url)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:
        reason = f"MariaDB is not reachable at {make_url(url).render_as_string()}: {error}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI=true: the MariaDB tests must run)", pytrace=False)
        pytest.skip(reason)
    return url


@pytest.fixture
def mariadb_url(mariadb_server: str) -> Iterator[str]:
    """A fresh, empty database on the MariaDB server, dropped afterwards."""
    name = f"strongroom_test_{secrets.token_hex(6)}"
    admin = create_engine(mariadb_server)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
    try:
        yield make_url(mariadb_server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'strongroom.db'}"
    return str(request.getfixturevalue("mariadb_url"))


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    """SQLite only: for what cannot differ between backends, such as a screen's snapshot."""
    return make_settings(tmp_path, f"sqlite:///{tmp_path / 'data' / 'strongroom.db'}")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    db = open_database(settings.database_url)
    yield db
    db.dispose()


@pytest.fixture
def accounts(database: Database, settings: Settings, clock: FakeClock) -> AccountService:
    return make_controller(database, settings, clock)


@pytest.fixture
def alice(accounts: AccountService) -> ActiveSession:
    """The account "alice", logged in on this device without being remembered."""
    accounts.register("alice", STRONG_PASSWORD, STRONG_PASSWORD)
    return accounts.login("alice", STRONG_PASSWORD, remember=False)


@pytest.fixture
def throwaway_mariadb(tmp_path: Path) -> Iterator[ThrowawayMariaDB]:
    """Its own server process (never the shared one), so stopping it harms nothing else."""
    if not Path("/usr/sbin/mariadbd").exists() or shutil.which("mariadb-install-db") is None:
        message = "the MariaDB server binaries (mariadbd, mariadb-install-db) are not installed"
        if os.environ.get("CI"):
            pytest.fail(f"{message} (CI=true: the database fault tests must run)", pytrace=False)
        pytest.skip(message)
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    server = ThrowawayMariaDB(tmp_path / "mariadb", port)
    server.install()
    server.start()
    engine = create_engine(server.url.rsplit("/", 1)[0] + "/mysql")
    with engine.begin() as connection:
        connection.execute(text("CREATE DATABASE strongroom CHARACTER SET utf8mb4"))
    engine.dispose()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def galera() -> Iterator[GaleraCluster]:
    """A throwaway 3-node Galera cluster for the whole run (see tests/galera.py)."""
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def galera_db(galera: GaleraCluster) -> Iterator[str]:
    """A fresh database on the cluster, made through node 1; its name. Galera applies a write
    on the other nodes a moment after node 1 returns (replication is synchronous, applying is
    not): the fixture waits until every running node has the database, so that a test that
    connects to node 2 at once does not find it "unknown"."""
    name = f"strongroom_{secrets.token_hex(4)}"
    galera.sql(0, f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
    deadline = time.monotonic() + 60
    for node in range(len(galera.nodes)):
        if galera.nodes[node].process is None:
            continue
        while not galera.sql(node, f"SHOW DATABASES LIKE '{name}'"):
            if time.monotonic() > deadline:
                pytest.fail(f"Galera node {node + 1} never had the database {name}")
            time.sleep(0.05)
    try:
        yield name
    finally:
        for node in range(len(galera.nodes)):
            if galera.nodes[node].process is not None:
                galera.sql(node, f"DROP DATABASE IF EXISTS {name}")
                break


@pytest.fixture
def other_user() -> Iterator[str]:
    """A second Unix account (made with useradd, removed afterwards), for what another user
    of the machine could do: plant files in a shared folder, connect to a socket."""
    if os.geteuid() != 0 or shutil.which("useradd") is None:
        if os.environ.get("CI"):
            pytest.fail("CI=true: the second-user tests need root and useradd")
        pytest.skip("needs root and useradd to make a second user")
    name = f"srother{secrets.token_hex(4)}"
    subprocess.run(["useradd", "--no-create-home", "--shell", "/bin/sh", name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["userdel", name], check=False)
