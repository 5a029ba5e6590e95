"""The program `strongroom run` starts, with its output masked (app.core.masking).

When standard input and output are both a terminal, the program gets a terminal of its own (a
pseudo-terminal, as ``script`` and tmux give one): it still sees a terminal, so colours,
prompts, line editing and keyboard input work; the user's terminal is put in raw mode so that
every key reaches it (Ctrl+C included, as a byte its terminal turns into SIGINT), and is set
back on every way out. Its size follows the user's (SIGWINCH). Otherwise the program's standard
output and error are pipes, each masked; its standard input is Strongroom's own.

SIGINT, SIGTERM and SIGHUP sent to Strongroom are passed on to the program (to its process
group when it has one of its own); a signal Strongroom was started ignoring (``nohup``) stays
ignored. The exit code is the program's, or 128 + the signal that ended it.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from types import FrameType

from app.core.masking import Masker

PASSED_ON = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
CHUNK = 65536


class Relay:
    """Bytes read from one descriptor, written (masked) to another."""

    def __init__(self, source: int, target: int, masker: Masker | None) -> None:
        self.source, self.target, self.masker = source, target, masker
        self.open = True

    def read(self) -> bool:
        """One read; False at its end (a pseudo-terminal says EIO once the program's side
        is closed)."""
        try:
            data = os.read(self.source, CHUNK)
        except OSError:
            data = b""
        if not data:
            self.finish()
            return False
        self.write(self.masker.feed(data) if self.masker else data)
        return True

    def finish(self) -> None:
        if self.open and self.masker is not None:
            self.write(self.masker.flush())
        self.open = False

    def write(self, data: bytes) -> None:
        while data and self.target >= 0:
            try:
                data = data[os.write(self.target, data) :]
            except BlockingIOError:
                select.select([], [self.target], [])
            except OSError:
                self.target = -1  # the reader went away (a closed pipe, a hung-up terminal)


def run_program(
    command: list[str], environment: dict[str, str], secrets: list[str], *, masking: bool
) -> int:
    """Run ``command`` with ``environment``; its exit code (see the module). OSError when it
    cannot be started."""
    terminal = os.isatty(0) and os.isatty(1)
    if terminal:
        return _on_terminal(command, environment, secrets, masking)
    return _on_pipes(command, environment, secrets, masking)


def exit_code(process: subprocess.Popen[bytes]) -> int:
    code = process.wait()
    return 128 - code if code < 0 else code


@contextlib.contextmanager
def passing_signals(
    process: subprocess.Popen[bytes], own_group: bool, skip: tuple[int, ...] = ()
) -> Iterator[None]:
    """While the program runs: SIGINT, SIGTERM and SIGHUP go on to it."""

    def pass_on(number: int, frame: FrameType | None) -> None:
        with contextlib.suppress(OSError):
            if own_group:
                os.killpg(process.pid, number)
            else:
                os.kill(process.pid, number)

    previous: dict[int, signal._HANDLER] = {}
    for number in PASSED_ON:
        handler = signal.getsignal(number)
        if handler == signal.SIG_IGN:
            continue
        previous[number] = handler
        signal.signal(number, (lambda *_: None) if number in skip else pass_on)
    try:
        yield
    finally:
        for passed, saved in previous.items():
            signal.signal(passed, saved)


def _start(
    command: list[str], environment: dict[str, str], **options: object
) -> subprocess.Popen[bytes]:
    process: subprocess.Popen[bytes] = subprocess.Popen(  # type: ignore[call-overload]  # noqa: S603
        command, env=environment, **options
    )
    return process


def _exited(process: subprocess.Popen[bytes]) -> int | None:
    """A descriptor readable once the program has exited (None: poll instead)."""
    try:
        return os.pidfd_open(process.pid)
    except (AttributeError, OSError):
        return None


def _pump(
    process: subprocess.Popen[bytes], relays: list[Relay], typed: tuple[int, int] | None = None
) -> None:
    """Relay output (and ``typed``: keys from one descriptor to another) until the program
    exits, then what it left behind."""
    watch = _exited(process)
    keys = bytearray()
    typing = typed is not None
    try:
        while True:
            readers = [relay.source for relay in relays if relay.open]
            writers = []
            if typed is not None and keys:
                writers.append(typed[1])
            elif typed is not None and typing:
                readers.append(typed[0])
            if watch is not None:
                readers.append(watch)
            timeout = None if watch is not None else 0.05
            ready, writable, _ = select.select(readers, writers, [], timeout)
            if watch in ready or process.poll() is not None:
                break
            for relay in relays:
                if relay.open and relay.source in ready:
                    relay.read()
            if typed is not None and typed[0] in ready:
                data = _read(typed[0])
                typing = bool(data)
                keys += data or b"\x04"  # the end of input: Ctrl+D on its terminal
            if typed is not None and typed[1] in writable:
                with contextlib.suppress(BlockingIOError, OSError):
                    del keys[: os.write(typed[1], keys)]
    finally:
        if watch is not None:
            os.close(watch)
    for relay in relays:  # what it wrote before it exited
        while relay.open and select.select([relay.source], [], [], 0)[0] and relay.read():
            pass
        relay.finish()


def _read(descriptor: int) -> bytes:
    try:
        return os.read(descriptor, CHUNK)
    except OSError:
        return b""


def _on_pipes(
    command: list[str], environment: dict[str, str], secrets: list[str], masking: bool
) -> int:
    """Standard output and error through masking pipes. When standard input is a terminal the
    program stays in Strongroom's process group, the terminal's foreground (it may read it, and
    Ctrl+C reaches it from the terminal itself, so Strongroom does not pass SIGINT on twice);
    otherwise it gets a group of its own and every signal is passed on."""
    from_terminal = os.isatty(0)
    pipe = subprocess.PIPE if masking else None
    process = _start(
        command,
        environment,
        stdout=pipe,
        stderr=pipe,
        process_group=None if from_terminal else 0,
    )
    skip = (signal.SIGINT,) if from_terminal else ()
    with passing_signals(process, not from_terminal, skip):
        if masking:
            assert process.stdout is not None
            assert process.stderr is not None
            relays = [
                Relay(process.stdout.fileno(), sys.stdout.fileno(), Masker(secrets)),
                Relay(process.stderr.fileno(), sys.stderr.fileno(), Masker(secrets)),
            ]
            _pump(process, relays)
            process.stdout.close()
            process.stderr.close()
        return exit_code(process)


def _on_terminal(
    command: list[str], environment: dict[str, str], secrets: list[str], masking: bool
) -> int:
    """On a pseudo-terminal of its own (see the module)."""
    import fcntl
    import termios
    import tty

    master, slave = os.openpty()
    try:
        with contextlib.suppress(termios.error):
            termios.tcsetattr(slave, termios.TCSANOW, termios.tcgetattr(0))
        _copy_size(master)
        to_terminal = os.isatty(2)

        def controlling_terminal() -> None:
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        process = _start(
            command,
            environment,
            stdin=slave,
            stdout=slave,
            stderr=slave if to_terminal else subprocess.PIPE,
            start_new_session=True,
            preexec_fn=controlling_terminal,  # (no thread runs here: it is safe)
        )
    finally:
        os.close(slave)
    masker = (lambda: Masker(secrets)) if masking else (lambda: None)
    relays = [Relay(master, sys.stdout.fileno(), masker())]
    if process.stderr is not None:
        relays.append(Relay(process.stderr.fileno(), sys.stderr.fileno(), masker()))
    previous_size = signal.signal(signal.SIGWINCH, lambda *_: _copy_size(master))
    saved = termios.tcgetattr(0)
    try:
        with passing_signals(process, own_group=True):
            tty.setraw(0)
            os.set_blocking(master, False)
            _pump(process, relays, typed=(0, master))
    finally:
        termios.tcsetattr(0, termios.TCSAFLUSH, saved)
        signal.signal(signal.SIGWINCH, previous_size)
        os.close(master)
        if process.stderr is not None:
            process.stderr.close()
    return exit_code(process)


def _copy_size(master: int) -> None:
    """The user's terminal's size, on the program's (which then gets SIGWINCH)."""
    import fcntl
    import termios

    with contextlib.suppress(OSError):
        size = fcntl.ioctl(1, termios.TIOCGWINSZ, b"\0" * 8)
        fcntl.ioctl(master, termios.TIOCSWINSZ, size)
