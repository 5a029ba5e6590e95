"""The command line's agent: reads answered by a process that keeps the services warm.

A `strongroom get` that starts from nothing spends most of its time importing SQLAlchemy and
the services and opening every title of the vault; `pass show` and `rbw get` are fast because
an agent (gpg-agent, rbw-agent) already holds what they need. So does Strongroom's: after a read
command succeeds with an unlocked vault, a background ``strongroom agent`` starts, and later
`get`, `ls`, `totp` and `status` are handed to it over a Unix socket (app.cli.quick, before the
command line imports anything heavy). It parses and runs them with the same parser and command
table (app.cli.table) on the same services: nothing reaches the database another way.

What it holds and for how long:
- The vault key and the decrypted list of items (titles at first), like the app while it is
  unlocked. Each request first asks the database for this device's session, as every command
  does: when the vault was locked or logged out (here, in the app or on another device), the
  agent answers "locked" and exits, dropping all of it; the command then runs by itself.
- The list is re-read when the vault's fingerprint (one cheap query) has moved.
- It exits after ``auto_lock_minutes`` without a request.

A key the master password opened: when a command found the vault locked (or this device
logged out) and opened it with the master password, the agent starts holding that session
(handed over on its standard input, never on argv or in the environment), so that the next
commands, git's ``store`` after its ``get`` say, do not ask again. This device's session stays
as it was in the database: the app still finds it locked. Such an agent answers, and lends its
key to a command of the same profile (``--held-key``), only while this device's session is
exactly as it was when the password was typed: the same account's same session, still locked,
or still nobody logged in with the same last username. Any change (a lock, an unlock, a logout,
another login, a revoked session) and it exits; `strongroom lock` and `logout` end it at once
(``--stop``), whatever the database says.

Who can ask: the socket is in a folder only its owner can enter, is itself owner-only, and the
agent checks each caller's user id (SO_PEERCRED) and profile. It never prompts: a command that
would need the master password or standard input is not sent to it.
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import struct
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app.cli import quick

if TYPE_CHECKING:
    import argparse

    from app.cli.context import Context
    from app.core.accounts import ActiveSession
    from app.core.config import Settings


READY_SECONDS = 10  # the longest a command waits for the agent it started to listen


def profile(settings: Settings) -> list[str]:
    return quick.profile(str(settings.config_dir), str(settings.data_dir))


def socket_path(settings: Settings) -> Path:
    """This profile's socket (the name app.cli.quick finds it by), in an owner-only folder."""
    return Path(quick.socket_file(profile(settings)))


def start(settings: Settings, held: ActiveSession | None = None) -> None:
    """Start the agent in the background (once a command has found the vault unlocked, or
    opened it with the master password: then it holds ``held``, given on its standard input).

    Isolated (``-I``: neither the working folder, ``PYTHONPATH`` nor the user's site-packages
    is on its path) and started in ``/``: a folder holding an ``app`` package or ``app.py`` (a
    cloned project, a shared folder) must not be what runs as the agent."""
    import subprocess

    command = [
        sys.executable,
        "-I",
        "-m",
        "app",
        "--config-dir",
        str(settings.config_dir.resolve()),
        "--data-dir",
        str(settings.data_dir.resolve()),
        "agent",
        *(["--held"] if held else []),
    ]
    with contextlib.suppress(OSError):
        process = subprocess.Popen(  # noqa: S603 (this Python, this package: no input of anyone's)
            command,
            cwd="/",
            stdin=subprocess.PIPE if held else subprocess.DEVNULL,
            stdout=subprocess.PIPE if held else subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # not the terminal's: a closed terminal leaves it be
            close_fds=True,
        )
        if held is not None and process.stdin is not None and process.stdout is not None:
            import select

            with process.stdin:
                process.stdin.write(quick.encode(_held_words(held)))
            # Until it listens (or has gone): git runs `store` right after `get`, and that
            # command must find the agent, not ask for the password again.
            with process.stdout:
                select.select([process.stdout], [], [], READY_SECONDS)


def _held_words(held: ActiveSession) -> list[str]:
    return [str(held.user_id), str(held.session_id or ""), held.username, held.vault_key.hex()]


def _read_held() -> ActiveSession | None:
    """The session a command handed over on standard input (see start)."""
    from app.core.accounts import ActiveSession

    try:
        user_id, session_id, username, key = quick.decode(sys.stdin.buffer.read(4096))
        return ActiveSession(
            int(user_id), username, bytes.fromhex(key), int(session_id) if session_id else None
        )
    except (OSError, ValueError, AttributeError):
        return None


def serve(settings: Settings, *, held: bool = False) -> int:
    """Answer requests until idle for ``auto_lock_minutes`` or the vault is locked (``held``:
    on the session a command hands over on standard input)."""
    import signal

    from app.cli.context import Context
    from app.cli.parser import build_parser

    # A polite kill (SIGTERM) cleans up as going idle does: the socket goes, the key with it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    opened = _read_held() if held else None
    if held and opened is None:
        return 1
    mine = profile(settings)
    parser = build_parser()
    path = socket_path(settings)
    with contextlib.suppress(FileExistsError):
        path.parent.mkdir(mode=0o700, parents=True)
    if not quick.private_folder(str(path.parent)):
        return 1
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if not _claim(listener, path):
        return 0  # another agent answers already
    listener.settimeout(settings.security.auto_lock_minutes * 60)
    if held:
        # Listening: the command that started it may go (its wait ends with this pipe).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    ctx = Context(settings, answered_by=" (agent)")
    ctx.held = opened
    try:
        while True:
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                return 0
            with connection:
                if not _same_user(connection):
                    continue
                code = _answer(connection, mine, parser, ctx)
            if code == quick.LOCKED:
                return 0  # locked or logged out: keep nothing
    finally:
        listener.close()
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        ctx.close()  # the decrypted items and the key go with it


def _claim(listener: socket.socket, path: Path) -> bool:
    """Bind to ``path``: a socket left by an agent that died is replaced, a live one kept."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(path))
            return False
        except OSError:
            pass
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    old_mask = os.umask(0o177)
    try:
        listener.bind(str(path))
    except OSError:
        return False
    finally:
        os.umask(old_mask)
    listener.listen(8)
    return True


def _same_user(connection: socket.socket) -> bool:
    credentials = connection.getsockopt(
        socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")
    )
    _, uid, _ = struct.unpack("3i", credentials)
    return bool(uid == os.getuid())


def _answer(
    connection: socket.socket, mine: list[str], parser: argparse.ArgumentParser, ctx: Context
) -> int:
    """Run one handed-over command line; its exit code (after sending the answer)."""
    from app.cli import table

    connection.settimeout(10)
    out, err = io.StringIO(), io.StringIO()
    try:
        request = quick.receive(connection)
        if request is None:
            return 1
        words = quick.decode(request)
        count = int(words[1])
        if words[0] != quick.VERSION:
            return quick.LOCKED  # a newer Strongroom asks: this agent is out of date, and goes
        foreign = words[2 : 2 + count] != mine
        rest = words[2 + count :]
        if foreign:
            code = quick.LOCKED  # another profile's request: "go your own way"
        elif rest[:1] == [quick.STOP]:
            return quick.LOCKED  # `strongroom lock` or `logout`: keep nothing
        elif rest[:1] == [quick.HELD_KEY]:
            code = _lend(ctx, rest[1:], out)
        else:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    args = parser.parse_args(rest)  # errors and exit 2 too
                except SystemExit as stop:
                    code = stop.code if isinstance(stop.code, int) else 2
                else:
                    if args.command not in table.AGENT_COMMANDS or getattr(args, "clip", False):
                        raise ValueError("not a command the agent answers")
                    args.no_input = True  # the agent never asks: "locked" sends it back
                    code = int(table.run_command(args, ctx))
    except (OSError, ValueError, IndexError):
        return 1
    stdout = out.getvalue().encode("utf-8", "surrogateescape")
    stderr = err.getvalue().encode("utf-8", "surrogateescape")
    with contextlib.suppress(OSError):
        connection.sendall(f"{code} {len(stdout)}\n".encode() + stdout + stderr)
    return 0 if foreign else code  # (a foreign request does not stop this agent)


def _lend(ctx: Context, wanted: list[str], out: io.StringIO) -> int:
    """The held key for a command that names this device's session as the agent holds it
    (its user id and key, on ``out``); LOCKED (and the agent exits) when this device's session
    changed; 1 for any other request."""
    from app.cli.access import held_for, still_held
    from app.cli.exits import Exit
    from app.core.errors import UserError

    held = ctx.held
    if held is None:
        return quick.LOCKED  # the vault is locked, so a remembered session's agent has no use
    try:
        still_held(ctx, ctx.backend.accounts().startup())
    except (Exit, UserError):
        return quick.LOCKED
    if wanted != held_for(held.username, held.user_id, held.session_id):
        return 1
    out.write(quick.encode([str(held.user_id), held.vault_key.hex()]).decode())
    return 0
