"""`strongroom register` and `strongroom login`, as the installed command: through a pipe, as a
script runs them (SQLite and MariaDB), and at a terminal in tmux (80x24), as a person over a
plain SSH session meets them."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app.core.config import Settings
from app.core.items import ItemDraft
from app.services.backend import Backend
from tests.command_line import agent_gone, command_in_pane, one_clean_line, strongroom
from tests.helpers import STRONG_PASSWORD, rows
from tests.terminal import terminal

TAKEN = "is already taken"
WRONG = "Wrong username or password."


def register(settings: Settings, lines: str, *args: str) -> tuple[int, str, str]:
    done = strongroom(settings, "register", *args, stdin=lines)
    return done.returncode, done.stdout, done.stderr


def users(settings: Settings) -> list[tuple[str, str]]:
    """The users table as the database holds it: names, and the first bytes of the verifier."""
    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT username, verifier FROM users")).all()
    finally:
        engine.dispose()
    return [(row[0], str(row[1])[:7]) for row in rows]


def test_register_through_a_pipe_with_the_apps_rules(settings: Settings) -> None:
    code, out, err = register(settings, f"alice\n{STRONG_PASSWORD}\n{STRONG_PASSWORD}\n")
    assert code == 0, err
    assert out == ""  # nothing for a script to mistake for data
    assert "Account alice created." in err
    # The database holds a bcrypt verifier, never the password.
    stored = users(settings)
    assert [name for name, _ in stored] == ["alice"]
    assert stored[0][1].startswith("$2")
    # The same name again, in another case: taken, and nothing more is written.
    code, out, err = register(settings, f"ALICE\n{STRONG_PASSWORD}\n{STRONG_PASSWORD}\n")
    assert code == 2
    assert TAKEN in err
    one_clean_line(err)
    assert STRONG_PASSWORD not in err
    # The strength check and the confirmation, as the form's.
    code, _, err = register(settings, "bob\nshort\nshort\n")
    assert code == 2
    assert "at least 12 characters" in err
    one_clean_line(err)
    code, _, err = register(settings, f"bob\n{STRONG_PASSWORD}\n{STRONG_PASSWORD}!\n")
    assert code == 2
    assert "do not match" in err
    # Input that runs out is a usage error, never a half-made account.
    code, _, err = register(settings, "bob\n")
    assert code == 2
    one_clean_line(err)
    assert [name for name, _ in users(settings)] == ["alice"]
    # The username may be given as an argument (it is not a secret).
    code, _, err = register(settings, f"{STRONG_PASSWORD}\n{STRONG_PASSWORD}\n", "bob")
    assert code == 0, err
    assert sorted(name for name, _ in users(settings)) == ["alice", "bob"]


def test_login_through_a_pipe_remembered_or_not(settings: Settings) -> None:
    register(settings, f"alice\n{STRONG_PASSWORD}\n{STRONG_PASSWORD}\n")
    # A wrong password and an unknown name get the same one line, exit 6.
    wrong = strongroom(settings, "login", stdin="alice\nnot the password\n")
    nobody = strongroom(settings, "login", stdin=f"nobody\n{STRONG_PASSWORD}\n")
    assert (wrong.returncode, nobody.returncode) == (6, 6)
    assert wrong.stderr == nobody.stderr == f"strongroom: {WRONG}\n"
    assert "not the password" not in wrong.stderr
    # Logged in without --remember: welcomed, and nothing is kept on this device.
    done = strongroom(settings, "login", stdin=f"alice\n{STRONG_PASSWORD}\n")
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("Welcome, alice!\n")
    assert done.stdout == ""
    status = strongroom(settings, "status")
    assert status.returncode == 4
    assert "not logged in (last: alice)" in status.stdout
    # --remember keeps the session, as the app's checkbox does: later commands ask nothing.
    done = strongroom(settings, "login", "--remember", stdin=f"alice\n{STRONG_PASSWORD}\n")
    assert done.returncode == 0, done.stderr
    assert "Welcome, alice!" in done.stderr
    assert "user: alice, unlocked" in strongroom(settings, "status").stdout
    # Named after this host in the sessions list, so two machines' logins can be told apart.
    [(label,)] = rows(settings, "SELECT device_label FROM sessions")
    host = socket.gethostname()
    assert label == (host if len(host) <= 9 else host[:8] + "…") + " (command line)"
    added = strongroom(settings, "add", "Mail", "--no-input", stdin="mail-secret\nmail-secret\n")
    assert added.returncode == 0, added.stderr
    got = strongroom(settings, "get", "Mail", "--no-input")
    assert (got.returncode, got.stdout) == (0, "mail-secret\n")
    # Logging out ends it.
    assert strongroom(settings, "logout").returncode == 0
    assert strongroom(settings, "get", "Mail", "--no-input").returncode == 4


def agent_sockets(runtime: Path) -> list[Path]:
    """The agent sockets under ``runtime`` now (no waiting)."""
    folder = runtime / f"strongroom-{os.getuid()}"
    return sorted(folder.glob("agent-*.sock")) if folder.exists() else []


def test_a_remembered_login_leaves_the_agent_listening_for_the_first_read(
    settings: Settings, agent_runtime: Path
) -> None:
    """`login --remember` keeps the vault unlocked on this device, as a read that found it so
    does: the agent is listening when the login returns, and answers the very next `get`."""
    register(settings, f"alice\n{STRONG_PASSWORD}\n{STRONG_PASSWORD}\n")
    backend = Backend(settings, device_label="seed")
    try:
        seeding = backend.accounts().login("alice", STRONG_PASSWORD, remember=False)
        backend.vault().add(seeding, ItemDraft("Mail", "alice", "mail-secret"))
    finally:
        backend.close()
    runtime = agent_runtime
    # Not remembered: this device keeps nothing, so nothing is there for an agent to serve.
    login = strongroom(settings, "login", stdin=f"alice\n{STRONG_PASSWORD}\n", agent=runtime)
    assert login.returncode == 0, login.stderr
    assert agent_sockets(runtime) == []
    login = strongroom(
        settings, "login", "--remember", stdin=f"alice\n{STRONG_PASSWORD}\n", agent=runtime
    )
    assert login.returncode == 0, login.stderr
    try:
        assert len(agent_sockets(runtime)) == 1  # already listening, not on its way
        got = strongroom(settings, "get", "Mail", agent=runtime)
        assert (got.returncode, got.stdout, got.stderr) == (0, "mail-secret\n", "")
        reads = [
            entry
            for line in settings.security_log_path.read_text().splitlines()
            if (entry := json.loads(line)).get("event") == "item_read"
        ]
        assert [entry["detail"].endswith("(agent)") for entry in reads] == [True]
    finally:
        assert strongroom(settings, "logout", agent=runtime).returncode == 0
    assert agent_gone(runtime)


def test_login_is_throttled_as_the_apps_is(settings: Settings) -> None:
    register(settings, f"alice\n{STRONG_PASSWORD}\n{STRONG_PASSWORD}\n")
    for _ in range(5):
        assert strongroom(settings, "login", stdin="alice\nwrong guess\n").returncode == 6
    # The right password now waits too: a guesser learns nothing from the sixth try.
    throttled = strongroom(settings, "login", stdin=f"alice\n{STRONG_PASSWORD}\n")
    assert throttled.returncode == 6
    one_clean_line(throttled.stderr)
    assert "Welcome" not in throttled.stderr


def test_an_empty_answer_is_refused_before_the_throttle_counts_it(settings: Settings) -> None:
    register(settings, f"alice\n{STRONG_PASSWORD}\n{STRONG_PASSWORD}\n")
    for _ in range(6):
        empty = strongroom(settings, "login", stdin="alice\n\n")
        assert empty.returncode == 2
        assert empty.stderr == "strongroom: Please enter your password.\n"
    assert strongroom(settings, "login", stdin=f"alice\n{STRONG_PASSWORD}\n").returncode == 0


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_register_and_login_at_a_terminal(sqlite_settings: Settings, size: tuple[int, int]) -> None:
    settings = sqlite_settings
    with terminal(settings, *size) as term:
        term.run(command_in_pane(settings, "register"))
        term.wait_for("Please enter a username:")
        term.type("alice")
        term.keys("Enter")
        term.wait_for("Please enter a password:")
        term.type("short")
        term.keys("Enter")
        term.wait_for("Please confirm the password:")
        term.type("short")
        term.keys("Enter")
        # Too weak: said, and the password asked again (the name is kept).
        term.wait_until(lambda: term.screen().count("Please enter a password:") == 2, "asked again")
        assert "at least 12 characters" in term.screen()
        term.type(STRONG_PASSWORD)
        term.keys("Enter")
        # The second confirmation prompt, not the first one still on screen: a password prompt
        # discards what was typed before it was put up (as getpass and sudo do).
        term.wait_until(
            lambda: term.screen().count("Please confirm the password:") == 2, "confirm again"
        )
        term.type(STRONG_PASSWORD)
        term.keys("Enter")
        term.wait_for("EXIT=0")
        screen = term.screen()
        assert "Account alice created." in screen
        assert STRONG_PASSWORD not in term.scrollback()  # never echoed
        assert "short" not in screen.replace("too short", "")

        term.run(command_in_pane(settings, "login", "--remember"))
        term.wait_for("Please enter your username:")
        term.type("alice")
        term.keys("Enter")
        term.wait_for("Please enter your password:")
        term.type(STRONG_PASSWORD)
        term.keys("Enter")
        term.wait_for("EXIT=0")
        assert "Welcome, alice!" in term.screen()
        assert STRONG_PASSWORD not in term.scrollback()
    # Remembered: the next command finds the vault unlocked.
    assert "user: alice, unlocked" in strongroom(settings, "status").stdout


def test_a_runaway_line_is_refused_unread(sqlite_settings: Settings) -> None:
    """A pipe that never sends a newline is cut off at 64 KiB, with one line, and no account."""
    flood = "a" * (200 * 1024) + "\n"
    done = strongroom(sqlite_settings, "register", stdin=flood * 3)
    assert done.returncode == 2
    one_clean_line(done.stderr)
    assert "over 65536 characters" in done.stderr
    assert "aaaa" not in done.stderr
