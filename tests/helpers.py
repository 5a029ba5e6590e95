"""What many test files share: the fast key-derivation settings, a test's folders and settings,
a fake clock, a tool the test needs, the database read and written through raw SQL, and a
private MariaDB server a test may stop.

Fixtures live in conftest.py; everything a test file imports lives here (or in pilot.py,
terminal.py, command_line.py and transfer.py), never in conftest.py.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app.core.config import SecuritySettings, Settings
from app.services.accounts import AccountService
from app.services.database import Database
from app.services.secret_keys import DeviceSecretKeys
from app.services.tokens import TokenStore

# The floors: real Argon2id and bcrypt, at the cheapest settings Strongroom accepts.
FAST_SECURITY = SecuritySettings(
    argon2_memory_kib=19 * 1024, argon2_iterations=2, argon2_parallelism=1, bcrypt_cost=10
)
STRONG_PASSWORD = "correct horse battery staple"


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def make_settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        config_dir=tmp_path / "config",
        data_dir=tmp_path / "data",
        database_url=database_url,
        security=FAST_SECURITY,
        # An app run in this process starts no command line agent (tests/terminal.py's
        # launch says the same in config.toml; a test that wants one says so).
        command_line_agent=False,
    )


def make_controller(
    database: Database, settings: Settings, clock: FakeClock, token_path: Path | None = None
) -> AccountService:
    return AccountService(
        database.sessions,
        TokenStore(token_path or settings.token_path),
        settings.security,
        target=database.target,
        clock=clock,
        device_label="test device",
        secret_keys=DeviceSecretKeys(settings.data_dir, database.database_id, database.target),
    )


def need(tool: str) -> None:
    """Skip without ``tool`` on PATH; under CI=true fail instead (scripts/setup installs it)."""
    if shutil.which(tool) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} is not installed (CI=true: scripts/setup installs it)")
        pytest.skip(f"{tool} is not installed")


def once_per_run(
    tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]
) -> Path:
    """A folder that ``make`` fills once per test run, however many worker processes (pytest -n)
    ask for it: the first fills it under a file lock, the others wait and share it."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's folder, above each worker's own
    folder = root / name
    with (root / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / ".made").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            (folder / ".made").touch()
    return folder


# -- the database, as anyone holding its password reaches it --------------------------------


def sql(settings: Settings, statement: object) -> None:
    """Write the database directly, as anyone holding its password could."""
    engine = create_engine(settings.database_url)
    with engine.begin() as connection:
        connection.execute(statement)  # type: ignore[call-overload]
    engine.dispose()


def rows(settings: Settings, query: str) -> list[tuple[object, ...]]:
    engine = create_engine(settings.database_url)
    with engine.connect() as connection:
        found = [tuple(row) for row in connection.execute(text(query))]
    engine.dispose()
    return found


# -- a private MariaDB server ------------------------------------------------------------------


class ThrowawayMariaDB:
    """A private mariadbd on a temporary data directory, which a test may stop and restart."""

    def __init__(self, root: Path, port: int) -> None:
        self.root = root
        self.port = port
        self.url = f"mariadb+mariadbconnector://root@127.0.0.1:{port}/strongroom"
        self._process: subprocess.Popen[bytes] | None = None
        self.extra_args: list[str] = []

    def install(self) -> None:
        subprocess.run(
            [
                "mariadb-install-db",
                "--no-defaults",
                f"--datadir={self.root / 'data'}",
                "--user=root",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ],
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        # The server's own log, to read when a test fails.
        log = os.open(self.root / "server.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._process = subprocess.Popen(
            [
                "/usr/sbin/mariadbd",
                "--no-defaults",
                f"--datadir={self.root / 'data'}",
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                f"--socket={self.root / 'mariadb.sock'}",
                "--user=root",
                "--skip-log-bin",
                *self.extra_args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        os.close(log)  # the server keeps its own copy
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("the throwaway MariaDB server did not start")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=30)
            self._process = None
