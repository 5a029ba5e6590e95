"""Driving the installed `strongroom` command in tmux, as a person at a terminal would.

What a test reads here is what the terminal shows (``capture-pane``) and what its clipboard
holds (tmux's paste buffer, which an OSC 52 copy sets when ``set-clipboard`` is on): never the
app's own variables.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from app.core.config import Settings
from tests.helpers import need

STRONGROOM = Path(sys.executable).parent / "strongroom"
BEFORE = "clipboard-before-the-test"


def write_config(settings: Settings, **extra: int) -> None:
    """The test's fast key-derivation costs, in the config file the real command reads."""
    security = settings.security
    values = {
        "argon2_memory_kib": security.argon2_memory_kib,
        "argon2_iterations": security.argon2_iterations,
        "argon2_parallelism": security.argon2_parallelism,
        "bcrypt_cost": security.bcrypt_cost,
        **extra,
    }
    settings.config_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = settings.config_dir / "config.toml"
    lines = ["[security]", *(f"{key} = {value}" for key, value in values.items())]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)


def wait_until(
    condition: object, what: str, timeout: float = 20.0, shown: Callable[[], str] = str
) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` (and ``shown()``, what was
    there to see) when it never does within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"never: {what}{shown()}")


class Terminal:
    def __init__(self, settings: Settings, width: int = 120, height: int = 40) -> None:
        """The app is drawn at ``width`` x ``height`` and follows a resize (it takes the
        terminal's size over any COLUMNS and LINES in its environment)."""
        self.settings = settings
        self.socket = self._new_socket()
        self.size = (width, height)

    @staticmethod
    def _new_socket() -> str:
        """A tmux server of this terminal's own, whichever worker (pytest -n) runs the test."""
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        return f"strongroom-test-{worker}-{os.getpid()}-{time.monotonic_ns()}"

    def tmux(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=check
        )
        return done.stdout

    def launch(self, *, agent: bool = False) -> None:
        """Start (or start again) the real command; a shell stays to say when it exited. The
        command line's agent, which the app starts once it opens a remembered vault, is off
        in config.toml unless ``agent`` (or the test's config.toml already says), so that a
        test does not leave an agent behind it."""
        settings = self.settings
        config = settings.config_dir / "config.toml"
        text = config.read_text() if config.exists() else ""
        if not agent and "command_line_agent" not in text:  # (on is the default)
            settings.config_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            config.write_text("command_line_agent = false\n" + text)
            config.chmod(0o600)
        command = (
            f"STRONGROOM_DATABASE_URL={shlex.quote(settings.database_url)} "
            f"{shlex.quote(str(STRONGROOM))} --config-dir {shlex.quote(str(settings.config_dir))} "
            f"--data-dir {shlex.quote(str(settings.data_dir))}; echo STRONGROOM-EXITED; sleep 60"
        )
        self.run(command)

    def run(self, command: str) -> None:
        """Start a shell command as the terminal's one session ("t"), on an empty screen."""
        width, height = self.size
        if self._alive():
            # A new server on a new socket, so the screen starts empty: killing the session
            # and starting another at once could reach the old server as it exits.
            self.close()
            self.socket = self._new_socket()
        self.tmux("new-session", "-d", "-s", "t", "-x", str(width), "-y", str(height), command)
        self.tmux("set-option", "-g", "set-clipboard", "on")
        self.tmux("set-buffer", BEFORE)

    def _alive(self) -> bool:
        return bool(self.tmux("list-sessions", check=False).strip())

    def resize(self, width: int, height: int) -> None:
        """Make the terminal this size, as a person dragging its window would."""
        self.size = (width, height)
        self.tmux("resize-window", "-t", "t", "-x", str(width), "-y", str(height))

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "t", *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "t", "-l", text)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "t")

    def scrollback(self) -> str:
        return self.tmux("capture-pane", "-p", "-S", "-", "-t", "t")

    def clipboard(self) -> str:
        return self.tmux("show-buffer", check=False)

    def palette(self, command: str) -> None:
        """Run a command from the command palette (Ctrl+P), as a person would."""
        self.keys("C-p")
        self.wait_for("Search for commands")
        self.type(command)
        self.wait_for(command)
        self.keys("Enter")

    def settled(self, quiet: float = 0.3, timeout: float = 20.0) -> str:
        """The screen once it has stayed the same for ``quiet`` seconds (a scroll or a
        repaint ended), or as it is after ``timeout``."""
        deadline = time.monotonic() + timeout
        shown, since = self.screen(), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            now = self.screen()
            if now != shown:
                shown, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                break
        return shown

    def wait_for(self, text: str, timeout: float = 20.0) -> None:
        self.wait_until(lambda: text in self.screen(), f"{text!r} on screen", timeout)

    def wait_until(self, condition: object, what: str, timeout: float = 20.0) -> None:
        wait_until(condition, what, timeout, shown=lambda: f"\n--- screen ---\n{self.screen()}")

    def app_pid(self) -> int:
        """The strongroom process in the pane (a child of the pane's shell)."""
        shell = self.tmux("display-message", "-p", "-t", "t", "#{pane_pid}").strip()
        children = subprocess.run(
            ["pgrep", "-P", shell], capture_output=True, text=True, check=True
        ).stdout.split()
        return int(children[0])

    def signal(self, number: signal.Signals) -> None:
        os.kill(self.app_pid(), number)

    def close(self) -> None:
        self.tmux("kill-server", check=False)


@contextmanager
def terminal(settings: Settings, width: int = 120, height: int = 40) -> Iterator[Terminal]:
    need("tmux")
    if not STRONGROOM.exists():
        pytest.fail(f"the installed command {STRONGROOM} is missing (pip install -e .)")
    term = Terminal(settings, width, height)
    try:
        yield term
    finally:
        term.close()
