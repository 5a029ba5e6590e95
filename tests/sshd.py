"""A throwaway OpenSSH server run as another Unix user on 127.0.0.1, the real `ssh` client,
and the Strongroom SSH agent started through the installed command, for the SSH tests."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.core.config import Settings
from app.core.items import ItemDraft
from app.services.backend import Backend
from app.services.ssh_approvals import Waiting
from tests.command_line import strongroom
from tests.helpers import STRONG_PASSWORD

SSHD = Path("/usr/sbin/sshd")


def need_openssh() -> None:
    for program in ("ssh", "ssh-add", "ssh-keygen", "runuser"):
        if shutil.which(program) is None:
            pytest.skip(f"needs {program}")
    if not SSHD.exists():
        if os.environ.get("CI"):
            pytest.fail("CI=true: the SSH tests need /usr/sbin/sshd (openssh-server)")
        pytest.skip("needs /usr/sbin/sshd (openssh-server)")


def seed(settings: Settings, drafts: list[ItemDraft] = ()) -> None:  # type: ignore[assignment]
    """The account "alice", remembered and unlocked on this device, with ``drafts``."""
    backend = Backend(settings, device_label="seed")
    try:
        accounts = backend.accounts()
        accounts.register("alice", STRONG_PASSWORD, STRONG_PASSWORD)
        active = accounts.login("alice", STRONG_PASSWORD, remember=True)
        for draft in drafts:
            backend.vault().add(active, draft)
    finally:
        backend.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Sshd:
    """One sshd, as ``user``, with its own host key, config and authorized_keys."""

    user: str
    folder: Path
    port: int
    host_key: str  # the host's public key line
    process: subprocess.Popen[str]

    @property
    def known_hosts_line(self) -> str:
        return f"[127.0.0.1]:{self.port} {self.host_key}"

    def authorize(self, *lines: str) -> None:
        path = self.folder / "authorized_keys"
        path.write_text("".join(line + "\n" for line in lines))
        shutil.chown(path, self.user)

    def log(self) -> str:
        return (self.folder / "sshd.log").read_text(errors="replace")


@contextlib.contextmanager
def sshd(user: str, *options: str) -> Iterator[Sshd]:
    """sshd on a free port of 127.0.0.1, run as ``user`` (not root), ``MaxAuthTries 2``."""
    folder = Path(tempfile.mkdtemp(prefix="strongroom-sshd-", dir="/tmp"))
    folder.chmod(0o755)
    try:
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / "host_ed25519")],
            check=True,
        )
        port = free_port()
        config = folder / "sshd_config"
        config.write_text(
            f"Port {port}\nListenAddress 127.0.0.1\nHostKey {folder}/host_ed25519\n"
            f"PidFile none\nAuthorizedKeysFile {folder}/authorized_keys\nStrictModes no\n"
            "MaxAuthTries 2\nUsePAM no\nPasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nLogLevel VERBOSE\n"
            + "".join(option + "\n" for option in options)
        )
        (folder / "authorized_keys").write_text("")
        for path in folder.iterdir():
            shutil.chown(path, user)
        log = (folder / "sshd.log").open("w")
        shutil.chown(folder / "sshd.log", user)
        process = subprocess.Popen(
            ["runuser", "-u", user, "--", str(SSHD), "-D", "-e", "-f", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 20
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("sshd did not start:\n" + (folder / "sshd.log").read_text())
            time.sleep(0.05)
        host_key = " ".join((folder / "host_ed25519.pub").read_text().split()[:2])
        try:
            yield Sshd(user, folder, port, host_key, process)
        finally:
            process.terminate()
            process.wait(10)
            log.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def ssh(
    agent: Path, server: Sshd, known_hosts: Path, *options: str, command: str = "echo ok"
) -> subprocess.CompletedProcess[str]:
    """``ssh ... USER@127.0.0.1 COMMAND`` with only the agent's keys (no files of its own)."""
    line = ["ssh", "-F", "/dev/null", "-o", f"IdentityAgent={agent}"]
    line += ["-o", "IdentitiesOnly=no", "-o", f"UserKnownHostsFile={known_hosts}"]
    line += ["-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes"]
    line += ["-o", "BatchMode=yes", "-o", "IdentityFile=none", "-o", "ConnectTimeout=20"]
    line += [*options, "-p", str(server.port), f"{server.user}@127.0.0.1", command]
    return subprocess.run(
        line,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def agent_env(home: Path) -> dict[str, str]:
    return {"HOME": str(home)}


def start_agent(settings: Settings, runtime: Path, home: Path) -> Path:
    """`strongroom ssh agent` (in the background): its socket, from the line it prints."""
    started = strongroom(settings, "ssh", "agent", agent=runtime, env=agent_env(home))
    assert started.returncode == 0, started.stderr
    line = started.stdout.strip()
    assert line.startswith("SSH_AUTH_SOCK="), line
    assert line.endswith("; export SSH_AUTH_SOCK;"), line
    return Path(line.removeprefix("SSH_AUTH_SOCK=").removesuffix("; export SSH_AUTH_SOCK;"))


def agent_pid(sock: Path) -> int:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.connect(str(sock))
        credentials = probe.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return int(struct.unpack("3i", credentials)[0])


def stop_agent(sock: Path) -> None:
    with contextlib.suppress(OSError):
        os.kill(agent_pid(sock), signal.SIGTERM)


def approvals_socket(sock: Path) -> Path:
    return sock.with_suffix(".approve")


class Approver:
    """Approves every signature the agent waits on (as a person answering at once would),
    and counts them; ``refuse``: refuses them instead (``refuse_when``: those it says)."""

    def __init__(
        self,
        sock: Path,
        *,
        refuse: bool = False,
        refuse_when: Callable[[Waiting], bool] = lambda _: False,
    ) -> None:
        from app.services.ssh_approvals import decide, waiting

        self.asked: list[str] = []
        self.requests: list[Waiting] = []  # each request answered, as the socket listed it
        self._stop = threading.Event()
        path = approvals_socket(sock)

        def loop() -> None:
            while not self._stop.is_set():
                for request in waiting(path) or []:
                    no = refuse or refuse_when(request)
                    if decide(path, request.number, not no):
                        self.asked.append(request.title)
                        self.requests.append(request)
                time.sleep(0.02)

        self._thread = threading.Thread(target=loop, daemon=True)

    def __enter__(self) -> Approver:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(5)
