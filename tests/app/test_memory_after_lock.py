"""After a lock, the app's memory holds no decrypted text it showed or was typed: a revealed
password and a draft typed into the item form are scanned for in the running process
(``/proc/PID/mem``, every readable mapping, as UTF-8/Latin-1, UCS-2 and UCS-4, the forms
CPython stores a string in) and are there before the lock (so the scan can fail), gone after.

What the scan leaves out, and says so: the text as drawn, inside the escape sequences sent to
the terminal (the frames on their way to it, like the terminal's own scrollback and tmux's
history, are outside what a lock can take back)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from app.core.config import Settings
from app.core.items import ItemDraft
from tests.pilot import seed
from tests.terminal import Terminal, terminal, write_config

REVEALED = "Rvl-Canary-91qz"
TYPED = "Typed-Canary-Draft-48kx"
ENCODINGS = ("utf-8", "utf-16-le", "utf-32-le")
DRAWN = re.compile(r"\x1b\[[0-9;]*m\Z")  # the text right after a colour: a frame being drawn


def readable(pid: int) -> list[tuple[int, int]]:
    regions = []
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        fields = line.split()
        name = fields[5] if len(fields) > 5 else ""
        if "r" in fields[1] and name not in ("[vvar]", "[vvar_vclock]", "[vsyscall]"):
            start, end = (int(part, 16) for part in fields[0].split("-"))
            regions.append((start, end))
    return regions


def copies(pid: int, canary: str) -> tuple[int, int]:
    """How many copies of ``canary`` the process holds: (kept, drawn), where drawn ones sit
    right after an escape sequence, in a frame written to the terminal."""
    kept = drawn = 0
    with open(f"/proc/{pid}/mem", "rb", buffering=0) as memory:
        for start, end in readable(pid):
            try:
                memory.seek(start)
                data = memory.read(end - start)
            except OSError:
                continue  # a mapping that went, or that cannot be read (a guard page)
            for encoding in ENCODINGS:
                pattern, width = canary.encode(encoding), len("a".encode(encoding))
                at = data.find(pattern)
                while at != -1:
                    before = data[max(0, at - 32 * width) : at].decode(encoding, "ignore")
                    if DRAWN.search(before):
                        drawn += 1
                    else:
                        kept += 1
                    at = data.find(pattern, at + 1)
    return kept, drawn


def type_by_hand(term: Terminal, text: str) -> None:
    """One key at a time, as a person types (one read of the terminal each)."""
    for character in text:
        term.type(character)


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux's /proc")
def test_a_revealed_password_and_a_typed_draft_leave_memory_on_lock(
    sqlite_settings: Settings,
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Site", username="alice", password=REVEALED))
    write_config(settings)
    with terminal(settings, 120, 40) as term:
        term.launch()
        term.wait_for("1 item in your vault")
        term.keys("C-r")  # reveal the password in the detail pane
        term.wait_for(REVEALED)
        term.keys("C-n")
        term.wait_for("New item")
        type_by_hand(term, TYPED)
        term.wait_for(TYPED)
        pid = term.app_pid()
        assert os.access(f"/proc/{pid}/mem", os.R_OK)
        for canary in (REVEALED, TYPED):
            kept, _ = copies(pid, canary)
            assert kept > 0, f"the scan cannot see {canary} even before the lock"

        term.keys("C-l")
        term.wait_for("Vault locked for alice")
        term.wait_until(
            lambda: all(copies(pid, canary)[0] == 0 for canary in (REVEALED, TYPED)),
            "no copy of the revealed password or the draft in the app's memory",
        )
        assert term.app_pid() == pid  # the same process, still running
