"""`strongroom get --clip`: the field on the clipboard (here, the terminal's: OSC 52 into tmux)
and nothing secret on the screen, cleared after clipboard_clear_seconds by a process that keeps
no one waiting; a copy tool planted in the working folder is never run, and no clipboard at all
is one line and exit 2."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from app.core.config import Settings
from app.core.items import ItemDraft
from tests.command_line import command_in_pane, one_clean_line, strongroom
from tests.pilot import seed
from tests.terminal import Terminal, terminal, write_config


def in_pane(term: Terminal, line: str) -> None:
    """Run ``line`` in a pane of ``term`` whose tmux takes OSC 52 into its buffer, without a
    desktop's clipboard (so the terminal's is the one there is)."""
    term.tmux(
        "new-session", "-d", "-s", "t", "-x", "120", "-y", "30",
        f"unset DISPLAY WAYLAND_DISPLAY; read go; {line}",
    )  # fmt: skip
    term.tmux("set-option", "-g", "set-clipboard", "on")
    term.tmux("set-buffer", "before")
    term.keys("Enter")


def test_get_clip_copies_to_the_terminal_and_clears_it(sqlite_settings: Settings) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("GitHub", "alice", "gh-secret"))
    with terminal(settings) as term:
        line = command_in_pane(settings, "get", "GitHub", "--clip")
        write_config(settings, clipboard_clear_seconds=5)
        (settings.config_dir / "config.toml").write_text(
            "command_line_agent = false\n" + (settings.config_dir / "config.toml").read_text()
        )
        copied_at = time.monotonic()
        in_pane(term, line)
        term.wait_for("EXIT=0")  # at once: the clearer does not hold the command up
        assert term.clipboard() == "gh-secret"
        # In tmux: one named buffer, not one more of tmux's own (which no clearing removes).
        assert holding(term, "gh-secret") == ["strongroom"]
        screen = term.screen()
        assert "Copied the password of 'GitHub' to the terminal's clipboard" in screen
        assert "cleared in 5 s" in screen
        assert "gh-secret" not in term.scrollback()
        term.wait_until(lambda: not holding(term, "gh-secret"), "every buffer cleared", timeout=20)
        assert time.monotonic() - copied_at >= 4.5
        assert term.clipboard() == "before"  # the buffer went: what was there before is back
    log = settings.security_log_path.read_text()
    assert "password, copied to the clipboard" in log


def buffers(term: Terminal) -> dict[str, str]:
    """Every paste buffer tmux holds, by name (``tmux list-buffers``), with its content."""
    names = term.tmux("list-buffers", "-F", "#{buffer_name}", check=False).split()
    return {name: term.tmux("show-buffer", "-b", name, check=False) for name in names}


def holding(term: Terminal, secret: str) -> list[str]:
    """The names of the tmux buffers that hold ``secret``."""
    return [name for name, content in buffers(term).items() if secret in content]


def test_the_agent_leaves_a_copy_to_the_command(
    sqlite_settings: Settings, agent_runtime: Path
) -> None:
    """With an agent answering reads, `get --clip` still copies in the command's own process,
    on its own terminal (the agent has none)."""
    settings = sqlite_settings
    seed(settings, ItemDraft("GitHub", "alice", "gh-secret"))
    runtime = agent_runtime
    try:
        with terminal(settings) as term:
            first = command_in_pane(settings, "get", "GitHub", after="echo FIRST=$?; read go")
            second = command_in_pane(settings, "get", "GitHub", "-nc")
            in_pane(
                term,
                f"export XDG_RUNTIME_DIR={runtime}; {first.removesuffix('; sleep 60')}; {second}",
            )
            term.wait_for("FIRST=0")
            sockets = runtime / f"strongroom-{os.getuid()}"
            term.wait_until(lambda: any(sockets.glob("agent-*.sock")), "the agent listening")
            term.keys("Enter")
            term.wait_for("EXIT=0")
            assert term.clipboard() == "gh-secret"
            assert term.scrollback().count("gh-secret") == 1  # printed by the first get alone
            assert "Copied the password" in term.screen()
        log = settings.security_log_path.read_text().splitlines()
        assert "(agent)" not in next(line for line in log if "copied" in line)
    finally:
        stop_agents(settings)


def stop_agents(settings: Settings) -> None:
    """End the agents started for this test's folders (the copy's command may start one as
    it exits): until none has been seen for a second."""
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < 1:
        for pid in agents(settings):
            os.kill(pid, signal.SIGTERM)
            quiet_since = time.monotonic()
        time.sleep(0.1)


def agents(settings: Settings) -> list[int]:
    """The agents started for this test's folders, by process id."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                words = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"agent" in words and str(settings.config_dir.resolve()).encode() in words:
                found.append(int(entry.name))
    return found


def test_a_copy_tool_in_the_working_folder_is_never_run(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("GitHub", "alice", "gh-secret"))
    planted = tmp_path / "planted"
    planted.mkdir()
    marker = tmp_path / "ran"
    for name in ("wl-copy", "wl-paste", "xclip", "xsel"):
        tool = planted / name
        tool.write_text(f"#!/bin/sh\ncat > {marker}\n")
        tool.chmod(0o755)
    env = {"PATH": f".:{planted}:/usr/bin:/bin", "DISPLAY": ":99", "WAYLAND_DISPLAY": "nowhere"}
    done = strongroom(settings, "get", "GitHub", "--clip", env=env, cwd=planted)
    assert not marker.exists()
    assert done.returncode == 2  # the system's wl-copy found no Wayland to copy to
    one_clean_line(done.stderr)
    assert "gh-secret" not in done.stdout + done.stderr

    nowhere = strongroom(settings, "get", "GitHub", "--clip")  # no terminal, no desktop
    assert nowhere.returncode == 2
    one_clean_line(nowhere.stderr)
    assert "No clipboard" in nowhere.stderr
    assert nowhere.stdout == ""
