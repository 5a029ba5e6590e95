"""The command line, attacked where an attacker meets it: a folder another Unix user planted
code in, and a person's terminal at a password prompt (Ctrl+D, bytes that are not text, a
signal). Each was a way to run someone else's code or to print a traceback."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from app.core.config import Settings
from tests.command_line import agent_gone, agent_socket, command_in_pane, strongroom
from tests.helpers import STRONG_PASSWORD
from tests.terminal import Terminal, terminal

PLANTED = """import os
open(os.path.join({folder!r}, "PWNED"), "w").write("ran as %d" % os.getuid())
"""


def remembered_vault(settings: Settings) -> None:
    lines = f"alice\n{STRONG_PASSWORD}\n{STRONG_PASSWORD}\n"
    assert strongroom(settings, "register", stdin=lines).returncode == 0
    assert strongroom(settings, "login", "--remember", stdin=lines).returncode == 0
    assert strongroom(settings, "add", "Mail", stdin="mail-secret\n").returncode == 0


def test_code_planted_in_the_working_folder_never_runs(
    sqlite_settings: Settings, agent_runtime: Path, other_user: str
) -> None:
    """Another user plants ``app/`` and ``app.py`` in a shared folder; reading the vault from
    there starts the real agent, and the planted code never runs as us."""
    settings = sqlite_settings
    remembered_vault(settings)
    shared = Path(tempfile.mkdtemp(prefix="strongroom-shared-"))
    try:
        shared.chmod(0o1777)
        plant = PLANTED.format(folder=str(shared))
        script = (
            "mkdir app && : > app/__init__.py && cat > app/__main__.py && cp app/__main__.py "
            "app.py && chmod -R a+rX app app.py"
        )
        subprocess.run(
            ["runuser", "-u", other_user, "--", "sh", "-c", script],
            cwd=shared,
            input=plant,
            text=True,
            check=True,
        )
        assert (shared / "app" / "__main__.py").stat().st_uid != os.getuid()
        runtime = agent_runtime
        listed = strongroom(settings, "ls", agent=runtime, cwd=shared)
        assert listed.returncode == 0, listed.stderr
        agent_socket(runtime, timeout=30)  # the real agent, listening
        answered = strongroom(settings, "get", "Mail", agent=runtime, cwd=shared)
        assert (answered.returncode, answered.stdout) == (0, "mail-secret\n")
        events = [json.loads(line) for line in settings.security_log_path.read_text().splitlines()]
        assert any(e.get("detail", "").endswith("(agent)") for e in events)
        assert not (shared / "PWNED").exists()
        # Locked: the agent hands the next read back and leaves.
        assert strongroom(settings, "lock", agent=runtime, cwd=shared).returncode == 0
        strongroom(settings, "get", "Mail", "--no-input", agent=runtime, cwd=shared)
        assert agent_gone(runtime, timeout=30), "the agent never left"
        assert not (shared / "PWNED").exists()
    finally:
        shutil.rmtree(shared, ignore_errors=True)


def _prompted(term: Terminal, settings: Settings, prompt: str, *args: str, after: str) -> None:
    term.run(command_in_pane(settings, *args, after=after))
    term.wait_for(prompt)


def test_ctrl_d_at_a_password_prompt_is_one_line(sqlite_settings: Settings) -> None:
    settings = sqlite_settings
    remembered_vault(settings)
    assert strongroom(settings, "lock").returncode == 0
    cases = [
        (("register", "bob"), "Please enter a password:", "EXIT=2"),
        (("login", "alice"), "Please enter your password:", "EXIT=2"),
        (("get", "Mail"), "Master password for alice:", "EXIT=4"),
    ]
    with terminal(settings, 80, 24) as term:
        for args, prompt, code in cases:
            _prompted(term, settings, prompt, *args, after="echo EXIT=$?")
            term.keys("C-d")
            term.wait_for("EXIT=")
            screen = term.screen()
            assert code in screen, screen
            assert "Traceback" not in term.scrollback()
            assert "Error" not in screen


def test_bytes_that_are_not_text_are_refused_unshown(sqlite_settings: Settings) -> None:
    settings = sqlite_settings
    remembered_vault(settings)
    with terminal(settings, 80, 24) as term:
        _prompted(
            term, settings, "Please enter your password:", "login", "alice", after="echo EXIT=$?"
        )
        term.keys("-H", "51", "ff", "5a", "0d")  # "Q", a byte that is no UTF-8, "Z", Enter
        term.wait_for("EXIT=")
        screen = term.screen()
        assert "EXIT=2" in screen, screen
        assert "not text" in screen
        assert "Traceback" not in term.scrollback()
        assert "0xff" not in screen
        assert "position" not in screen


def test_a_signal_at_a_password_prompt_gives_the_terminal_its_echo_back(
    sqlite_settings: Settings,
) -> None:
    """A script's `strongroom login` killed at the prompt must not leave the terminal silent
    (an interactive shell repairs that itself; a script's next `read` would not)."""
    settings = sqlite_settings
    remembered_vault(settings)
    with terminal(settings, 80, 24) as term:
        after = "echo EXIT=$?; stty -a | tr ' ' '\\n' | grep -x -- '-\\?echo'"
        _prompted(term, settings, "Please enter your password:", "login", "alice", after=after)
        term.signal(signal.SIGTERM)
        term.wait_for("EXIT=")
        term.wait_until(lambda: "echo" in term.screen().split("EXIT=")[1], "stty's answer")
        shown = term.screen().split("EXIT=")[1].split()
        assert shown[0] == "143"  # ended as SIGTERM ends a command
        assert "echo" in shown
        assert "-echo" not in shown
        assert "Traceback" not in term.scrollback()


def test_textuals_debug_log_never_holds_a_typed_password(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    """Textual's debug log (``TEXTUAL_LOG``) records every message the app handles, the values
    of password fields included. Set, as a person debugging a terminal problem would, it is
    switched off with a word on standard error; registered, logged in and unlocked in the
    real app, nothing is written."""
    settings = sqlite_settings
    log = tmp_path / "textual.log"
    with terminal(settings, 120, 40) as term:
        term.tmux(
            "new-session", "-d", "-s", "t", "-x", "120", "-y", "40",
            f"TEXTUAL_LOG={log} " + command_in_pane(settings),
        )  # fmt: skip
        term.wait_for("Please enter a username:")
        term.type("alice")
        term.keys("Tab")
        term.type(STRONG_PASSWORD)
        term.keys("Tab")
        term.type(STRONG_PASSWORD)
        term.keys("Enter")
        term.wait_for("Please enter your password:")
        term.type(STRONG_PASSWORD)
        term.keys("Enter")
        term.wait_for("Welcome, alice!")
        term.keys("C-l")  # lock, then unlock with the password
        term.wait_for("locked")
        term.type(STRONG_PASSWORD)
        term.keys("Enter")
        term.wait_for("Welcome, alice!")
        term.keys("C-q")
        term.wait_for("EXIT=")
        assert "debug log and devtools are off" in term.scrollback()
    assert not log.exists()


@pytest.mark.parametrize("search", [":/usr/bin:/bin", ".:/usr/bin:/bin", "SHARED:/usr/bin:/bin"])
def test_a_gpg_planted_where_path_reaches_never_runs(
    sqlite_settings: Settings, other_user: str, search: str
) -> None:
    """Another user plants an executable ``gpg`` in a shared folder; importing a pass store from
    there, with an empty or relative PATH entry (or the shared folder itself on PATH), runs the
    system's gpg, never the planted one."""
    settings = sqlite_settings
    remembered_vault(settings)
    shared = Path(tempfile.mkdtemp(prefix="strongroom-shared-"))
    try:
        shared.chmod(0o1777)
        plant = "#!/bin/sh\n" + f"echo ran > {shared}/PWNED\n"
        subprocess.run(
            ["runuser", "-u", other_user, "--", "sh", "-c", "cat > gpg && chmod 755 gpg"],
            cwd=shared,
            input=plant,
            text=True,
            check=True,
        )
        store = settings.data_dir.parent / "store"
        store.mkdir(mode=0o700)
        (store / ".gpg-id").write_text("t@example.com\n")
        (store / "mail.gpg").write_bytes(b"not an OpenPGP message")
        path = search.replace("SHARED", str(shared))
        done = strongroom(
            settings, "import", str(store), "--format", "pass", cwd=shared, env={"PATH": path}
        )
        assert done.returncode != 0
        assert "Traceback" not in done.stderr
        assert not (shared / "PWNED").exists(), "the planted gpg ran"
    finally:
        shutil.rmtree(shared, ignore_errors=True)
