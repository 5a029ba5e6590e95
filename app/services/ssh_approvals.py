"""The SSH agent's sockets and approvals: where its sockets are, who is asking (their terminal
session and command line), the approvals each key's first use in a terminal session waits for
(every use, with ``ssh_approve_every_use``; a use through a connection forwarded to another
host is approved on its own, per host, and never by a local approval), and the approvals
socket that `strongroom ssh approve` and the app answer them on. That socket is not the
agent's: a connection forwarded to another host reaches the agent, never this, so a remote host
cannot approve its own requests.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import struct
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.text import visible_text

if TYPE_CHECKING:
    from app.services.ssh import VaultKey


def socket_paths(folder: str, config_dir: str, data_dir: str) -> tuple[Path, Path]:
    """The SSH agent's socket and its approvals socket for these folders, in ``folder`` (the
    command line agent's owner-only folder): named by the folders alone, so that a shell's
    SSH_AUTH_SOCK stays right when config.toml changes."""
    checksum = zlib.crc32(f"{config_dir}\0{data_dir}".encode("utf-8", "surrogateescape"))
    return (
        Path(folder) / f"ssh-{checksum:08x}.sock",
        Path(folder) / f"ssh-{checksum:08x}.approve",
    )


def folder_refusal(folder: Path) -> str | None:
    """Why the sockets' folder is refused, as one line that says what to do; None when it is
    this user's alone (or not made yet). Where XDG_RUNTIME_DIR is unset it is in /tmp, where
    another user may have made it first."""
    import stat

    shown = visible_text(str(folder))
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        return None
    except OSError as error:
        return f"{shown} cannot be checked: {error.strerror}."
    mode = stat.S_IMODE(info.st_mode)
    remove = f"remove {shown}"
    if stat.S_ISLNK(info.st_mode):
        why = "is a symbolic link"
    elif not stat.S_ISDIR(info.st_mode):
        why = "is not a folder"
    elif info.st_uid != os.getuid():
        why = f"belongs to another user (uid {info.st_uid}), who could take the socket"
        remove = f"have {shown} removed (its owner or root can)"
    elif mode & 0o077:
        why = f"is open to other users (mode {mode:o}), who could take the socket"
    else:
        return None
    return (
        f"its folder {shown} {why}. Set XDG_RUNTIME_DIR to a folder of your own (mode 700), "
        f"or {remove}."
    )


def peer_terminal(connection: socket.socket) -> tuple[str, str]:
    """Who is asking, for approvals: the terminal session of the process at the other end
    (its controlling terminal and session id; another terminal asks again), and its command
    line, shown to the person who approves."""
    try:
        credentials = connection.getsockopt(
            socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")
        )
        pid = struct.unpack("3i", credentials)[0]
        with open(f"/proc/{pid}/stat", "rb") as file:
            fields = file.read().rsplit(b")", 1)[1].split()
        session, tty = int(fields[3]), int(fields[4])
        with open(f"/proc/{pid}/cmdline", "rb") as file:
            words = file.read(4096).split(b"\0")
    except (OSError, IndexError, ValueError, struct.error):
        return "unknown", "an unknown program"
    command = " ".join(w.decode("utf-8", "replace") for w in words if w)
    return f"{tty}:{session}", one_line(command, 120) or f"process {pid}"


def one_line(text: str, width: int) -> str:
    """``text`` as one visible line of at most ``width`` characters."""
    shown = " ".join(visible_text(text).split())
    return shown if len(shown) <= width else shown[: width - 1] + "…"


@dataclass
class Pending:
    """A signature waiting for the person's answer."""

    number: int
    title: str
    fingerprint: str
    client: str
    forwarded: str = ""  # where the connection was forwarded to ("": a local one)
    decided: threading.Event = field(default_factory=threading.Event, repr=False)
    answer: bool = False


class Approvals:
    """Which keys may sign for which terminal session: each first use asks (``every_use``:
    every use asks), and the answer lasts until the vault locks (:meth:`clear`)."""

    WAIT_SECONDS = 60.0  # a signature not approved by then is refused

    def __init__(self, *, every_use: bool) -> None:
        self.every_use = every_use
        self._lock = threading.Lock()
        self._granted: set[tuple[str, str, str]] = set()
        self._pending: dict[int, Pending] = {}
        self._next = 1

    def ask(
        self,
        key: VaultKey,
        terminal: str,
        client: str,
        still: Callable[[], bool],
        forwarded: str | None = None,
    ) -> bool:
        """Whether ``key`` may sign for ``terminal`` (asking, and waiting for the answer, when
        it was not approved yet); ``still``: whether the keys are still held once answered;
        ``forwarded``: the host the connection was forwarded to (approved apart from local use,
        and from other hosts)."""
        mark = (key.fingerprint, terminal, forwarded or "")
        with self._lock:
            if not self.every_use and mark in self._granted:
                return True
            pending = Pending(
                self._next, key.title, key.fingerprint, client, one_line(forwarded or "", 200)
            )
            self._pending[pending.number] = pending
            self._next += 1
        answered = pending.decided.wait(self.WAIT_SECONDS)
        with self._lock:
            self._pending.pop(pending.number, None)
            allowed = answered and pending.answer and still()
            if allowed and not self.every_use:
                self._granted.add(mark)
        return allowed

    def waiting(self) -> list[Pending]:
        with self._lock:
            return list(self._pending.values())

    def decide(self, number: int, yes: bool) -> bool:
        """Answer one waiting signature; whether it was still waiting."""
        with self._lock:
            pending = self._pending.get(number)
            if pending is None:
                return False
            pending.answer = yes
            pending.decided.set()
            return True

    def clear(self) -> None:
        """A lock: every approval goes, and every waiting signature is refused."""
        with self._lock:
            self._granted.clear()
            for pending in self._pending.values():
                pending.decided.set()
            self._pending.clear()


REQUEST_LIMIT = 1024


BACK_OFF_SECONDS = 0.1  # after accept failed for want of descriptors or memory


def accepted(listener: socket.socket) -> socket.socket | None:
    """The next connection; None when accept failed for want of file descriptors, memory or
    buffers (too many connections), or the client went first: after a short pause, the caller
    goes on. Any other failure is raised."""
    import errno
    import time

    try:
        return listener.accept()[0]
    except OSError as error:
        if error.errno in (errno.ECONNABORTED, errno.EINTR, errno.EPROTO):
            return None
        if error.errno in (errno.EMFILE, errno.ENFILE, errno.ENOMEM, errno.ENOBUFS):
            time.sleep(BACK_OFF_SECONDS)  # until a connection closes and frees one
            return None
        raise


QUIT_SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT, signal.SIGHUP})


def end_on_quit_signals() -> None:
    """SIGTERM, SIGINT and SIGHUP end the agent through its ``finally`` (its sockets removed,
    its keys dropped); one arriving during that cleanup is ignored, not a second exit in it."""

    def stop(*_: object) -> None:
        for number in QUIT_SIGNALS:
            signal.signal(number, signal.SIG_IGN)
        raise SystemExit(0)

    for number in QUIT_SIGNALS:
        signal.signal(number, stop)


def in_background(work: Callable[..., object], *args: object) -> None:
    """Run ``work`` on a daemon thread that never takes a quit signal: the kernel hands each
    one to the main thread, whose blocking accept it interrupts so that it can end at once
    (on another thread, the signal would wait for the main thread's next connection).
    RuntimeError: no thread to be had."""

    def quietly() -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, QUIT_SIGNALS)
        work(*args)

    threading.Thread(target=quietly, daemon=True).start()


def serve_approvals(
    listener: socket.socket, approvals: Approvals, same_user: Callable[[socket.socket], bool]
) -> None:
    """Answer the approvals socket: ``list`` (a line per waiting signature: number, title,
    fingerprint, client and where it was forwarded to, tab-separated), ``yes N`` and ``no N``.
    Returns once the listener is closed (the agent is ending)."""
    while True:
        try:
            connection = accepted(listener)
        except OSError:
            if listener.fileno() == -1:
                return
            raise
        if connection is None:
            continue
        with connection:
            if not same_user(connection):
                continue
            connection.settimeout(5)
            try:
                request = connection.recv(REQUEST_LIMIT).decode("ascii", "replace").split()
                connection.sendall(_approvals_answer(approvals, request).encode("utf-8"))
            except OSError:
                continue


def _approvals_answer(approvals: Approvals, request: list[str]) -> str:
    if request == ["list"]:
        return "".join(
            f"{p.number}\t{one_line(p.title, 60)}\t{p.fingerprint}\t{p.client}\t{p.forwarded}\n"
            for p in approvals.waiting()
        )
    if len(request) == 2 and request[0] in ("yes", "no") and request[1].isdigit():
        return "ok\n" if approvals.decide(int(request[1]), request[0] == "yes") else "gone\n"
    return "error\n"


@dataclass(frozen=True)
class Waiting:
    """A signature waiting for approval, as the approvals socket lists it."""

    number: int
    title: str
    fingerprint: str
    client: str
    forwarded: str = ""  # the host the connection was forwarded to ("": a local one)

    @property
    def question(self) -> str:
        """Who asks for which key, and from where: the line a person approves."""
        forwarded = f", FORWARDED to {visible_text(self.forwarded)}" if self.forwarded else ""
        return (
            f"{visible_text(self.client)} asks to use the SSH key "
            f"{visible_text(self.title)!r} ({self.fingerprint}){forwarded}."
        )


def _ask_agent(path: Path, request: str) -> str | None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(5)
        try:
            connection.connect(str(path))
            connection.sendall(request.encode("ascii"))
            connection.shutdown(socket.SHUT_WR)
            chunks = []
            while chunk := connection.recv(65536):
                chunks.append(chunk)
        except OSError:
            return None
    return b"".join(chunks).decode("utf-8", "replace")


def waiting(path: Path) -> list[Waiting] | None:
    """The signatures the agent at ``path`` (its approvals socket) waits on; None when no
    agent answers."""
    answer = _ask_agent(path, "list")
    if answer is None:
        return None
    found = []
    for line in answer.splitlines():
        parts = line.split("\t")
        if len(parts) in (4, 5) and parts[0].isdigit():
            found.append(Waiting(int(parts[0]), *parts[1:]))
    return found


def decide(path: Path, number: int, yes: bool) -> bool:
    """Answer a waiting signature; whether it was still waiting."""
    with contextlib.suppress(OSError):
        return _ask_agent(path, f"{'yes' if yes else 'no'} {number}") == "ok\n"
    return False
