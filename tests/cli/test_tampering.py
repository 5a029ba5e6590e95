"""What someone who can write the database, or a folder beside it, leaves for the installed
command to meet: a verifier whose bcrypt cost would hang every login, SQLite's side files
planted by another Unix user, and a saved login run against a database it does not belong to."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import text

from app.core.config import Settings
from app.services.database import describe_url
from tests.command_line import one_clean_line, strongroom
from tests.helpers import STRONG_PASSWORD, make_settings, rows, sql

LINES = f"alice\n{STRONG_PASSWORD}\n{STRONG_PASSWORD}\n"


def test_a_stored_bcrypt_cost_past_the_ceiling_is_refused_not_run(settings: Settings) -> None:
    """``$2b$31$`` written into the verifier would take bcrypt hours of CPU at every login: the
    login is refused at once, with the damaged account's one line. (The command's own timeout
    is only a guard: before the ceiling this test failed there, never by a measured time.)"""
    assert strongroom(settings, "register", stdin=LINES).returncode == 0
    [(verifier,)] = rows(settings, "SELECT verifier FROM users")
    assert isinstance(verifier, str)
    assert verifier.startswith("$2b$10$")
    sql(settings, text("UPDATE users SET verifier = :v").bindparams(v="$2b$31$" + verifier[7:]))

    refused = strongroom(settings, "login", stdin=LINES)
    assert refused.returncode != 0
    one_clean_line(refused.stderr)
    assert "stored password verifier is damaged, or its cost is outside" in refused.stderr
    # Nothing was re-hashed or otherwise "repaired" on the way.
    assert rows(settings, "SELECT verifier FROM users") == [("$2b$31$" + verifier[7:],)]
    # An unknown name still gets the one message a wrong password gets.
    unknown = strongroom(settings, "login", stdin=f"nobody\n{STRONG_PASSWORD}\n")
    assert "Wrong username or password." in unknown.stderr


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder every user may write, as /tmp is (1777)."""
    folder = Path(tempfile.mkdtemp(prefix="strongroom-shared-"))
    folder.chmod(0o1777)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_sqlite_files_another_user_planted_are_refused(
    tmp_path: Path, other_user: str, shared_folder: Path
) -> None:
    """Another user creates ``vault.db-wal`` and ``-shm`` (0666) in a shared folder, to read
    the pages SQLite would write there (the verifier among them). The folder is refused, with
    one line naming it and why; once only its owner may write it, the planted files are refused
    in turn; and nothing is ever written into them."""
    settings = make_settings(tmp_path, f"sqlite:///{shared_folder / 'vault.db'}")
    plant = "umask 000 && : > vault.db-wal && : > vault.db-shm"
    subprocess.run(
        ["runuser", "-u", other_user, "--", "sh", "-c", plant], cwd=shared_folder, check=True
    )
    planted = [shared_folder / "vault.db-wal", shared_folder / "vault.db-shm"]
    assert all(path.stat().st_uid != os.getuid() for path in planted)

    refused = strongroom(settings, "register", stdin=LINES)
    assert refused.returncode == 5
    one_clean_line(refused.stderr)
    assert (
        f"The database's folder {shared_folder} could be written by other users (mode 1777)"
        in refused.stderr
    )
    assert not (shared_folder / "vault.db").exists()

    shared_folder.chmod(0o700)  # its owner closes it; what was planted is still there
    refused = strongroom(settings, "register", stdin=LINES)
    assert refused.returncode == 5
    one_clean_line(refused.stderr)
    assert f"The database file {planted[0]} belongs to another user" in refused.stderr
    assert [path.stat().st_size for path in planted] == [0, 0]

    for path in planted:
        path.unlink()
    assert strongroom(settings, "register", stdin=LINES).returncode == 0
    assert rows(settings, "SELECT username FROM users") == [("alice",)]


def test_a_saved_login_is_refused_unchanged_against_another_database(
    settings: Settings, tmp_path: Path
) -> None:
    """Logged in (remembered, unlocked) with database A, the same folders are run against
    database B: every command says so in one line and changes nothing (before, B found no
    such session, deleted the token file and left A's session open). Back on A, the session
    works as before."""
    assert strongroom(settings, "register", stdin=LINES).returncode == 0
    assert strongroom(settings, "login", "--remember", stdin=LINES).returncode == 0
    assert strongroom(settings, "add", "Mail", stdin="mail-secret\n").returncode == 0
    token = settings.token_path
    saved = (token.read_bytes(), token.stat().st_mtime_ns)
    [(session_key,)] = rows(settings, "SELECT vault_key_wrapped FROM sessions")
    assert session_key  # unlocked: the session row holds the wrapped vault key

    other = replace(settings, database_url=f"sqlite:///{tmp_path / 'b' / 'b.db'}")
    assert strongroom(other, "register", stdin=LINES).returncode == 0  # B has its own alice
    for args, stdin in (
        (("status",), ""),
        (("get", "Mail"), STRONG_PASSWORD + "\n"),
        (("logout",), ""),
        (("login", "--remember"), LINES),
    ):
        refused = strongroom(other, *args, stdin=stdin)
        assert refused.returncode == 5, (args, refused.stderr)
        one_clean_line(refused.stderr)
        assert (
            f"The saved login at {token} belongs to another database "
            f"({describe_url(settings.database_url)}), not to {describe_url(other.database_url)}; "
            "nothing was changed." in refused.stderr
        ), args
        assert refused.stdout in ("", f"database: {describe_url(other.database_url)}\n")
        assert (token.read_bytes(), token.stat().st_mtime_ns) == saved, args
    assert rows(other, "SELECT COUNT(*) FROM sessions") == [(0,)]
    assert rows(settings, "SELECT vault_key_wrapped FROM sessions") == [(session_key,)]

    status = strongroom(settings, "status")
    assert status.returncode == 0, status.stderr
    assert "user: alice, unlocked" in status.stdout
    got = strongroom(settings, "get", "Mail", "--no-input")
    assert (got.returncode, got.stdout) == (0, "mail-secret\n")
