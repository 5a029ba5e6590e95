"""``strongroom get --clip``: a field copied to the clipboard, and cleared after a while.

Where it goes: Wayland's clipboard (``wl-copy``) when ``WAYLAND_DISPLAY`` is set, X's (``xclip``)
when ``DISPLAY`` is, else the terminal's (OSC 52, which works over SSH) when standard output or
standard error is one. The tools are run by absolute path from the system's folders
(app.core.tmux.TOOL_FOLDERS), never found by a PATH search: a ``wl-copy`` planted in the
working folder, or anywhere else on PATH, never sees the secret.

Inside tmux, the terminal's clipboard is tmux's named buffer ``strongroom`` instead of OSC 52
(see app.core.tmux): tmux would keep an OSC 52 copy as one more automatic buffer that no
clearing removes.

Clearing is a detached process (a session of its own, its standard streams closed, so a shell's
``$(...)`` does not wait for it, started isolated in ``/`` as the agent is). It waits
``clipboard_clear_seconds``, then clears the clipboard if it still holds what was copied: it is
given the value's SHA-256 (never the value) on a pipe, never on argv, and reads the clipboard
back with ``wl-paste``, ``xclip -o`` or ``tmux show-buffer``; in tmux, the buffer is deleted. A
terminal cannot be asked what its clipboard holds, so there it writes a space (as the app does:
a terminal ignores an empty OSC 52) whatever it holds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from app.core import tmux
from app.core.tmux import tool

CLEARED = tmux.CLEARED  # what a terminal's clipboard holds once cleared


def tools() -> tuple[list[str], list[str], list[str]] | None:
    """(copy, paste, clear) command lines for this desktop's clipboard, or None."""
    if os.environ.get("WAYLAND_DISPLAY"):
        copy, paste = tool("wl-copy"), tool("wl-paste")
        if copy and paste:
            return [copy], [paste, "--no-newline"], [copy, "--clear"]
    if os.environ.get("DISPLAY"):
        xclip = tool("xclip")
        if xclip:
            board = [xclip, "-selection", "clipboard"]
            return [*board, "-in"], [*board, "-out"], [*board, "-in"]
    return None


def terminal() -> int | None:
    """The file descriptor of standard error or output, when one is a terminal."""
    for stream in (sys.stderr, sys.stdout):
        if stream is not None and stream.isatty():
            return stream.fileno()
    return None


def osc52(value: str) -> bytes:
    import base64

    return b"\x1b]52;c;" + base64.b64encode(value.encode()) + b"\x07"


def copy(value: str, seconds: int) -> str:
    """Put ``value`` on the clipboard and start its clearer; where it went. Exit 2 when there
    is no clipboard (no desktop's tool, no terminal) or the tool fails."""
    from app.cli.exits import USAGE, Exit
    from app.core.crypto import content_digest

    digest = content_digest(value.encode())
    commands = tools()
    if commands is not None:
        try:
            done = subprocess.run(  # noqa: S603 (an absolute path, the secret on its stdin)
                commands[0],
                input=value.encode(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=10,
            )
        except (OSError, subprocess.TimeoutExpired):
            done = None
        if done is None or done.returncode != 0:
            raise Exit(USAGE, f"{os.path.basename(commands[0][0])} could not copy; nothing was.")
        clear_later({"seconds": seconds, "sha256": digest, "paste": commands[1],
                     "clear": commands[2]})  # fmt: skip
        return "the clipboard"
    fd = terminal()
    if fd is None:
        raise Exit(
            USAGE,
            "No clipboard to copy to: no terminal, and neither wl-copy (Wayland) nor xclip (X).",
        )
    server = tmux.server()
    if server is not None and tmux.load(server, value):
        clear_later({"seconds": seconds, "sha256": digest, "tmux": server})
        return "the terminal's clipboard"
    os.write(fd, osc52(value))
    clear_later({"seconds": seconds}, fd)
    return "the terminal's clipboard"


def clear_later(order: dict[str, object], fd: int | None = None) -> None:
    """Start the clearer (this module, run by itself) with ``order`` on its standard input;
    ``fd``, the terminal, is handed to it (as a copy: its standard streams are closed)."""
    kept = os.dup(fd) if fd is not None else None
    if kept is not None:
        order = {**order, "fd": kept}
    try:
        process = subprocess.Popen(  # noqa: S603 (this Python, this package, no one's input)
            [sys.executable, "-I", "-m", __name__],
            cwd="/",
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            pass_fds=() if kept is None else (kept,),
        )
    except OSError:
        return
    finally:
        if kept is not None:
            os.close(kept)
    assert process.stdin is not None
    with process.stdin:
        process.stdin.write(json.dumps(order).encode())


def clear(order: dict[str, object]) -> None:
    """The clearer: wait, then clear what was copied (see the module)."""
    seconds = order["seconds"]
    assert isinstance(seconds, int)
    time.sleep(seconds)
    fd = order.get("fd")
    if isinstance(fd, int):
        os.write(fd, osc52(CLEARED))
        return
    from app.core.crypto import content_digest

    server = order.get("tmux")
    if isinstance(server, list):
        held = tmux.holds(server)
        if held is not None and content_digest(held) == order["sha256"]:
            tmux.clear(server)
        return
    paste, wipe = order["paste"], order["clear"]
    assert isinstance(paste, list)
    assert isinstance(wipe, list)
    held = subprocess.run(paste, capture_output=True, timeout=10).stdout  # noqa: S603
    if content_digest(held) == order["sha256"]:
        subprocess.run(wipe, input=b"", capture_output=True, timeout=10)  # noqa: S603


if __name__ == "__main__":
    import contextlib

    with contextlib.suppress(OSError, ValueError, KeyError, subprocess.SubprocessError):
        clear(json.loads(sys.stdin.read()))
