"""The app opens a remembered vault and the command line's agent is already warm for the first
`strongroom get`; a lock or a logout in the app ends that agent at once, not at its next look
at the database."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from app.cli import quick
from app.core.config import Settings
from app.core.items import ItemDraft
from tests.command_line import agent_gone, agent_socket, strongroom
from tests.pilot import seed
from tests.terminal import terminal, write_config


def answered_by_the_agent(settings: Settings) -> int:
    """How many reads the security log says the agent answered."""
    if not settings.security_log_path.exists():
        return 0
    events = [json.loads(line) for line in settings.security_log_path.read_text().splitlines()]
    return sum(1 for event in events if str(event.get("detail", "")).endswith("(agent)"))


@pytest.mark.parametrize("ending", ["C-l", "logout"])
def test_the_app_warms_the_agent_and_its_lock_or_logout_ends_it(
    sqlite_settings: Settings, agent_runtime: Path, ending: str
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Mail", "alice", "mail-secret"))
    write_config(settings)
    generation = Path(settings.data_dir) / quick.GENERATION_FILE
    with terminal(settings, 80, 24) as term:
        term.launch(agent=True)
        term.wait_for("Mail")
        agent_socket(agent_runtime, timeout=30)  # started by the app, no command run yet
        got = strongroom(settings, "get", "Mail", agent=agent_runtime)
        assert (got.returncode, got.stdout) == (0, "mail-secret\n"), got.stderr
        assert answered_by_the_agent(settings) == 1  # the first get: warm

        before = generation.read_bytes() if generation.exists() else b""
        if ending == "C-l":
            term.keys("C-l")
            term.wait_for("Vault locked for alice")
        else:
            term.keys("C-p")
            term.wait_for("Search for commands")
            term.type("Log out")
            term.keys("Enter")
            term.wait_for("Please enter your username:")
        # Told to stop, and the lock generation moved on (an agent it could not reach leaves
        # when it next looks), as `strongroom lock` does.
        assert agent_gone(agent_runtime, timeout=30), "the agent outlived the app's lock"
        assert generation.read_bytes() != before
        locked = strongroom(settings, "get", "Mail", "--no-input", agent=agent_runtime)
        assert locked.returncode != 0
        assert "mail-secret" not in locked.stdout
        assert answered_by_the_agent(settings) == 1


def test_with_the_agent_off_in_config_the_app_starts_none(
    sqlite_settings: Settings, agent_runtime: Path
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Mail", "alice", "mail-secret"))
    write_config(settings)
    with terminal(settings, 80, 24) as term:
        term.launch()  # config.toml: command_line_agent = false
        term.wait_for("Mail")
        term.keys("C-l")  # the lock's stop finds nothing to stop, and says nothing
        term.wait_for("Vault locked for alice")
        assert not list(agent_runtime.glob("strongroom-*/agent-*.sock"))


@pytest.mark.parametrize("database_url", ["mariadb"], indirect=True)
def test_a_lock_held_up_by_the_database_stops_the_agent_first(
    settings: Settings, agent_runtime: Path
) -> None:
    """Another transaction holds this device's session row, so the app's lock cannot be
    written yet: the agent, which holds the key, is stopped before that write, so a `get`
    meanwhile is never answered from its memory. (The command then reads the database itself,
    which says unlocked until the lock is written; one that starts an agent meanwhile sees it
    stopped again once the lock is written.)"""
    from sqlalchemy import text

    from app.services.database import open_database

    seed(settings, ItemDraft("Mail", "alice", "mail-secret"))
    write_config(settings)
    database = open_database(settings.database_url)
    try:
        with terminal(settings, 80, 24) as term:
            term.launch(agent=True)
            term.wait_for("Mail")
            agent_socket(agent_runtime, timeout=30)
            with database.engine.connect() as holder:
                holder.execute(text("SELECT id FROM sessions FOR UPDATE"))
                term.keys("C-l")
                term.wait_for("Vault locked for alice")
                assert agent_gone(agent_runtime, timeout=30), "the agent waited for the database"
                asking = threading.Thread(
                    target=strongroom,
                    args=(settings, "get", "Mail", "--no-input"),
                    kwargs={"agent": agent_runtime},
                )
                asking.start()
                asking.join(timeout=3)  # before: answered here, at once, by the agent
                assert answered_by_the_agent(settings) == 0
                holder.rollback()
            asking.join(timeout=120)
            assert agent_gone(agent_runtime, timeout=30)
            locked = strongroom(settings, "get", "Mail", "--no-input", agent=agent_runtime)
            assert locked.returncode != 0
            assert "mail-secret" not in locked.stdout
            assert answered_by_the_agent(settings) == 0
    finally:
        database.dispose()
