"""Where `strongroom export` writes: a file or a named pipe, never a terminal. Run in tmux, so
``$(tty)`` is a real terminal, the one the person is looking at: however it is named
(``$(tty)``, ``/dev/tty``, ``/proc/self/fd/1``, a link to it) the export is refused with one
line, and not one password reaches the screen or its scrollback."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from app.core.config import Settings
from app.core.items import ItemDraft
from tests.command_line import command_in_pane, strongroom
from tests.helpers import STRONG_PASSWORD
from tests.pilot import seed
from tests.terminal import terminal
from tests.transfer import export

SECRET = "secret-that-stays-off-screen"
TTY = "TARGET"  # stands for the shell word naming the terminal, put in after quoting


def squeezed(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize(
    ("target", "before"),
    [
        ('"$(tty)"', ""),
        ("/dev/tty", ""),
        ("/proc/self/fd/1", ""),
        ("link", 'ln -s "$(tty)" link && '),
    ],
    ids=["tty", "dev-tty", "proc-self-fd-1", "link-to-tty"],
)
def test_export_to_the_terminal_is_refused_whatever_its_name(
    sqlite_settings: Settings, tmp_path: Path, target: str, before: str
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Bank", "alice", SECRET))
    pane = command_in_pane(
        settings, "export", "--format", "keepass-xml", "-o", TTY, "--force"
    ).replace(TTY, target, 1)
    with terminal(settings, 80, 24) as term:
        term.run(f"cd {tmp_path} && {before}{pane}")
        term.wait_for("Master password for alice:")
        term.type(STRONG_PASSWORD)
        term.keys("Enter")
        term.wait_for("EXIT=")
        screen = term.scrollback()
    assert "EXIT=2" in screen, screen
    # Wrapped to 80 columns (by the command at a space, by the terminal anywhere): compared
    # without the white space.
    assert squeezed("it is a terminal or another device, not a file") in squeezed(screen), screen
    assert SECRET not in screen
    assert "<KeePassFile>" not in screen
    assert "Traceback" not in screen


def test_export_into_a_named_pipe_reaches_the_program_reading_it(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    """A script's pipe is a fine target: what it reads is the whole export."""
    settings = sqlite_settings
    seed(settings, ItemDraft("Bank", "alice", SECRET))
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe, 0o600)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()), daemon=True)
    reader.start()
    done = export(settings, "--format", "bitwarden-json", "-o", str(pipe), "--force")
    reader.join(timeout=60)
    assert done.returncode == 0, done.stderr
    assert SECRET.encode() in received[0]
    # Nobody reading: one line, at once (never a hang).
    nobody = export(settings, "--format", "bitwarden-json", "-o", str(pipe), "--force")
    assert nobody.returncode == 2
    assert "Nothing is reading from the pipe" in nobody.stderr


def test_a_device_is_refused_even_unforced_and_a_link_is_never_followed(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Bank", "alice", SECRET))
    null = export(settings, "--format", "keepass-xml", "-o", "/dev/null")
    assert null.returncode == 2
    assert "terminal or another device" in null.stderr
    assert "--force" not in null.stderr  # not "exists": nothing could make it right
    target = tmp_path / "elsewhere.xml"
    target.write_text("kept")
    link = tmp_path / "link.xml"
    link.symlink_to(target)
    linked = export(settings, "--format", "keepass-xml", "-o", str(link), "--force")
    assert linked.returncode == 2
    assert "symbolic link" in linked.stderr
    assert target.read_text() == "kept"
    assert strongroom(settings, "status").returncode == 0
