"""Standard output that cannot be written, for every command the same way: a full disk (here
/dev/full) is one line on standard error and exit 2, never a traceback nor Python's complaint
as it exits; a reader that went away (`| head -1`) ends the command quietly, 141, as a shell
reports a program SIGPIPE ended. Run as a script runs the installed `strongroom`."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import IO

import pytest

from app.core.config import Settings
from app.core.items import ItemDraft
from tests.command_line import agent_socket, strongroom
from tests.helpers import STRONG_PASSWORD
from tests.pilot import seed
from tests.terminal import STRONGROOM

FULL = "strongroom: cannot write the output: No space left on device\n"


@pytest.fixture
def vault(settings: Settings) -> Settings:
    seed(settings, ItemDraft("Mail", "alice", "mail-secret"), ItemDraft("Bank", password="b"))
    strongroom(settings, "status")  # config.toml, as the command line's tests write it
    return settings


def run_to(
    settings: Settings, stdout: IO[bytes] | int | None, *args: str, agent: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed command with its standard output on ``stdout`` (None: closed)."""
    environment = {"STRONGROOM_DATABASE_URL": settings.database_url, "PATH": "/usr/bin:/bin"}
    if agent is not None:
        environment["XDG_RUNTIME_DIR"] = str(agent)
    folders = ["--config-dir", str(settings.config_dir), "--data-dir", str(settings.data_dir)]
    command = [str(STRONGROOM), *folders, *args]
    if stdout is None:  # closed, as `>&-` leaves it
        command = ["/bin/sh", "-c", 'exec "$@" >&-', "sh", *command]
    return subprocess.run(
        command,
        input=f"{STRONG_PASSWORD}\n",
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        timeout=120,
        start_new_session=True,
    )


COMMANDS = [
    ("get", "Mail"),
    ("get", "Mail", "--json"),
    ("ls",),
    ("generate",),
    ("completion", "bash"),
    ("export", "--format", "keepassxc-csv"),
    ("--help",),
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda args: " ".join(args))
def test_a_full_disk_is_one_line_and_exit_2(vault: Settings, args: tuple[str, ...]) -> None:
    with open("/dev/full", "wb") as full:
        done = run_to(vault, full, *args)
    assert (done.returncode, done.stderr) == (2, FULL)


@pytest.mark.parametrize("args", COMMANDS, ids=lambda args: " ".join(args))
def test_a_reader_gone_ends_the_command_quietly(vault: Settings, args: tuple[str, ...]) -> None:
    reading, writing = os.pipe()
    os.close(reading)  # the reader has gone before the first write: every write fails
    try:
        done = run_to(vault, writing, *args)
    finally:
        os.close(writing)
    assert (done.returncode, done.stderr) == (141, "")


def test_a_closed_standard_output_takes_nothing_else(vault: Settings) -> None:
    """`>&-`: what is printed goes nowhere, and the files the command opens (the log, the
    database) do not take the descriptor standard output had."""
    done = run_to(vault, None, "get", "Mail")
    assert (done.returncode, done.stderr) == (0, "")
    assert "mail-secret" not in vault.log_path.read_text(errors="replace")
    assert strongroom(vault, "get", "Mail").stdout == "mail-secret\n"


def test_a_read_the_agent_answers_fails_the_same_way(vault: Settings, agent_runtime: Path) -> None:
    assert strongroom(vault, "get", "Mail", agent=agent_runtime).returncode == 0
    agent_socket(agent_runtime)

    def answered_by_agent() -> int:
        lines = vault.security_log_path.read_text().splitlines()
        return sum(json.loads(line).get("detail", "").endswith("(agent)") for line in lines)

    try:
        before = answered_by_agent()
        with open("/dev/full", "wb") as full:
            done = run_to(vault, full, "get", "Mail", agent=agent_runtime)
        assert (done.returncode, done.stderr) == (2, FULL)
        assert answered_by_agent() == before + 1  # the agent answered it, not this process
        reading, writing = os.pipe()
        os.close(reading)
        try:
            gone = run_to(vault, writing, "get", "Mail", agent=agent_runtime)
        finally:
            os.close(writing)
        assert (gone.returncode, gone.stderr) == (141, "")
    finally:
        strongroom(vault, "lock", agent=agent_runtime)
