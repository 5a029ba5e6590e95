"""The command line's agent: reads answered by a process that keeps the services warm.

A `strongroom get` that starts from nothing spends most of its time importing SQLAlchemy and
the services and opening every title of the vault; `pass show` and `rbw get` are fast because
an agent (gpg-agent, rbw-agent) already holds what they need. So does Strongroom's: after a read
command succeeds with an unlocked vault (and once the app has opened a remembered vault:
app.flows.vault), a background ``strongroom agent`` starts, and later
`get`, `ls`, `totp` and `status` are handed to it over a Unix socket (app.cli.quick, before the
command line imports anything heavy). It parses and runs them with the same parser and command
table (app.cli.table) on the same services: nothing reaches the database another way.

What it holds and for how long:
- The vault key and the decrypted list of items (titles at first), like the app while it is
  unlocked, and only while this device's session is exactly as it was when the agent started
  (:class:`Watch`): the same token, account and session row, the row's same wrapped copy of the
  vault key (a lock empties it, an unlock wraps it afresh), not expired, and the account's same
  wrapped key and verifier (a password change or a rotation re-wraps them); and while its
  profile (config.toml's size and time, the database settings) is the one commands find it by.
  That is asked of the database (one read-only query) before every answer, ``status``
  included, and every ``CHECK_SECONDS`` between requests, so that a lock in the app ends it
  though no command comes. Anything changed and it exits, dropping all of it (the process's
  exit is what frees the key: Python cannot overwrite ``bytes``); the request it was asked is
  answered "locked", and the command runs by itself.
- The list is re-read when the vault's fingerprint (one cheap query) has moved.
- It exits after ``auto_lock_minutes`` without a request, and at once when `strongroom lock` or
  `logout`, or a lock or logout in the app, says so (``--stop``, sent to each agent socket of
  the user: one started before config.toml changed is on the same folders, and goes too),
  before that command returns.
- And it exits when the profile's lock generation (app.cli.quick) moved: `lock` and `logout`
  move it on before they send ``--stop``, so an agent they could not reach (stopped, its queue
  of connections full) goes as soon as it runs again, before any answer. It is compared with
  the one the agent started on before every answer and every ``CHECK_SECONDS``; an agent
  holding a key compares it with the one its command read before asking for the password, so
  a password typed while `lock` ran opens nothing that outlives that command.

A key the master password opened: when a command found the vault locked (or this device
logged out) and opened it with the master password, the agent starts holding that session
(handed over on its standard input, never on argv or in the environment), so that the next
commands, git's ``store`` after its ``get`` say, do not ask again. This device's session stays
as it was in the database: the app still finds it locked. Such an agent answers, and lends its
key to a command of the same profile (``--held-key``), only while this device's session is
exactly as it was when the password was typed: the same account's same session, still locked,
or still nobody logged in with the same last username, and the account's key as it was. Any
change (a lock, an unlock, a logout, another login, a revoked session, a new master password or
vault key) and it exits; `strongroom lock` and `logout` end it at once (``--stop``), whatever
the database says.

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
    from app.services.sessions import Stamp


READY_SECONDS = 10  # the longest a command waits for the agent it started to listen
CHECK_SECONDS = 2.0  # how often an idle agent asks whether this device's session changed


def profile(settings: Settings) -> list[str]:
    return quick.profile(str(settings.config_dir), str(settings.data_dir))


def socket_path(settings: Settings) -> Path:
    """This profile's socket (the name app.cli.quick finds it by), in an owner-only folder."""
    return Path(quick.socket_file(profile(settings)))


def start(
    settings: Settings,
    held: ActiveSession | None = None,
    generation: str | None = None,
    *,
    ready: bool = False,
) -> None:
    """Start the agent in the background (once a command has found the vault unlocked, or
    opened it with the master password: then it holds ``held``, given on its standard input
    with ``generation``, the lock generation the command read before it asked for the password).
    With ``held`` or ``ready``, return once it listens (or has gone): `login --remember` and
    a script's `get` right after it.

    Isolated (``-I``: neither the working folder, ``PYTHONPATH`` nor the user's site-packages
    is on its path) and started in ``/``: a folder holding an ``app`` package or ``app.py`` (a
    cloned project, a shared folder) must not be what runs as the agent."""
    import subprocess

    if held is not None and generation is None:
        return  # the lock generation cannot be read: nothing is held
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
            stdout=subprocess.PIPE if held or ready else subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # not the terminal's: a closed terminal leaves it be
            close_fds=True,
        )
        if held is not None and process.stdin is not None:
            with process.stdin:
                process.stdin.write(quick.encode([*_held_words(held), generation or ""]))
        if process.stdout is not None:
            import select

            # Until it listens (or has gone): git runs `store` right after `get`, and that
            # command must find the agent, not ask for the password again.
            with process.stdout:
                select.select([process.stdout], [], [], READY_SECONDS)


def _held_words(held: ActiveSession) -> list[str]:
    return [str(held.user_id), str(held.session_id or ""), held.username, held.vault_key.hex()]


def _read_held() -> tuple[ActiveSession, str] | None:
    """The session a command handed over on standard input, and the lock generation it read
    before asking for the password (see start). The bytes it came in are overwritten once
    read: the key lives on only in the session (Python cannot wipe ``bytes``; the process's
    exit is what ends it)."""
    from app.core.accounts import ActiveSession

    buffer = bytearray(4096)
    try:
        stream = sys.stdin.buffer
        size = stream.readinto(buffer) if isinstance(stream, io.BufferedIOBase) else 0
        user_id, session_id, username, key, generation = quick.decode(bytes(buffer[:size]))
        session = ActiveSession(
            int(user_id), username, bytes.fromhex(key), int(session_id) if session_id else None
        )
        return session, generation
    except (OSError, ValueError, AttributeError, TypeError):
        return None
    finally:
        buffer[:] = bytes(len(buffer))


def check_seconds() -> float:
    """How often an idle agent asks the database whether this device's session changed:
    ``STRONGROOM_AGENT_CHECK_SECONDS`` (1 to 60), else CHECK_SECONDS."""
    try:
        wanted = float(os.environ.get("STRONGROOM_AGENT_CHECK_SECONDS", CHECK_SECONDS))
    except ValueError:
        return CHECK_SECONDS
    return min(max(wanted, 1.0), 60.0) if wanted == wanted else CHECK_SECONDS  # NaN: default


class Watch:
    """What the agent started with (its profile, and this device's session as the database
    described it), and whether it still is (see :meth:`same`)."""

    def __init__(self, settings: Settings, ctx: Context, generation: str | None = None) -> None:
        self.settings = settings
        self.ctx = ctx
        self.profile = profile(settings)
        self.stamp: Stamp | None = None
        # The lock generation: the one read before the held key's password was asked for,
        # else the one at the start.
        self.generation = generation
        if generation is None:
            self.generation = quick.generation(str(settings.data_dir))

    def _now(self) -> Stamp:
        held = self.ctx.held
        return self.ctx.backend.accounts().session_stamp(held.user_id if held else None)

    def begin(self) -> bool:
        """Whether there is anything to serve: this device's session unlocked, or (holding a
        key the password opened) exactly as it was when the password was typed."""
        from app.cli.access import still_held
        from app.cli.exits import Exit
        from app.core.errors import UserError

        if self.generation is None or not self._same_generation():
            return False  # locked since, or its file is not ours alone
        try:
            self.stamp = self._now()
            if self.ctx.held is not None:
                still_held(self.ctx, self.ctx.backend.accounts().startup())
                return self._now() == self.stamp
        except (Exit, UserError, OSError):
            return False
        return self.stamp.unlocked

    def _same_generation(self) -> bool:
        """Whether no `strongroom lock` or `logout` moved the lock generation on since."""
        return quick.generation(str(self.settings.data_dir)) == self.generation

    def same(self) -> bool:
        """Whether nothing changed: the config file and the settings in the environment (else
        commands find another socket, and `strongroom lock` another agent), and this device's
        session: the same token, account, row and wrapped key, lock state, expiry, and the
        account's own wrapped key (a password change or a rotation re-wraps it)."""
        from app.core.errors import UserError

        if profile(self.settings) != self.profile or not self._same_generation():
            return False
        try:
            return self._now() == self.stamp
        except (UserError, OSError):
            return False  # the database is away: nothing to check with, so nothing is kept


def serve(settings: Settings, *, held: bool = False) -> int:
    """Answer requests until idle for ``auto_lock_minutes``, told to stop, or anything changed
    (``held``: on the session a command hands over on standard input). Checked before every
    answer and every few seconds in between (see Watch)."""
    import signal
    import time

    from app.cli.context import Context
    from app.cli.parser import build_parser

    # A polite kill (SIGTERM) cleans up as going idle does: the socket goes, the key with it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    handed = _read_held() if held else None
    if held and handed is None:
        return 1
    opened, generation = handed if handed is not None else (None, None)
    parser = build_parser()
    path = socket_path(settings)
    with contextlib.suppress(FileExistsError):
        path.parent.mkdir(mode=0o700, parents=True)
    if not quick.private_folder(str(path.parent)):
        return 1
    ctx = Context(settings, answered_by=" (agent)")
    ctx.held = opened
    watch = Watch(settings, ctx, generation)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    last: socket.socket | None = None  # the request that ended it, answered once all is gone
    try:
        if not watch.begin():
            return 0  # locked or changed already: nothing to hold
        if not claim(listener, path):
            return 0  # another agent answers already
        # Listening: the command that started it may go (its wait ends with this pipe).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        ctx.list_ahead()
        idle = settings.security.auto_lock_minutes * 60
        every = check_seconds()
        deadline = time.monotonic() + idle
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return 0
            listener.settimeout(min(every, left))
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                if not watch.same():
                    return 0  # locked, logged out, changed: keep nothing
                continue
            if not same_user(connection):
                connection.close()
                continue
            code = _answer(connection, watch, parser, ctx)
            if code == quick.LOCKED:
                last = connection
                return 0  # locked, logged out, changed or told to stop: keep nothing
            connection.close()
            deadline = time.monotonic() + idle
    finally:
        listener.close()
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        ctx.held = None
        ctx.close()  # the decrypted items and the key go with it
        if last is not None:
            last.close()  # `strongroom lock` waits for this: by now the agent holds nothing


def claim(listener: socket.socket, path: Path) -> bool:
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


def same_user(connection: socket.socket) -> bool:
    credentials = connection.getsockopt(
        socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")
    )
    _, uid, _ = struct.unpack("3i", credentials)
    return bool(uid == os.getuid())


def _answer(
    connection: socket.socket, watch: Watch, parser: argparse.ArgumentParser, ctx: Context
) -> int:
    """Run one handed-over command line, if nothing changed since the agent started; its exit
    code (after sending the answer, except to a request to stop, answered by closing)."""
    from app.cli import table

    connection.settimeout(10)
    out, err = io.StringIO(), io.StringIO()
    mine = watch.profile
    try:
        request = quick.receive(connection)
        if request is None:
            return 1
        words = quick.decode(request)
        count = int(words[1])
        if words[0] != quick.VERSION:
            return quick.LOCKED  # a newer Strongroom asks: this agent is out of date, and goes
        theirs = words[2 : 2 + count]
        rest = words[2 + count :]
        if rest[:1] == [quick.STOP] and theirs[:2] == mine[:2]:
            # `strongroom lock` or `logout` for these folders (the config file may have
            # changed since): keep nothing.
            return quick.LOCKED
        foreign = theirs != mine
        if foreign:
            code = quick.LOCKED  # another profile's request: "go your own way"
        elif not watch.same():
            code = quick.LOCKED  # locked, logged out or changed: the command runs by itself
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
