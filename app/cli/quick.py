"""The first thing `strongroom` runs: a read command handed to a running agent, if there is one.

Python itself starts in about 15 ms; argparse, the settings and the services would add many
times that to every `strongroom get`. So before any of them is imported, a ``get``, ``ls``,
``totp`` or ``status`` goes, as its raw arguments, to the agent for this profile (see
app/cli/agent.py), which parses and runs it with the real parser and command table. Everything
else, and every read the agent cannot answer (none running, the vault locked, another profile),
takes the usual way.

Only C modules that load in well under a millisecond are imported here (``_socket`` rather
than ``socket``, which pulls in ``enum``; no ``json``, which pulls in ``re``): this file is the
whole of a warm `strongroom get` on the client's side.

The profile is everything that decides which vault a command opens: the config and data
folders, the database settings in the environment and the config file's size and time. The
socket is named by a checksum of it, and the agent answers only a request that carries exactly
its own profile.

The exchange: the request is ``1``, the number of profile parts, the parts and the arguments,
NUL-separated (none can hold a NUL); the answer is ``CODE STDOUT-LENGTH\\n``, then standard
output and standard error, as bytes. Two requests are not command lines (no command begins with
``-``): ``--held-key`` asks an agent that holds a key the master password opened for it (see
app/cli/agent.py), and ``--stop`` (sent by `strongroom lock` and `logout` to every agent socket
of the user) ends each agent on the same folders, whatever its config file's time.

The lock generation: a word in an owner-only file of the data folder (GENERATION_FILE) that
`strongroom lock` and `logout` change before they send ``--stop``. An agent compares it before
every answer and between requests, and exits when it moved: a lock that cannot reach an agent
(stopped, its queue of connections full) still ends it, and an agent a command starts after
a lock holds nothing the password typed before that lock opened.
"""

from __future__ import annotations

import _socket
import io
import os
import stat
import sys
import zlib

COMMANDS = frozenset({"get", "ls", "totp", "status"})
GLOBAL_OPTIONS = ("--config-dir", "--data-dir")
PROFILE_ENVIRONMENT = ("STRONGROOM_DATABASE_URL", "STRONGROOM_DATABASE_PASSWORD_FILE")
LOCKED = 4
LIMIT = 64 * 1024 * 1024  # a request or an answer larger than this is refused
VERSION = "1"
HELD_KEY = "--held-key"
STOP = "--stop"
GENERATION_FILE = "lock-generation"
STOP_SECONDS = 10  # the longest `strongroom lock` waits for each agent to go


def global_options(argv: list[str]) -> tuple[dict[str, str], str | None, list[str]]:
    """The global options before the command, the command (None when unclear), and the words
    after it."""
    options: dict[str, str] = {}
    words = iter(argv)
    for word in words:
        name, equals, value = word.partition("=")
        if name in GLOBAL_OPTIONS:
            options[name] = value if equals else next(words, "")
        elif word.startswith("-"):
            return options, None, []  # --help, --version, or a mistake: the full parser's
        else:
            return options, word, list(words)
    return options, None, []


def default_folder(kind: str) -> str:
    """platformdirs' folder on Linux: $XDG_CONFIG_HOME or $XDG_DATA_HOME, or their defaults."""
    variable, fallback = {
        "config": ("XDG_CONFIG_HOME", ".config"),
        "data": ("XDG_DATA_HOME", ".local/share"),
    }[kind]
    base = os.environ.get(variable, "").strip()
    if not base:
        base = os.path.join(os.path.expanduser("~"), fallback)
    return os.path.join(base, "strongroom")


def profile(config_dir: str, data_dir: str) -> list[str]:
    """Which vault a command started here, with these folders, would open."""
    config_dir, data_dir = os.path.realpath(config_dir), os.path.realpath(data_dir)
    try:
        status = os.stat(os.path.join(config_dir, "config.toml"))
        config_file = f"{status.st_size}:{status.st_mtime_ns}"
    except OSError:
        config_file = "none"
    environment = [os.environ.get(name, "") for name in PROFILE_ENVIRONMENT]
    return [config_dir, data_dir, config_file, *environment]


def socket_folder() -> str:
    base = os.environ.get("XDG_RUNTIME_DIR") or os.environ.get("TMPDIR") or "/tmp"  # noqa: S108
    return os.path.join(base, f"strongroom-{os.getuid()}")


def socket_file(parts: list[str]) -> str:
    checksum = zlib.crc32("\0".join(parts).encode("utf-8", "surrogateescape"))
    return os.path.join(socket_folder(), f"agent-{checksum:08x}.sock")


def private_folder(path: str) -> bool:
    """A folder of ours that nobody else may enter."""
    try:
        status = os.lstat(path)
    except OSError:
        return False
    return (
        stat.S_ISDIR(status.st_mode) and status.st_uid == os.getuid() and not status.st_mode & 0o077
    )


def generation(data_dir: str) -> str | None:
    """This data folder's lock generation ("" before the first lock); None when its file is
    not a plain file of ours that only we may read and write (then nothing is held)."""
    path = os.path.join(os.path.realpath(data_dir), GENERATION_FILE)
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return ""
    except OSError:
        return None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode) or status.st_uid != os.getuid():
            return None
        if status.st_mode & 0o077:
            return None
        return os.read(descriptor, 64).decode("ascii", "replace").strip()
    except OSError:
        return None
    finally:
        os.close(descriptor)


def next_generation(data_dir: str) -> bool:
    """Move this data folder's lock generation on (a new random word, written to an owner-only
    file put in place whole); whether it now reads back as that word."""
    folder = os.path.realpath(data_dir)
    word = os.urandom(16).hex()
    temporary = os.path.join(folder, f".{GENERATION_FILE}-{word}")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        descriptor = os.open(temporary, flags, 0o600)
        try:
            os.write(descriptor, word.encode("ascii") + b"\n")
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, os.path.join(folder, GENERATION_FILE))
    except OSError:
        try:  # noqa: SIM105 (contextlib is not imported here: see the module)
            os.unlink(temporary)
        except OSError:
            pass
        return False
    return generation(folder) == word


def encode(words: list[str]) -> bytes:
    return b"\0".join(word.encode("utf-8", "surrogateescape") for word in words)


def decode(data: bytes) -> list[str]:
    return [word.decode("utf-8", "surrogateescape") for word in data.split(b"\0")]


def receive(connection: _socket.socket) -> bytes | None:
    """Everything the other side sends until it closes; None past the limit."""
    chunks, size = [], 0
    while chunk := connection.recv(65536):
        chunks.append(chunk)
        size += len(chunk)
        if size > LIMIT:
            return None
    return b"".join(chunks)


def copies(argv: list[str]) -> bool:
    """Whether ``argv`` may hold ``--clip`` (or ``-c``, or a run of short options with it):
    a copy is made by the command's own process, on its own terminal, not by the agent."""
    return any(
        word.startswith("--c") or (word[:1] == "-" and word[1:2] != "-" and "c" in word)
        for word in argv
    )


def exchange(
    parts: list[str], words: list[str], path: str | None = None
) -> tuple[int, bytes, bytes] | None:
    """Send ``words`` to this profile's agent (or the one at ``path``): its exit code, standard
    output and standard error; None when no agent answers."""
    if not private_folder(socket_folder()):
        return None
    connection = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        connection.settimeout(30)
        connection.connect(path or socket_file(parts))
        connection.sendall(encode([VERSION, str(len(parts)), *parts, *words]))
        connection.shutdown(_socket.SHUT_WR)
        answer = receive(connection)
    except OSError:
        return None
    finally:
        connection.close()
    head, newline, body = (answer or b"").partition(b"\n")
    try:
        code, length = (int(number) for number in head.split(b" "))
    except ValueError:
        return None
    if not newline or length > len(body):
        return None
    return code, body[:length], body[length:]


def borrow(parts: list[str], wanted: list[str]) -> tuple[int, bytes] | None:
    """The user id and vault key an agent holds for ``wanted`` (username, user id, session id:
    what this device's session says), or None."""
    answer = exchange(parts, [HELD_KEY, *wanted])
    if answer is None or answer[0] != 0:
        return None
    try:
        user_id, key = decode(answer[1])
        return int(user_id), bytes.fromhex(key)
    except ValueError:
        return None


def stop(parts: list[str]) -> bool:
    """End this profile's agent, and any other of this user's agents on the same folders (one
    started before config.toml changed, which commands no longer find by its socket's name):
    each drops what it holds before this returns. Agents of other folders ignore the request.
    Whether every agent answered (by closing: it has gone; or with an answer: it is another
    folders'); False when one could not be reached or did not answer (stopped, its queue of
    connections full)."""
    folder = socket_folder()
    try:
        names = sorted(os.listdir(folder))
    except FileNotFoundError:
        return True  # no agent ever started
    except OSError:
        return False
    confirmed = True
    for name in names:
        if name.startswith("agent-") and name.endswith(".sock"):
            confirmed = _stop_one(parts, os.path.join(folder, name)) and confirmed
    return confirmed


def _stop_one(parts: list[str], path: str) -> bool:
    connection = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        connection.settimeout(STOP_SECONDS)
        try:
            connection.connect(path)
        except (FileNotFoundError, ConnectionRefusedError):
            return True  # a socket left by an agent that has gone
        connection.sendall(encode([VERSION, str(len(parts)), *parts, STOP]))
        connection.shutdown(_socket.SHUT_WR)
        receive(connection)  # until it closes: by then it holds nothing
    except OSError:
        return False
    finally:
        connection.close()
    return True


def handoff(argv: list[str]) -> int | None:
    """The agent's exit code for ``argv`` (its output written here), or None."""
    if not sys.platform.startswith("linux"):
        return None
    options, command, rest = global_options(argv)
    if command not in COMMANDS or "-h" in argv or "--help" in argv or copies(rest):
        return None
    if sys.stdout is None:
        return None  # standard output closed (>&-): the command run here takes it
    config_dir = options.get("--config-dir") or os.environ.get("STRONGROOM_CONFIG_DIR", "")
    parts = profile(
        config_dir.strip() or default_folder("config"),
        options.get("--data-dir") or default_folder("data"),
    )
    answer = exchange(parts, argv)
    if answer is None or answer[0] == LOCKED:
        return None  # the command itself says so, or asks for the master password
    code, stdout, stderr = answer
    try:
        sys.stdout.buffer.write(stdout)
        sys.stdout.flush()
    except OSError as error:  # a full disk, a reader gone: as a command run here says it
        return failed(error)
    sys.stderr.buffer.write(stderr)
    sys.stderr.flush()
    return code


# Standard output that cannot be written: one line and an exit code, never a traceback.
#
# A command's output may go to a full disk (``> /dev/full``) or to a reader that went away
# (``| head -1``). Python's own answer is an OSError traceback, or a complaint as it exits when
# what was buffered fails then. So a command writes through :class:`Output` (app/__main__.py
# puts it in place once no agent answered), whose failures are :class:`OutputFailed`, told
# apart from any other OSError (a database file's, say); the entry point turns one, and the
# hand-off above its own, into :func:`failed`'s line and code: a full disk says so and exits
# 2 (as an export always did); a reader gone exits quietly, 141, as a shell reports a program
# SIGPIPE ended. Here rather than in a module of its own: ``io`` is loaded with Python.


class OutputFailed(Exception):
    """Standard output could not take what a command wrote."""

    def __init__(self, error: OSError) -> None:
        super().__init__(error.strerror)
        self.error = error


class Output(io.TextIOWrapper):
    """Standard output (the same buffer and encoding), whose write failures are its own."""

    def write(self, text: str, /) -> int:
        try:
            return super().write(text)
        except OSError as error:
            raise OutputFailed(error) from None

    def flush(self) -> None:
        try:
            super().flush()
        except OSError as error:
            raise OutputFailed(error) from None


def guard() -> None:
    """Write standard output through :class:`Output` from here on. A closed standard output
    (``>&-``) becomes the null device first, so that no file opened later (the log, the
    database) takes its descriptor, and what a command prints goes nowhere."""
    stream = sys.stdout
    if stream is None:
        descriptor = os.open(os.devnull, os.O_WRONLY)
        if descriptor != 1:
            os.dup2(descriptor, 1)
            os.close(descriptor)
        sys.stdout = Output(open(1, "wb", closefd=False), encoding="utf-8")  # noqa: SIM115
        return
    stream.flush()
    sys.stdout = Output(
        stream.buffer,
        encoding=stream.encoding,
        errors=stream.errors,
        line_buffering=bool(stream.line_buffering),
    )


def unguard() -> None:
    """Standard output as Python opened it (the app draws on it, not a command)."""
    if isinstance(sys.stdout, Output):
        sys.stdout.flush()
        sys.stdout.detach()  # the buffer stays open: dropping this wrapper would close it
        sys.stdout = sys.__stdout__


def finish() -> None:
    """Write out what is still buffered while a failure can be reported."""
    if isinstance(sys.stdout, Output):
        sys.stdout.flush()


def failed(error: OSError) -> int:
    """Say in one line on standard error that standard output cannot be written (nothing,
    when its reader went away); the exit code. What is still buffered goes to the null device
    as Python exits, rather than failing there again."""
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.close(null)
    from app.cli.exits import PIPE_CLOSED, USAGE

    if isinstance(error, BrokenPipeError):
        return PIPE_CLOSED
    print(f"strongroom: cannot write the output: {error.strerror}", file=sys.stderr)
    return USAGE
