"""The Secret Key through the installed command: a copy of the database and the master password
do not open the vault on a new device, which says what it needs; the key typed at a terminal
does. The database holds nothing of the key, and taking its id off the row gains nothing."""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from app.core import secret_key
from app.core.config import Settings
from tests.command_line import command_in_pane, one_clean_line, strongroom
from tests.helpers import STRONG_PASSWORD, rows
from tests.terminal import terminal

NEEDED = "This account has a Secret Key. Enter it from your Emergency Kit"
PASSWORD_LINES = f"{STRONG_PASSWORD}\n{STRONG_PASSWORD}\n"


def register_with_key(settings: Settings) -> str:
    """Register alice with a Secret Key; the key as the command printed it."""
    done = strongroom(settings, "register", "alice", "--secret-key", stdin=PASSWORD_LINES)
    assert done.returncode == 0, done.stderr
    assert "Strongroom cannot recover it" in done.stderr
    assert "Emergency Kit, to print:" in done.stderr
    printed = done.stdout.strip()
    assert done.stdout == printed + "\n"  # the key alone on standard output
    secret_key.parse(printed)
    return printed


def new_device(settings: Settings, tmp_path: Path, name: str, database_url: str) -> Settings:
    folder = tmp_path / name
    return replace(
        settings, config_dir=folder / "config", data_dir=folder / "data", database_url=database_url
    )


def test_a_copy_of_the_database_and_the_password_do_not_open_the_vault(
    settings: Settings, tmp_path: Path
) -> None:
    printed = register_with_key(settings)
    key = secret_key.parse(printed)
    kit = next((settings.data_dir / "kits").iterdir())
    assert printed in kit.read_text()
    assert kit.stat().st_mode & 0o777 == 0o600
    # The security log says a key was added, and holds nothing of it.
    log = strongroom(settings, "log")
    assert "Secret Key added" in log.stdout
    assert printed not in (settings.data_dir / "security.log").read_text()
    # Nothing of the key in the database: its bytes, hex, printed form (with dashes or not).
    stored = repr(rows(settings, "SELECT * FROM users")).encode()
    if settings.database_url.startswith("sqlite"):
        database = Path(settings.database_url.removeprefix("sqlite:///"))
        stored += b"".join(path.read_bytes() for path in database.parent.glob(database.name + "*"))
        copy = tmp_path / "copy.db"
        shutil.copy(database, copy)
        url = f"sqlite:///{copy}"
    else:
        url = settings.database_url
    for form in (key, key.hex().encode(), printed.encode(), printed.replace("-", "").encode()):
        assert form not in stored
    # This device holds the key: its login needs the password alone; logging out keeps it.
    remembered = strongroom(settings, "login", "alice", "--remember", stdin=f"{STRONG_PASSWORD}\n")
    assert remembered.returncode == 0, remembered.stderr
    logout = strongroom(settings, "logout")
    assert logout.returncode == 0
    assert "keeps its copy of your Secret Key" in logout.stderr
    assert strongroom(settings, "login", "alice", stdin=f"{STRONG_PASSWORD}\n").returncode == 0
    # Another device, on a copy, with the right password: refused, saying what it needs.
    other = new_device(settings, tmp_path, "other", url)
    refused = strongroom(other, "login", "alice", stdin=f"{STRONG_PASSWORD}\n")
    assert refused.returncode == 6
    assert NEEDED in refused.stderr
    assert "no terminal" in refused.stderr
    assert printed not in refused.stderr + refused.stdout
    # An unknown name is told as before: nothing about a Secret Key.
    unknown = strongroom(other, "login", "bob", stdin=f"{STRONG_PASSWORD}\n")
    assert unknown.returncode == 6
    assert "Wrong username or password." in unknown.stderr
    assert "Secret Key" not in unknown.stderr


def test_the_key_taken_off_the_row_fails_the_login(settings: Settings) -> None:
    register_with_key(settings)
    rows(settings, "SELECT 1")  # the schema is there
    from sqlalchemy import create_engine, text

    engine = create_engine(settings.database_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE users SET secret_key_id = NULL"))
    engine.dispose()
    done = strongroom(settings, "login", "alice", stdin=f"{STRONG_PASSWORD}\n")
    assert done.returncode == 6
    assert "the account's row was changed outside Strongroom" in done.stderr


def test_a_key_added_later_is_asked_for_by_another_device(
    settings: Settings, tmp_path: Path
) -> None:
    assert strongroom(settings, "register", "alice", stdin=PASSWORD_LINES).returncode == 0
    remembered = strongroom(settings, "login", "alice", "--remember", stdin=f"{STRONG_PASSWORD}\n")
    assert remembered.returncode == 0, remembered.stderr
    wrong = strongroom(settings, "secret-key", stdin="not the password\n")
    assert wrong.returncode != 0
    assert "password is wrong" in wrong.stderr
    added = strongroom(settings, "secret-key", stdin=f"{STRONG_PASSWORD}\n")
    assert added.returncode == 0, added.stderr
    secret_key.parse(added.stdout.strip())
    assert "Other devices' sessions ended" in added.stderr
    # This device goes on (its session wraps the new vault key); another is asked for the key.
    assert strongroom(settings, "ls").returncode == 0
    other = new_device(settings, tmp_path, "other", settings.database_url)
    refused = strongroom(other, "login", "alice", stdin=f"{STRONG_PASSWORD}\n")
    assert refused.returncode == 6
    assert NEEDED in refused.stderr


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_a_new_device_asks_for_the_key_at_a_terminal(
    sqlite_settings: Settings, tmp_path: Path, size: tuple[int, int]
) -> None:
    settings = sqlite_settings
    printed = register_with_key(settings)
    other = new_device(settings, tmp_path, "laptop", settings.database_url)
    wrong = secret_key.printable(secret_key.new_secret_key())
    with terminal(other, *size) as term:
        term.run(command_in_pane(other, "login", "alice"))
        term.wait_for("Please enter your password:")
        term.type(STRONG_PASSWORD)
        term.keys("Enter")
        term.wait_for("Secret Key:")
        assert NEEDED in term.screen().replace("\n", " ") or NEEDED in term.scrollback()
        term.type(wrong)
        term.keys("Enter")
        term.wait_for("not this account's")
        # Asked again (a prompt discards what was typed before it was put up, as getpass does).
        term.wait_until(lambda: term.screen().count("Secret Key:") == 2, "asked again")
        term.type(printed.lower().replace("-", " "))
        term.keys("Enter")
        term.wait_for("EXIT=0")
        assert "Welcome, alice!" in term.screen()
        assert printed not in term.scrollback()  # typed without echo
        assert wrong not in term.scrollback()
        # The device keeps it: the next login asks for the password alone.
        term.run(command_in_pane(other, "login", "alice"))
        term.wait_for("Please enter your password:")
        term.type(STRONG_PASSWORD)
        term.keys("Enter")
        term.wait_for("EXIT=0")
        assert "Welcome, alice!" in term.screen()
        assert "Secret Key" not in term.screen()


# Loaded by the command's Python at start-up (sitecustomize, from PYTHONPATH): SIGKILL the
# command right after this device's copy is saved, or right after the key's transaction commits.
KILLER = """
import os, signal
from app.services import account_keys, accounts, secret_keys, transactions

def killed_after_keep(self, user, key):
    kit = keep(self, user, key)
    os.kill(os.getpid(), signal.SIGKILL)

def killed_after_commit(sessions, work, **options):
    done = run(sessions, work, **options)
    if work.__qualname__.endswith(("add_secret_key.<locals>.add", "register.<locals>.work")):
        os.kill(os.getpid(), signal.SIGKILL)
    return done

if os.environ["STRONGROOM_TEST_KILL"] == "kept":
    keep = secret_keys.DeviceSecretKeys.keep
    secret_keys.DeviceSecretKeys.keep = killed_after_keep
else:
    run = transactions.run_in_transaction
    accounts.run_in_transaction = account_keys.run_in_transaction = killed_after_commit
"""


@pytest.mark.parametrize("when", ["kept", "committed"])
@pytest.mark.parametrize("command", ["register", "secret-key"])
def test_killed_around_the_commit_the_account_opens_with_the_key_or_without(
    settings: Settings, tmp_path: Path, command: str, when: str
) -> None:
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(KILLER)
    kill = {"PYTHONPATH": str(hook), "STRONGROOM_TEST_KILL": when}
    if command == "register":
        killed = strongroom(
            settings, "register", "alice", "--secret-key", stdin=PASSWORD_LINES, env=kill
        )
    else:
        assert strongroom(settings, "register", "alice", stdin=PASSWORD_LINES).returncode == 0
        login = strongroom(settings, "login", "alice", "--remember", stdin=f"{STRONG_PASSWORD}\n")
        assert login.returncode == 0, login.stderr
        killed = strongroom(settings, "secret-key", stdin=f"{STRONG_PASSWORD}\n", env=kill)
    assert killed.returncode == -9, killed.stderr
    ids = [row[0] for row in rows(settings, "SELECT secret_key_id FROM users")]
    if command == "register" and when == "kept":
        assert ids == []  # nothing made: registering again works
        register_with_key(settings)
    else:
        assert [bool(key_id) for key_id in ids] == [when == "committed"]
    # Never neither: this device opens the account, with its key or without one.
    opened = strongroom(settings, "login", "alice", stdin=f"{STRONG_PASSWORD}\n")
    assert opened.returncode == 0, opened.stderr


@pytest.mark.parametrize("blocked", ["secret-keys", "kits"])
def test_a_key_that_cannot_be_saved_fails_first_and_clearly(
    sqlite_settings: Settings, blocked: str
) -> None:
    settings = sqlite_settings
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / blocked).write_text("in the way")
    refused = strongroom(settings, "register", "alice", "--secret-key", stdin=PASSWORD_LINES)
    assert refused.returncode != 0
    one_clean_line(refused.stderr)
    assert "could not be saved on this device" in refused.stderr
    assert "nothing was changed" in refused.stderr
    assert refused.stdout == ""
    assert rows(settings, "SELECT id FROM users") == []


def test_a_named_pipe_for_the_key_file_does_not_hang_the_login(sqlite_settings: Settings) -> None:
    settings = sqlite_settings
    register_with_key(settings)
    (path,) = (settings.data_dir / "secret-keys").iterdir()
    path.unlink()
    os.mkfifo(path, 0o600)
    refused = strongroom(settings, "login", "alice", stdin=f"{STRONG_PASSWORD}\n")
    assert refused.returncode != 0
    one_clean_line(refused.stderr)
    assert "is not a file" in refused.stderr
