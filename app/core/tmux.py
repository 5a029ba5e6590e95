"""tmux's paste buffers, for a secret copied inside tmux.

tmux keeps every OSC 52 copy it is sent (``set-clipboard on``, its default for most setups) as
a new automatic buffer, up to ``buffer-limit`` (50) of them: the space that clears a copy adds
one more and leaves the secret in the list (``tmux list-buffers``). Inside tmux a copy goes
into one named buffer instead (``load-buffer -b strongroom``, which ``-w`` also hands to the
outer terminal's clipboard as OSC 52 would), and clearing deletes that buffer. tmux is run by
absolute path from the system's folders (never found on PATH), on the server ``$TMUX`` names;
the secret is on its standard input, never on its command line.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping

TOOL_FOLDERS = ("/usr/bin", "/bin", "/usr/local/bin")
BUFFER = "strongroom"
CLEARED = " "  # what the outer terminal's clipboard holds once cleared (tmux ignores "")
TIMEOUT = 5


def tool(name: str) -> str | None:
    """``name``'s absolute path in the system's folders, or None (PATH is never searched)."""
    for folder in TOOL_FOLDERS:
        path = os.path.join(folder, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def server(environ: Mapping[str, str] | None = None) -> list[str] | None:
    """The tmux command for the server this process runs inside, or None outside tmux."""
    env = os.environ if environ is None else environ
    socket = env.get("TMUX", "").split(",")[0]
    tmux = tool("tmux")
    if not socket or tmux is None:
        return None
    return [tmux, "-S", socket]


def _run(command: list[str], value: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(  # noqa: S603 (tmux by absolute path; a secret only on stdin)
        command,
        input=value,
        stdin=None if value is not None else subprocess.DEVNULL,
        capture_output=True,
        timeout=TIMEOUT,
        check=False,
    )


def load(tmux: list[str], value: str) -> bool:
    """Put ``value`` in the named buffer (and the outer terminal's clipboard); whether tmux
    took it (one older than 3.2 has no ``-w``: the caller falls back to OSC 52)."""
    try:
        done = _run([*tmux, "load-buffer", "-w", "-b", BUFFER, "-"], value.encode())
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def holds(tmux: list[str]) -> bytes | None:
    """What the named buffer holds, or None when there is none."""
    try:
        done = _run([*tmux, "show-buffer", "-b", BUFFER])
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def clear(tmux: list[str]) -> None:
    """The outer terminal's clipboard gets a space, and the named buffer goes."""
    try:
        _run([*tmux, "load-buffer", "-w", "-b", BUFFER, "-"], CLEARED.encode())
        _run([*tmux, "delete-buffer", "-b", BUFFER])
    except (OSError, subprocess.SubprocessError):
        pass
