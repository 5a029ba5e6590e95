"""A master password typed for one command serves the next ones: the agent holds the key it
opened while this device's session stays as it was (still locked, or still logged out), so one
git push (the helper's get, then its store) and a clone after it ask once, on the terminal.
The database's session stays locked for the app, another account's login ends the agent, and so
do `strongroom lock` and `logout`."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import socket
import struct
import subprocess
from pathlib import Path

from app.core.config import Settings
from app.core.items import ItemDraft
from app.services.backend import Backend
from tests.cli.test_commands import GitServer, git_helper
from tests.command_line import agent_gone, agent_socket, one_clean_line, strongroom
from tests.helpers import STRONG_PASSWORD, need
from tests.pilot import seed
from tests.terminal import STRONGROOM, terminal

PROMPT = "Master password for alice:"


def test_a_push_and_a_clone_on_a_locked_vault_ask_for_the_master_password_once(
    settings: Settings, tmp_path: Path, agent_runtime: Path
) -> None:
    need("git")
    server = GitServer(tmp_path / "served", "alice", "git-secret")
    try:
        seed(settings, ItemDraft("Local git", "alice", "git-secret", (server.url,)))
        assert strongroom(settings, "lock", agent=agent_runtime).returncode == 0
        work = tmp_path / "work"
        subprocess.run(["git", "init", "-q", "-b", "main", str(work)], check=True)
        (work / "README").write_text("hello\n")
        committer = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
        committer |= {"GIT_AUTHOR_NAME": "Alice", "GIT_AUTHOR_EMAIL": "alice@example.org"}
        committer |= {"GIT_COMMITTER_NAME": "Alice", "GIT_COMMITTER_EMAIL": "alice@example.org"}
        subprocess.run(["git", "-C", str(work), "add", "README"], check=True, env=committer)
        subprocess.run(
            ["git", "-C", str(work), "commit", "-qm", "first"], check=True, env=committer
        )
        helper = shlex.quote(f"credential.helper={git_helper(settings)}")
        exports = " ".join(
            f"{name}={shlex.quote(value)}"
            for name, value in {
                "PATH": "/usr/bin:/bin",
                "HOME": str(tmp_path),
                "XDG_RUNTIME_DIR": str(agent_runtime),
                "STRONGROOM_DATABASE_URL": settings.database_url,
                "GIT_TERMINAL_PROMPT": "0",
            }.items()
        )
        url = shlex.quote(server.url)
        line = (
            f"export {exports}; cd {shlex.quote(str(work))}; "
            f"git -c {helper} push -q {url} main; echo PUSHED=$?; "
            f"git -c {helper} clone -q {url} ../clone; echo CLONED=$?; sleep 60"
        )
        with terminal(settings) as term:
            term.run(line)
            term.wait_for(PROMPT)
            term.type(STRONG_PASSWORD)
            term.keys("Enter")
            term.wait_for("CLONED=", timeout=60)  # a second prompt would wait here, unanswered
            shown = term.scrollback()
        assert shown.count(PROMPT) == 1, shown
        assert "PUSHED=0" in shown
        assert "CLONED=0" in shown
        assert (tmp_path / "clone" / "README").read_text() == "hello\n"
        assert "git-secret" not in shown

        # The app still finds this device's session locked; the agent answers, and lock ends it.
        status = strongroom(settings, "status", "--no-input", agent=agent_runtime)
        assert "user: alice, locked" in status.stdout
        held = strongroom(settings, "get", "Local git", "--no-input", agent=agent_runtime)
        assert (held.returncode, held.stdout) == (0, "git-secret\n")
        assert strongroom(settings, "lock", agent=agent_runtime).returncode == 0
        assert agent_gone(agent_runtime)
        again = strongroom(settings, "get", "Local git", "--no-input", agent=agent_runtime)
        assert (again.returncode, again.stdout) == (4, "")
    finally:
        server.close()


def test_the_held_key_never_serves_another_account(settings: Settings, agent_runtime: Path) -> None:
    """Logged out, alice's password opens the vault for one command, and the agent holds it;
    once bob logs in on this device (not remembered), it is not alice's device any more: the
    agent exits, and bob's commands ask for bob's password."""
    backend = Backend(settings, device_label="seed")
    backend.accounts().register("bob", STRONG_PASSWORD, STRONG_PASSWORD)
    backend.close()
    seed(settings, ItemDraft("GitHub", "alice", "gh-secret"))  # alice is the last to log in
    assert strongroom(settings, "logout", agent=agent_runtime).returncode == 0
    first = strongroom(settings, "get", "GitHub", stdin=f"{STRONG_PASSWORD}\n", agent=agent_runtime)
    assert (first.returncode, first.stdout) == (0, "gh-secret\n")
    # The command waited for the agent it started to listen: the next one finds it.
    held = strongroom(settings, "get", "GitHub", "--no-input", agent=agent_runtime)
    assert held.returncode == 0, held.stderr
    assert held.stdout == "gh-secret\n"  # no password asked: the agent's key

    bob = strongroom(settings, "login", "bob", stdin=f"{STRONG_PASSWORD}\n", agent=agent_runtime)
    assert bob.returncode == 0, bob.stderr
    refused = strongroom(settings, "get", "GitHub", "--no-input", agent=agent_runtime)
    assert (refused.returncode, refused.stdout) == (4, "")
    assert "bob" in refused.stderr
    assert agent_gone(agent_runtime)


def test_a_new_master_password_ends_the_agent_holding_a_key_the_old_one_opened(
    settings: Settings, agent_runtime: Path
) -> None:
    """The vault locked, a command opens it with the master password and the agent holds that
    key; this device's session stays locked, so only the account's re-wrapped key says the
    password changed elsewhere: the agent exits (with no command after) and its memory, which
    held the item's password and the key, is gone."""
    from tests.cli.test_agent_drops_key import (
        CANARY,
        NEW_PASSWORD,
        agent_pid,
        found_in_memory,
        gone,
    )
    from tests.cli.test_agent_drops_key import seed as seed_canary

    key = seed_canary(settings)
    assert strongroom(settings, "lock", agent=agent_runtime).returncode == 0
    opened = strongroom(
        settings, "get", "Canary", stdin=f"{STRONG_PASSWORD}\n", agent=agent_runtime
    )
    assert (opened.returncode, opened.stdout) == (0, CANARY + "\n"), opened.stderr
    held = strongroom(settings, "get", "Canary", "--no-input", agent=agent_runtime)
    assert (held.returncode, held.stdout) == (0, CANARY + "\n"), held.stderr
    pid = agent_pid(agent_runtime)
    assert found_in_memory(pid, [CANARY.encode(), key]) == {CANARY.encode(), key}

    elsewhere = Backend(settings, device_label="laptop")
    accounts = elsewhere.accounts()
    active = accounts.login("alice", STRONG_PASSWORD, remember=False)
    accounts.change_password(active, STRONG_PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
    elsewhere.close()
    assert gone(pid)
    assert found_in_memory(pid, [CANARY.encode(), key]) == set()
    refused = strongroom(settings, "get", "Canary", "--no-input", agent=agent_runtime)
    assert (refused.returncode, refused.stdout) == (4, "")


def agent_pid(sock: Path) -> int:
    """The pid of the agent listening on ``sock`` (SO_PEERCRED of a connection to it, which
    it answers with nothing)."""
    with socket.socket(socket.AF_UNIX) as probe:
        probe.connect(str(sock))
        pid, _, _ = struct.unpack("3i", probe.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
        probe.shutdown(socket.SHUT_WR)
        probe.recv(16)
    return int(pid)


def test_lock_ends_a_held_agent_it_cannot_reach(settings: Settings, agent_runtime: Path) -> None:
    """The session is already locked, so only the agent knows of the key: stopped (SIGSTOP)
    with its queue of connections full, it cannot hear --stop, and once it runs again it must
    not lend the key after `strongroom lock` said "Locked."."""
    seed(settings, ItemDraft("Bank", "alice", "bank-secret"))
    assert strongroom(settings, "lock", agent=agent_runtime).returncode == 0
    opened = strongroom(settings, "get", "Bank", stdin=f"{STRONG_PASSWORD}\n", agent=agent_runtime)
    assert (opened.returncode, opened.stdout) == (0, "bank-secret\n"), opened.stderr
    sock = agent_socket(agent_runtime)
    warm = strongroom(settings, "get", "Bank", "--no-input", agent=agent_runtime)
    assert warm.stdout == "bank-secret\n"  # the agent lends the key the password opened

    pid = agent_pid(sock)
    queued: list[socket.socket] = []
    os.kill(pid, signal.SIGSTOP)
    try:
        while True:  # fill its queue: the next connection is refused at once
            client = socket.socket(socket.AF_UNIX)
            client.setblocking(False)
            try:
                client.connect(str(sock))
            except BlockingIOError:
                client.close()
                break
            queued.append(client)
        # Neither the lock generation written (a folder in its place) nor the agent reached:
        # no "Locked.", but a failure saying the agent may still hold the key.
        generation = settings.data_dir / "lock-generation"
        generation.unlink(missing_ok=True)
        generation.mkdir()
        unsure = strongroom(settings, "lock", agent=agent_runtime)
        generation.rmdir()
        locked = strongroom(settings, "lock", agent=agent_runtime)
    finally:
        for client in queued:
            client.close()
        os.kill(pid, signal.SIGCONT)
    try:
        assert unsure.returncode == 5, unsure.stderr
        assert "Locked" not in unsure.stderr
        assert "may still hold the key" in unsure.stderr
        one_clean_line(unsure.stderr)
        assert locked.returncode == 0, locked.stderr
        assert "Locked." in locked.stderr
        after = strongroom(settings, "get", "Bank", "--no-input", agent=agent_runtime)
        assert (after.returncode, after.stdout) == (4, ""), after.stderr
        assert agent_gone(agent_runtime)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)


def test_a_password_typed_while_lock_runs_opens_no_agent(
    settings: Settings, agent_runtime: Path
) -> None:
    """A command waits for the master password; `strongroom lock` runs and says "Locked.";
    then the password is typed: the command reads its item, but no agent goes on holding the
    key after that lock."""
    seed(settings, ItemDraft("Bank", "alice", "bank-secret"))
    assert strongroom(settings, "lock", agent=agent_runtime).returncode == 0
    exports = " ".join(
        f"{name}={shlex.quote(value)}"
        for name, value in {
            "PATH": "/usr/bin:/bin",
            "XDG_RUNTIME_DIR": str(agent_runtime),
            "STRONGROOM_DATABASE_URL": settings.database_url,
        }.items()
    )
    folders = (
        f"--config-dir {shlex.quote(str(settings.config_dir))} "
        f"--data-dir {shlex.quote(str(settings.data_dir))}"
    )
    line = f"export {exports}; {shlex.quote(str(STRONGROOM))} {folders} get Bank; echo GOT=$?"
    with terminal(settings) as term:
        term.run(line + "; sleep 60")
        term.wait_for(PROMPT)
        locked = strongroom(settings, "lock", agent=agent_runtime)
        assert (locked.returncode, locked.stderr) == (0, "Locked.\n")
        term.type(STRONG_PASSWORD)
        term.keys("Enter")
        term.wait_for("GOT=")
        assert "GOT=0" in term.scrollback()
    after = strongroom(settings, "get", "Bank", "--no-input", agent=agent_runtime)
    assert (after.returncode, after.stdout) == (4, ""), after.stderr
    assert agent_gone(agent_runtime)
