"""The program `strongroom run` starts, with its output masked (app.core.masking).

When standard input and output are both a terminal, the program gets a terminal of its own (a
pseudo-terminal, as ``script`` and tmux give one): it still sees a terminal, so colours,
prompts, line editing and keyboard input work; the user's terminal is put in raw mode so that
every key reaches it (Ctrl+C included, as a byte its terminal turns into SIGINT), and is set
back on every way out. Its size follows the user's (SIGWINCH). Ctrl+Z, when the program's
terminal would turn it into SIGTSTP, stops the program and Strongroom as one job (the user's
terminal set back first); ``fg`` continues both, in raw mode again. Otherwise the program's standard
output and error are pipes, each masked; its standard input is Strongroom's own.

SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM and every other signal that would
end Strongroom and that one process sends another (PASSED_ON) are passed on to the program (to
its process group when it has one of its own); a signal Strongroom was started ignoring
(``nohup``) stays ignored. Should Strongroom leave for any other reason while the program runs,
the program is sent SIGTERM first, never left running on its own with the secrets in its
environment (only SIGKILL, which no process can see, leaves it so). The exit code is the
program's, or 128 + the signal that ended it.
"""

from __future__ import annotations

import os
import select
import signal

from app.core.masking import Masker

# No subprocess, contextlib or typing: a warm `strongroom run` imports this (app.cli.commands.run),
# and os.posix_spawnp starts a program without them.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

# Every signal that would end Strongroom and that a process sends to another (not a fault of
# its own, as SIGSEGV is): passed on, so that the program is never left running without it.
NAMES = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGVTALRM",
         "SIGPROF", "SIGIO", "SIGXCPU", "SIGPWR", "SIGSTKFLT")  # fmt: skip
REAL_TIME = range(signal.SIGRTMIN, signal.SIGRTMAX + 1) if hasattr(signal, "SIGRTMIN") else ()
PASSED_ON = (*(getattr(signal, name) for name in NAMES if hasattr(signal, name)), *REAL_TIME)
CHUNK = 65536


class Program:
    """A started program: its process id, and its exit code once it has exited."""

    def __init__(self, command: list[str], environment: dict[str, str], **spawn: object) -> None:
        """Start ``command`` (OSError when it cannot be: not found, not executable). The
        signals Python ignores for itself (SIGPIPE, SIGXFSZ) are the default again in it, and
        nothing is blocked, as subprocess does."""
        self.code: int | None = None
        self.pid = os.posix_spawnp(
            command[0],
            command,
            environment,
            setsigdef=(signal.SIGPIPE, signal.SIGXFSZ),
            setsigmask=(),
            **spawn,  # type: ignore[arg-type]
        )

    def poll(self) -> int | None:
        if self.code is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.code = _exit_code(status)
        return self.code

    def wait(self) -> int:
        """Its exit code, or 128 + the signal that ended it."""
        while self.code is None:
            try:
                _, status = os.waitpid(self.pid, 0)
            except ChildProcessError:
                self.code = 255
            else:
                self.code = _exit_code(status)
        return self.code


def _exit_code(status: int) -> int:
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


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
    if os.isatty(0) and os.isatty(1):
        return _on_terminal(command, environment, secrets, masking)
    return _on_pipes(command, environment, secrets, masking)


class PassingSignals:
    """While the program runs: the signals of PASSED_ON go on to it (to its process group
    when it has one of its own), but those in ``skip`` (ignored here, the program's own
    terminal sends them), and those Strongroom was started ignoring (``nohup``). Left with
    the program still running (an error here), it is sent SIGTERM."""

    def __init__(self, program: Program, own_group: bool, skip: tuple[int, ...] = ()) -> None:
        self.program, self.own_group, self.skip = program, own_group, skip
        self.previous: dict[int, Callable[[int, object], object] | int | None] = {}

    def pass_on(self, number: int, frame: object) -> None:
        try:
            if self.own_group:
                os.killpg(self.program.pid, number)
            else:
                os.kill(self.program.pid, number)
        except OSError:
            pass  # it has gone already

    def __enter__(self) -> None:
        for number in PASSED_ON:
            handler = signal.getsignal(number)
            if handler == signal.SIG_IGN:
                continue
            self.previous[number] = handler  # type: ignore[assignment]
            signal.signal(number, (lambda *_: None) if number in self.skip else self.pass_on)

    def __exit__(self, *exception: object) -> None:
        for number, handler in self.previous.items():
            signal.signal(number, handler)
        if self.program.code is None:
            try:
                if self.program.poll() is None:
                    self.pass_on(signal.SIGTERM, None)
            except ChildProcessError:
                pass


def _exited(program: Program) -> int | None:
    """A descriptor readable once the program has exited (None: poll instead)."""
    try:
        return os.pidfd_open(program.pid)
    except (AttributeError, OSError):
        return None


def _pump(
    program: Program,
    relays: list[Relay],
    typed: tuple[int, int] | None = None,
    suspend: Callable[[], None] | None = None,
) -> None:
    """Relay output (and ``typed``: keys from one descriptor to another) until the program
    exits, then what it left behind; ``suspend``, called for the key that stops a program
    (Ctrl+Z) when its terminal would stop it, in place of passing that key on."""
    watch = _exited(program)
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
            if watch in ready or program.poll() is not None:
                break
            for relay in relays:
                if relay.open and relay.source in ready:
                    relay.read()
            if typed is not None and typed[0] in ready:
                data = _read(typed[0])
                typing = bool(data)
                stop = _stop_key(typed[1]) if suspend is not None else None
                if stop is not None and stop in data:
                    first, *rest = data.split(stop)
                    keys += first
                    for part in rest:
                        suspend()  # type: ignore[misc]
                        keys += part
                    continue
                keys += data or b"\x04"  # the end of input: Ctrl+D on its terminal
            if typed is not None and typed[1] in writable:
                try:  # noqa: SIM105 (contextlib is not imported here: see the top)
                    del keys[: os.write(typed[1], keys)]
                except OSError:
                    pass  # full (BlockingIOError) or gone: select says when to try again
    finally:
        if watch is not None:
            os.close(watch)
    for relay in relays:  # what it wrote before it exited
        while relay.open and select.select([relay.source], [], [], 0)[0] and relay.read():
            pass
        relay.finish()


def _stop_key(master: int) -> bytes | None:
    """The key the program's terminal turns into SIGTSTP (Ctrl+Z), or None when it turns
    none into it (the program reads keys raw, as an editor does: Ctrl+Z is its own)."""
    import termios

    try:
        attributes = termios.tcgetattr(master)
    except termios.error:
        return None
    key = attributes[6][termios.VSUSP]
    if not attributes[3] & termios.ISIG or key in (b"\0", 0):
        return None
    return key if isinstance(key, bytes) else bytes([key])


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
    group = {} if from_terminal else {"setpgroup": 0}
    skip = (signal.SIGINT, signal.SIGQUIT) if from_terminal else ()
    if not masking:
        program = Program(command, environment, **group)
        with PassingSignals(program, not from_terminal, skip):
            return program.wait()
    # One pipe for both when they go to one file: two would each hold back their own part of
    # a secret split between them (and reorder what they hold).
    pipes = [os.pipe()] if _same_file(1, 2) else [os.pipe(), os.pipe()]
    targets = [(1, 2)] if len(pipes) == 1 else [(1,), (2,)]
    actions = [
        (os.POSIX_SPAWN_DUP2, pipe[1], target)
        for pipe, both in zip(pipes, targets, strict=True)
        for target in both
    ]
    try:
        program = Program(command, environment, file_actions=actions, **group)
    except OSError:
        for pipe in pipes:
            os.close(pipe[0])
            os.close(pipe[1])
        raise
    for pipe in pipes:
        os.close(pipe[1])
    relays = [
        Relay(pipe[0], both[0], Masker(secrets)) for pipe, both in zip(pipes, targets, strict=True)
    ]
    try:
        with PassingSignals(program, not from_terminal, skip):
            _pump(program, relays)
            return program.wait()
    finally:
        for pipe in pipes:
            os.close(pipe[0])


def _same_file(first: int, second: int) -> bool:
    """Whether two descriptors write to one file, pipe or socket (``> out 2>&1``)."""
    try:
        one, two = os.fstat(first), os.fstat(second)
    except OSError:
        return False
    return (one.st_dev, one.st_ino) == (two.st_dev, two.st_ino)


def _on_terminal(
    command: list[str], environment: dict[str, str], secrets: list[str], masking: bool
) -> int:
    """On a pseudo-terminal of its own (see the module): the program starts a session and
    opens the terminal's other side by name, which makes it its controlling terminal."""
    import termios
    import tty

    master, slave = os.openpty()
    err: tuple[int, int] | None = None
    try:
        try:  # noqa: SIM105 (contextlib is not imported here: see the top)
            termios.tcsetattr(slave, termios.TCSANOW, termios.tcgetattr(0))
        except termios.error:
            pass
        _copy_size(master)
        actions: list[tuple[object, ...]] = [
            (os.POSIX_SPAWN_OPEN, 0, os.ttyname(slave), os.O_RDWR, 0)
        ]
        actions.append((os.POSIX_SPAWN_DUP2, 0, 1))
        if os.isatty(2):
            actions.append((os.POSIX_SPAWN_DUP2, 0, 2))
        else:
            err = os.pipe()
            actions.append((os.POSIX_SPAWN_DUP2, err[1], 2))
        program = Program(command, environment, file_actions=actions, setsid=True)
    except OSError:
        os.close(master)
        if err is not None:
            os.close(err[0])
        raise
    finally:
        os.close(slave)
        if err is not None:
            os.close(err[1])
    masker = (lambda: Masker(secrets)) if masking else (lambda: None)
    relays = [Relay(master, 1, masker())]
    if err is not None:
        relays.append(Relay(err[0], 2, masker()))
    previous_size = signal.signal(signal.SIGWINCH, lambda *_: _copy_size(master))
    saved = termios.tcgetattr(0)

    def suspend() -> None:
        """Ctrl+Z: the program stopped (its own terminal cannot: it leads a session of its
        own, whose stop signals the kernel drops), the user's terminal set back, and
        Strongroom stopped as a job is; once continued (fg), all three undone."""
        try:
            os.killpg(program.pid, signal.SIGSTOP)
        except OSError:
            return
        try:  # noqa: SIM105 (contextlib is not imported here: see the top)
            termios.tcsetattr(0, termios.TCSAFLUSH, saved)
        except termios.error:
            pass
        os.kill(os.getpid(), signal.SIGTSTP)  # returns once continued (SIGCONT)
        try:  # noqa: SIM105
            tty.setraw(0)
        except termios.error:
            pass
        _copy_size(master)
        try:  # noqa: SIM105
            os.killpg(program.pid, signal.SIGCONT)
        except OSError:
            pass

    try:
        with PassingSignals(program, own_group=True):
            tty.setraw(0)
            os.set_blocking(master, False)
            _pump(program, relays, typed=(0, master), suspend=suspend)
            return program.wait()
    finally:
        try:  # noqa: SIM105 (contextlib is not imported here: see the top)
            termios.tcsetattr(0, termios.TCSAFLUSH, saved)
        except termios.error:
            pass  # the terminal has gone (closed: SIGHUP, passed on)
        signal.signal(signal.SIGWINCH, previous_size)
        os.close(master)
        if err is not None:
            os.close(err[0])


def _copy_size(master: int) -> None:
    """The user's terminal's size, on the program's (which then gets SIGWINCH)."""
    import fcntl
    import termios

    try:
        size = fcntl.ioctl(1, termios.TIOCGWINSZ, b"\0" * 8)
        fcntl.ioctl(master, termios.TIOCSWINSZ, size)
    except OSError:
        pass
