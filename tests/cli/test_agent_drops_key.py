"""The agent holds the vault key and the items it decrypted only while this device's session is
exactly as it was: after a lock, a logout, a password change, a rotation, a revocation from
another device or a changed config.toml, it exits, and what it held is gone from memory.

Proved on the agent process itself: its memory (/proc/PID/maps and /proc/PID/mem) is searched
for an item's password and for the vault key, found there before the event (so the search
works) and not after (the process gone, or its memory clean). With a check interval of 60 s
(``STRONGROOM_AGENT_CHECK_SECONDS``), the check made before every answer is proved on its own:
the first command after the event is never answered from what the agent held."""

from __future__ import annotations

import json
import socket
import struct
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from app.core.accounts import ActiveSession
from app.core.config import Settings
from app.core.items import ItemDraft
from app.services.backend import Backend
from tests.command_line import agent_socket, strongroom
from tests.helpers import STRONG_PASSWORD, make_settings

CANARY = "canary-Qx7-pw-0f3e9d"
NEW_PASSWORD = "another horse battery staple"
SLOW = {"STRONGROOM_AGENT_CHECK_SECONDS": "60"}  # only the check before each answer counts


def seed(settings: Settings) -> bytes:
    """The account "alice", remembered on this device, with one item whose password is the
    canary; the vault key (as the test's own process opened it)."""
    backend = Backend(settings, device_label="seed")
    try:
        accounts = backend.accounts()
        accounts.register("alice", STRONG_PASSWORD, STRONG_PASSWORD)
        active = accounts.login("alice", STRONG_PASSWORD, remember=True)
        backend.vault().add(active, ItemDraft("Canary", "alice", CANARY))
        return active.vault_key
    finally:
        backend.close()


def agent_pid(runtime: Path) -> int:
    """The agent's process id, as its socket says (SO_PEERCRED of the listening end)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.connect(str(agent_socket(runtime)))
        credentials = probe.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, _, _ = struct.unpack("3i", credentials)
    return int(pid)


def found_in_memory(pid: int, needles: list[bytes]) -> set[bytes]:
    """Which of ``needles`` are anywhere in the process's readable memory (none once it has
    gone). The agent is not dumpable: only root may read it, as the suite runs in CI."""
    try:
        maps = Path(f"/proc/{pid}/maps").read_text()
        memory = open(f"/proc/{pid}/mem", "rb", buffering=0)  # noqa: SIM115 (closed below)
    except (FileNotFoundError, ProcessLookupError):
        return set()
    except PermissionError:
        pytest.skip("reading the agent's memory needs root (the agent is not dumpable)")
    found: set[bytes] = set()
    with memory:
        for line in maps.splitlines():
            fields = line.split()
            if not fields[1].startswith("r") or fields[-1] in ("[vvar]", "[vsyscall]"):
                continue
            start, end = (int(part, 16) for part in fields[0].split("-"))
            try:
                memory.seek(start)
                region = memory.read(end - start)
            except (OSError, OverflowError, ValueError):
                continue
            found |= {needle for needle in needles if needle in region}
    return found


def gone(pid: int, timeout: float = 30) -> bool:
    """Whether the process has exited (waiting up to ``timeout``; a zombie holds no memory)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


def reads(settings: Settings) -> list[str]:
    """The security log's item reads, oldest first (their details)."""
    lines = settings.security_log_path.read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    return [entry["detail"] for entry in entries if entry["event"] == "item_read"]


def warm_agent(settings: Settings, runtime: Path, key: bytes, env: dict[str, str]) -> int:
    """Start the agent with a read, have it answer one (the canary now in its memory), and
    check the search finds the canary and the key there: its process id."""
    first = strongroom(settings, "get", "Canary", "--no-input", agent=runtime, env=env)
    assert (first.returncode, first.stdout) == (0, CANARY + "\n"), first.stderr
    agent_socket(runtime)  # started in the background: listening now
    warm = strongroom(settings, "get", "Canary", "--no-input", agent=runtime, env=env)
    assert (warm.returncode, warm.stdout) == (0, CANARY + "\n"), warm.stderr
    assert reads(settings)[-1].endswith("(agent)")
    pid = agent_pid(runtime)
    assert found_in_memory(pid, [CANARY.encode(), key]) == {CANARY.encode(), key}
    return pid


def this_device(settings: Settings) -> tuple[Backend, ActiveSession]:
    """This device's session, unlocked, as the app finds it at launch."""
    backend = Backend(settings, device_label="the app")
    session = backend.accounts().startup().session
    assert session is not None
    assert session.vault_key
    return backend, session


def lock_in_the_app(settings: Settings, runtime: Path) -> None:
    backend, session = this_device(settings)
    backend.accounts().lock(session)
    backend.close()


def change_password_in_the_app(settings: Settings, runtime: Path) -> None:
    backend, session = this_device(settings)
    accounts = backend.accounts()
    accounts.change_password(session, STRONG_PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
    backend.close()


def rotate_in_the_app(settings: Settings, runtime: Path) -> None:
    backend, session = this_device(settings)
    backend.accounts().rotate_vault_key(session, STRONG_PASSWORD)
    backend.close()


def revoke_from_another_device(settings: Settings, runtime: Path) -> None:
    other = make_settings(settings.config_dir.parent / "other-device", settings.database_url)
    backend = Backend(other, device_label="laptop")
    accounts = backend.accounts()
    there = accounts.login("alice", STRONG_PASSWORD, remember=True)
    [here] = [info for info in accounts.list_sessions(there) if not info.current]
    accounts.revoke_session(there, here.id)
    backend.close()


def lock_by_command(settings: Settings, runtime: Path) -> None:
    assert strongroom(settings, "lock", agent=runtime).returncode == 0


def logout_by_command(settings: Settings, runtime: Path) -> None:
    assert strongroom(settings, "logout", agent=runtime).returncode == 0


def change_config(settings: Settings, runtime: Path) -> None:
    config = settings.config_dir / "config.toml"
    config.write_text(config.read_text() + "auto_lock_minutes = 7\n")  # in [security]


EVENTS: dict[str, Callable[[Settings, Path], None]] = {
    "lock by command": lock_by_command,
    "lock in the app": lock_in_the_app,
    "logout by command": logout_by_command,
    "password changed": change_password_in_the_app,
    "key rotated": rotate_in_the_app,
    "revoked from another device": revoke_from_another_device,
    "config.toml changed": change_config,
}


@pytest.mark.parametrize("event", EVENTS)
def test_the_agent_drops_the_key_and_the_items_after(
    settings: Settings, agent_runtime: Path, event: str
) -> None:
    """No command comes after the event: the agent notices by itself (lock and logout tell
    it; anything else it finds when it next asks the database or looks at config.toml)."""
    key = seed(settings)
    pid = warm_agent(settings, agent_runtime, key, {})
    EVENTS[event](settings, agent_runtime)
    assert gone(pid), f"the agent still runs after: {event}"
    assert found_in_memory(pid, [CANARY.encode(), key]) == set()


@pytest.mark.parametrize(
    ("event", "command", "says"),
    [
        ("lock in the app", "status", "user: alice, locked\n"),
        ("password changed", "get", CANARY + "\n"),
        ("key rotated", "get", CANARY + "\n"),
    ],
)
def test_the_first_command_after_a_change_is_not_answered_from_what_the_agent_held(
    settings: Settings, agent_runtime: Path, event: str, command: str, says: str
) -> None:
    """The agent checks this device's session before every answer, `status` included: the
    command runs by itself and says what the database says, and the agent has exited."""
    key = seed(settings)
    pid = warm_agent(settings, agent_runtime, key, SLOW)
    before = len(reads(settings))
    EVENTS[event](settings, agent_runtime)
    args = ["get", "Canary"] if command == "get" else ["status"]
    result = strongroom(settings, *args, "--no-input", agent=agent_runtime, env=SLOW)
    assert says in result.stdout, result.stderr
    assert gone(pid), "the agent answered after the session changed"
    assert found_in_memory(pid, [CANARY.encode(), key]) == set()
    if command == "get":  # read by the command itself, from the database, not by the agent
        assert [detail.endswith("(agent)") for detail in reads(settings)[before:]] == [False]


def test_lock_ends_an_agent_started_before_config_toml_changed(
    settings: Settings, agent_runtime: Path
) -> None:
    """A changed config.toml changes the socket commands look for: `strongroom lock` still
    reaches the agent started before, which drops everything before the lock returns."""
    key = seed(settings)
    pid = warm_agent(settings, agent_runtime, key, SLOW)
    change_config(settings, agent_runtime)
    locked = strongroom(settings, "lock", agent=agent_runtime, env=SLOW)
    assert locked.returncode == 0, locked.stderr
    assert gone(pid)
    assert found_in_memory(pid, [CANARY.encode(), key]) == set()
    after = strongroom(settings, "get", "Canary", "--no-input", agent=agent_runtime, env=SLOW)
    assert (after.returncode, after.stdout) == (4, "")
