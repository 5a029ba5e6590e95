"""The Secret Key through the installed command: a copy of the database and the master password
do not open the vault on a new device, which says what it needs; the key typed at a terminal
does. The database holds nothing of the key, and taking its id off the row gains nothing."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from app.core import secret_key
from app.core.config import Settings
from tests.command_line import command_in_pane, strongroom
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
    assert "other devices ask for the key" in added.stderr
    # This device goes on as it was; another is asked for the key.
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
