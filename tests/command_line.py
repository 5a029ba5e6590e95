"""The installed `strongroom` command, run as a person's script runs it: a subprocess with the
test's folders and database, its exit code, standard output and standard error."""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from pathlib import Path

import pytest

from app.core.config import Settings
from tests.terminal import STRONGROOM, write_config

ESC = "\x1b"


def strongroom(
    settings: Settings,
    *args: str,
    stdin: str | None = None,
    config_head: str = "",
    agent: Path | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    security: dict[str, int] | None = None,
) -> subprocess.CompletedProcess[str]:
    """The installed command, with the test's folders and database and nothing on argv that
    is secret; ``stdin`` is piped (not a terminal), as a script would. ``config_head``: more
    top-level lines for config.toml. The agent is off unless ``agent`` names the runtime
    folder its socket goes in. ``security``: settings of config.toml's [security] table."""
    if not STRONGROOM.exists():
        pytest.fail(f"the installed command {STRONGROOM} is missing (pip install -e .)")
    config = settings.config_dir / "config.toml"
    before = (config.read_text(), config.stat()) if config.exists() else None
    write_config(settings, **(security or {}))
    wanted = config_head + ("" if agent else "command_line_agent = false\n") + config.read_text()
    config.write_text(wanted)
    if before is not None and before[0] == wanted:
        # Unchanged, to its time too: the agent's profile holds the file's size and time.
        os.utime(config, ns=(before[1].st_atime_ns, before[1].st_mtime_ns))
    command = [
        str(STRONGROOM),
        "--config-dir",
        str(settings.config_dir),
        "--data-dir",
        str(settings.data_dir),
        *args,
    ]
    environment = {"STRONGROOM_DATABASE_URL": settings.database_url, "PATH": "/usr/bin:/bin"}
    environment |= env or {}
    if agent is not None:
        environment["XDG_RUNTIME_DIR"] = str(agent)
    # A session of its own: no controlling terminal, as under cron or CI, whoever runs this.
    return subprocess.run(
        command,
        input=stdin or "",
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        start_new_session=True,
        cwd=cwd,
    )


def one_clean_line(stderr: str) -> None:
    """An error is one line of text: no traceback, no escape sequence."""
    assert "Traceback" not in stderr
    assert ESC not in stderr
    assert len(stderr.strip().splitlines()) == 1, stderr


def command_in_pane(settings: Settings, *args: str, after: str = "echo EXIT=$?") -> str:
    """The shell line that runs the installed ``strongroom ARGS`` in a tmux pane with the test's
    folders and database, then ``after`` (by default: say its exit code), then waits."""
    write_config(settings)
    command = shlex.join(
        [
            str(STRONGROOM),
            "--config-dir",
            str(settings.config_dir),
            "--data-dir",
            str(settings.data_dir),
            *args,
        ]
    )
    url = shlex.quote(settings.database_url)
    return f"STRONGROOM_DATABASE_URL={url} {command}; {after}; sleep 60"


def agent_socket(runtime: Path, timeout: float = 20) -> Path:
    """The one agent socket under ``runtime`` (waiting for the agent to start)."""
    folder = runtime / f"strongroom-{os.getuid()}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sockets = list(folder.glob("agent-*.sock")) if folder.exists() else []
        if sockets:
            return sockets[0]
        time.sleep(0.05)
    raise AssertionError("no agent started")


def agent_gone(runtime: Path, timeout: float = 20) -> bool:
    """Whether every agent socket under ``runtime`` is gone (waiting up to ``timeout``)."""
    folder = runtime / f"strongroom-{os.getuid()}"
    deadline = time.monotonic() + timeout
    while folder.exists() and list(folder.glob("agent-*.sock")):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
