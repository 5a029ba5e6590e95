"""`strongroom log`, through the installed command: this device's security log newest first,
every line within 80 columns, warnings marked apart, a hostile username drawn harmlessly, a
line that is not the log's shown as unreadable, and a log that is a link refused in one line."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta

from app.core.config import Settings
from app.services.audit import SecurityLog
from tests.command_line import ESC, command_in_pane, one_clean_line, strongroom
from tests.pilot import seed
from tests.terminal import BEFORE, terminal

HOSTILE = "ev\x1b]52;c;aGFja2Vk\x07il\u202egnp.exe\x9b2J"
ROLLBACK = "The database is older than what this device saw on 2026-03-01 (counter 41, now 37)."


def hostile_log(settings: Settings) -> None:
    """A real vault's log, then what an attacker can get written or write: a login failure
    under a username full of escapes, a rollback warning, and a line that is not JSON."""
    seed(settings)
    assert strongroom(settings, "add", "Mail", stdin="mail-secret\n").returncode == 0
    assert strongroom(settings, "get", "Mail").returncode == 0
    later = datetime.now(UTC) + timedelta(seconds=5)
    SecurityLog(settings.security_log_path, lambda: later).record("login_failed", HOSTILE)
    warning = {
        "time": (later + timedelta(seconds=1)).isoformat(),
        "event": "rollback_detected",
        "username": "alice",
        "detail": ROLLBACK,
    }
    with settings.security_log_path.open("a") as log:
        log.write(json.dumps(warning) + "\n")
        log.write("\x1b]52;c;aGFja2Vk\x07 not the log's\n")


def test_the_log_newest_first_within_80_columns(sqlite_settings: Settings) -> None:
    settings = sqlite_settings
    hostile_log(settings)
    done = strongroom(settings, "log", "-n", "50")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert ESC not in done.stdout
    assert "\x07" not in done.stdout
    assert "\x9b" not in done.stdout
    assert "\u202e" not in done.stdout
    lines = done.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), lines
    assert lines[0] == "?  unreadable line"
    assert lines[1].startswith("!! ")
    assert "ROLLBACK DETECTED" in lines[1]
    assert lines[2].strip() + " " + lines[3].strip() == ROLLBACK  # the whole warning, wrapped
    assert lines[4].startswith("!  ")
    assert "login failed" in lines[4]
    assert "ev�]52;c;aG" in lines[4]
    order = ["item read", "item added", "logged in", "account created"]
    found = [next(n for n, line in enumerate(lines) if label in line) for label in order]
    assert found == sorted(found)
    assert found[0] > 4  # under the newer warnings


def test_limit_and_json(sqlite_settings: Settings) -> None:
    settings = sqlite_settings
    hostile_log(settings)
    two = strongroom(settings, "log", "--limit", "2")
    assert two.returncode == 0, two.stderr
    assert two.stdout.splitlines()[-1].startswith("(older entries not shown")
    as_json = strongroom(settings, "log", "--json", "-n", "3")
    assert as_json.returncode == 0, as_json.stderr
    entries = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert [entry["event"] for entry in entries] == [None, "rollback_detected", "login_failed"]
    assert [entry["severity"] for entry in entries] == ["unreadable", "warning", "notice"]
    assert entries[1]["detail"] == ROLLBACK
    assert ESC not in as_json.stdout
    assert "\x1b" not in entries[2]["username"]
    for bad in ("0", "5001", "-3"):
        refused = strongroom(settings, "log", "--limit", bad)
        assert refused.returncode == 2
        one_clean_line(refused.stderr)


def test_no_log_and_a_log_that_is_a_link(sqlite_settings: Settings) -> None:
    settings = sqlite_settings
    empty = strongroom(settings, "log")
    assert empty.returncode == 0, empty.stderr
    assert "nothing has been recorded" in empty.stdout
    elsewhere = settings.data_dir / "elsewhere"
    elsewhere.write_text('{"time": "2026-03-01T09:00:00+00:00", "event": "logout"}\n')
    settings.security_log_path.symlink_to(elsewhere)
    linked = strongroom(settings, "log")  # refused before the command runs, as every one is
    assert linked.returncode == 2
    one_clean_line(linked.stderr)
    assert "symbolic link" in linked.stderr
    assert linked.stdout == ""


def test_in_a_terminal_warnings_are_red_and_escapes_do_nothing(sqlite_settings: Settings) -> None:
    settings = sqlite_settings
    hostile_log(settings)
    with terminal(settings, 80, 24) as term:
        term.run(command_in_pane(settings, "log"))
        term.wait_for("EXIT=0")
        screen = term.screen()
        assert "ROLLBACK DETECTED" in screen
        assert "ev�]52;c;aG" in screen
        assert all(len(line) <= 80 for line in screen.splitlines())
        coloured = term.tmux("capture-pane", "-e", "-p", "-t", "t").splitlines()
        warning = next(line for line in coloured if "ROLLBACK DETECTED" in line)
        assert "31m" in warning.split("!!")[0]  # red, from the mark on
        plain = next(line for line in coloured if "item read" in line)
        assert "31m" not in plain
        assert term.clipboard() == BEFORE  # no OSC 52 reached the terminal
        title = subprocess.run(
            ["tmux", "-L", term.socket, "display-message", "-p", "-t", "t", "#{pane_title}"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        assert "hacked" not in title
