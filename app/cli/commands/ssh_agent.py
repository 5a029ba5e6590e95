"""`strongroom ssh agent`: the OpenSSH agent protocol, answered from this device's vault.

It serves the key items (app.services.ssh answers each message) while this device's vault is
unlocked. Unlike the command line's agent (app.cli.agent) it does not exit on a lock, as a
shell's SSH_AUTH_SOCK keeps naming it; but it holds the keys only while that agent's
:class:`~app.cli.agent.Watch` says this device's session is as it was when they were read.
Before every answer (and every ``check_seconds`` between them) it asks, and on any change (a
lock here or in the app, a logout, a rotation, a password change, a session revoked
elsewhere, `strongroom lock` moving the lock generation) it drops the keys, the vault key, the
decrypted items and every approval, and answers as a locked vault does (no keys; every
signature refused) until the vault is unlocked again. Its sockets are in the command line
agent's owner-only folder, made owner-only by the same code, and each caller's user id is
checked with the same peer check (SO_PEERCRED). Approvals are answered on a second socket
(app.services.ssh_approvals), which a connection forwarded to another host cannot reach; such a
connection's use of a key waits for an approval of its own, which names the host.

The command line agent's pieces are handed in by the entry point (:class:`Machinery`): this
layer is below theirs, and calls them rather than copying them.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.cli import quick
from app.cli.exits import DONE, UNAVAILABLE

if TYPE_CHECKING:
    from app.cli.context import Context
    from app.core.accounts import ActiveSession
    from app.core.config import Settings


@dataclass(frozen=True)
class Machinery:
    """The command line agent's own checks: its Watch, its peer check, how it binds an
    owner-only socket, and how often it looks between requests."""

    watch: Callable[[Settings, Context], Any]
    same_user: Callable[[socket.socket], bool]
    claim: Callable[[socket.socket, Path], bool]
    check_seconds: float


READY_SECONDS = 10


def socket_path(settings: Settings) -> Path:
    """The SSH agent's socket for these folders (stable across config changes: a shell's
    SSH_AUTH_SOCK names it)."""
    from app.services.ssh_approvals import socket_paths

    return socket_paths(quick.socket_folder(), *_folders(settings))[0]


def _folders(settings: Settings) -> tuple[str, str]:
    return os.path.realpath(settings.config_dir), os.path.realpath(settings.data_dir)


def running(settings: Settings) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(socket_path(settings)))
        except OSError:
            return False
    return True


def start(settings: Settings, *, wait: bool = False) -> bool:
    """Start `strongroom ssh agent --foreground` in the background unless it runs; ``wait``:
    until it listens. Whether it runs (as far as is known without waiting)."""
    import subprocess
    import time

    if running(settings):
        return True
    config_dir, data_dir = _folders(settings)
    command = [sys.executable, "-I", "-m", "app", "--config-dir", config_dir]
    command += ["--data-dir", data_dir, "ssh", "agent", "--foreground"]
    try:
        subprocess.Popen(  # noqa: S603 (this Python, this package: no input of anyone's)
            command,
            cwd="/",
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
    except OSError:
        return False
    if not wait:
        return True
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if running(settings):
            return True
        time.sleep(0.02)
    return False


class HeldKeys:
    """The keys the SSH agent holds, while a Watch says this device's session is as it was
    when they were read; approvals granted since (see app.services.ssh.Approvals)."""

    def __init__(self, settings: Settings, machinery: Machinery) -> None:
        import threading

        from app.services.ssh_approvals import Approvals

        self.settings = settings
        self.machinery = machinery
        self.lock = threading.RLock()
        self.watch: Any = None
        self.ctx: Context | None = None
        self.session: ActiveSession | None = None
        self.keys: list[Any] | None = None
        self.mark: tuple[int, int, int] | None = None
        self.approvals = Approvals(every_use=settings.ssh_approve_every_use)

    def current(self, *, reload: bool = False) -> list[Any] | None:
        """The keys, when this device's vault is unlocked and nothing changed (checked now);
        None else. ``reload``: read them again if the vault changed (a key added)."""
        with self.lock:
            if self.watch is not None and not self.watch.same():
                self.drop()
            if self.watch is None:
                self._open()
            elif reload:
                self._reload()
            return self.keys

    def check(self) -> None:
        """Between requests: drop everything if this device's session changed."""
        with self.lock:
            if self.watch is not None and not self.watch.same():
                self.drop()

    def _open(self) -> None:
        from app.cli.context import Context

        ctx = Context(self.settings, answered_by=" (ssh agent)")
        watch = self.machinery.watch(self.settings, ctx)
        try:
            if not watch.begin():
                ctx.close()
                return
            session = ctx.backend.accounts().startup().session
        except Exception:  # the database away, or anything: nothing is held
            ctx.close()
            return
        if session is None or not session.vault_key:
            ctx.close()
            return
        self.ctx, self.watch, self.session = ctx, watch, session
        self._reload()

    def _reload(self) -> None:
        """Read the keys again when the vault changed. The items' decrypted text is dropped
        once the keys are open, and what is freed meanwhile is overwritten (app.core.memory):
        a lock then leaves no private key text behind, only the keys it clears."""
        from app.core.memory import release_dropped, stop_wiping, wipe_on_free
        from app.services.ssh import vault_keys

        assert self.ctx is not None
        assert self.session is not None
        try:
            mark = self.ctx.backend.vault().fingerprint(self.session)
            if mark == self.mark and self.keys is not None:
                return
            wipe_on_free()
            try:
                keys, _ = vault_keys(self.ctx.cache.items(self.ctx.backend, self.session))
                self.ctx.cache.forget()  # the other items' decrypted fields go
                release_dropped()
            finally:
                stop_wiping()
        except Exception:  # the database away: nothing is held
            self.drop()
            return
        self.keys, self.mark = keys, mark

    def drop(self) -> None:
        """Forget the keys, the vault key, the decrypted items and every approval."""
        from app.core.memory import release_dropped, stop_wiping, wipe_on_free

        with self.lock:
            held = self.keys is not None or self.ctx is not None
            wipe_on_free()
            self.keys = None
            self.mark = None
            self.session = None
            self.watch = None
            self.approvals.clear()
            if self.ctx is not None:
                self.ctx.close()
                self.ctx = None
            if held:
                release_dropped()
            stop_wiping()

    def signed(self, key: Any, forwarded: str | None = None) -> None:
        """A signature, in the security log by item id (and the host, when forwarded)."""
        with self.lock:
            if self.ctx is None or self.session is None:
                return
            with contextlib.suppress(Exception):
                self.ctx.backend.security_log().record(
                    "item_read",
                    self.session.username,
                    f"item {key.item_id}, ssh signature"
                    + (f", forwarded to {forwarded}" if forwarded else "")
                    + self.ctx.answered_by,
                )


def command(settings: Settings, machinery: Machinery, *, foreground: bool) -> int:
    """`strongroom ssh agent`: serve here (``foreground``), or start the agent in the
    background unless it runs, and print the line that points a shell's SSH_AUTH_SOCK at it."""
    import shlex

    if foreground:
        _without_thread_cache(settings)
        return serve(settings, machinery)
    from app.services.ssh_approvals import folder_refusal

    refusal = folder_refusal(Path(quick.socket_folder()))
    if refusal is not None:
        print(f"strongroom: the SSH agent did not start: {refusal}", file=sys.stderr)
        return UNAVAILABLE
    if not start(settings, wait=True):
        print("strongroom: the SSH agent did not start.", file=sys.stderr)
        return UNAVAILABLE
    path = shlex.quote(str(socket_path(settings)))
    print(f"SSH_AUTH_SOCK={path}; export SSH_AUTH_SOCK;")
    return DONE


# glibc keeps small freed blocks in a per-thread cache, which its fill on free (app.core.memory,
# on while keys are read and dropped) never reaches: without it, a private key's text, freed
# once its key is open, would stay in memory past a lock.
NO_THREAD_CACHE = "glibc.malloc.tcache_count=0"


def _without_thread_cache(settings: Settings) -> None:
    """Run again (the same command, in place) with glibc's thread cache off, unless it is."""
    tunables = os.environ.get("GLIBC_TUNABLES", "")
    if not sys.platform.startswith("linux") or NO_THREAD_CACHE in tunables.split(":"):
        return
    config_dir, data_dir = _folders(settings)
    argv = [sys.executable, "-I", "-m", "app", "--config-dir", config_dir, "--data-dir", data_dir]
    environment = {
        **os.environ,
        "GLIBC_TUNABLES": ":".join(filter(None, [tunables, NO_THREAD_CACHE])),
    }
    with contextlib.suppress(OSError):
        os.execve(sys.executable, [*argv, "ssh", "agent", "--foreground"], environment)  # noqa: S606 (this Python, this package, in place)


def serve(settings: Settings, machinery: Machinery) -> int:
    """`strongroom ssh agent --foreground`: serve until SIGTERM (or its socket is taken)."""
    import threading

    from app.services.ssh_approvals import (
        accepted,
        end_on_quit_signals,
        folder_refusal,
        in_background,
        serve_approvals,
        socket_paths,
    )

    end_on_quit_signals()
    path, approvals_path = socket_paths(quick.socket_folder(), *_folders(settings))
    with contextlib.suppress(FileExistsError):
        path.parent.mkdir(mode=0o700, parents=True)
    if not quick.private_folder(str(path.parent)):
        why = folder_refusal(path.parent) or f"{path.parent} is not a folder of yours alone."
        print(f"strongroom: the SSH agent did not start: {why}", file=sys.stderr)
        return 1
    vault = HeldKeys(settings, machinery)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    approver = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    every = machinery.check_seconds
    try:
        if not machinery.claim(listener, path):
            print("strongroom: an SSH agent already serves these folders.", file=sys.stderr)
            return 0
        if not machinery.claim(approver, approvals_path):
            return 1

        def watch_loop() -> None:
            import time

            while True:
                time.sleep(every)
                try:
                    vault.check()
                except Exception:  # cannot tell (no descriptor to be had): nothing is held
                    vault.drop()

        in_background(watch_loop)
        in_background(serve_approvals, approver, vault.approvals, machinery.same_user)
        slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        while True:
            connection = accepted(listener)  # None: none to be had now (after a pause)
            if connection is None:
                continue
            if not machinery.same_user(connection) or not slots.acquire(blocking=False):
                connection.close()  # another user's, or one past the limit: closed at once
                continue
            try:
                in_background(_client, connection, vault, slots)
            except RuntimeError:  # no thread to be had: this one is closed, the agent goes on
                connection.close()
                slots.release()
    finally:
        listener.close()
        approver.close()
        for gone in (path, approvals_path):
            with contextlib.suppress(FileNotFoundError):
                gone.unlink()
        vault.drop()


MAX_CONNECTIONS = 64  # clients served at once; another is closed as it comes (threads bounded)


def _client(connection: socket.socket, vault: HeldKeys, slots: Any) -> None:
    """One client's messages, answered in turn until it closes; its slot freed then."""
    try:
        # The database or a descriptor not to be had: this client is closed, with no
        # traceback, and the agent serves the next.
        with contextlib.suppress(Exception):
            _answer_client(connection, vault)
    finally:
        connection.close()
        slots.release()


def _answer_client(connection: socket.socket, vault: HeldKeys) -> None:
    """One client's messages, answered in turn until it closes."""
    from app.core import ssh
    from app.services.ssh import AgentConnection
    from app.services.ssh_approvals import peer_terminal

    terminal, client = peer_terminal(connection)

    def keys(reload: bool) -> list[Any] | None:
        return vault.current(reload=reload)

    def approve(key: Any) -> bool:
        still = lambda: vault.keys is not None  # noqa: E731
        return vault.approvals.ask(key, terminal, client, still, answers.forwarded_to())

    def signed(key: Any) -> None:
        vault.signed(key, answers.forwarded_to())

    answers = AgentConnection(keys, approve, signed)
    with connection:
        while True:
            header = _exactly(connection, 4)
            if header is None:
                return
            size = int.from_bytes(header, "big")
            if not 0 < size <= ssh.MAX_MESSAGE:
                return
            message = _exactly(connection, size)
            if message is None:
                return
            try:
                connection.sendall(answers.answer(message))
            except OSError:
                return


def _exactly(connection: socket.socket, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        try:
            chunk = connection.recv(min(left, 65536))
        except OSError:
            return None
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
