"""Idle: what an app left open costs while nobody types, beside a bare Textual app.

    python -m bench.idle [--runs 3] [--window 3]

Strongroom at its vault screen (a remembered launch, the list filled) and at its login form
should cost no more than a bare Textual app with one Input (bench/bare_input.py: focused, its
cursor blinking, no database): no timer that repaints, no loop that polls.
Each program is started in tmux (120x40), given time to settle, and then for ``window`` seconds
two things are counted: the CPU time of its processes (utime + stime from /proc/PID/stat, in
clock ticks, usually 100 a second) and the bytes it writes to the terminal (tmux pipe-pane).
The programs take turns, so that whatever else the machine does falls on all of them alike.

A bare app can count 0 ticks in a few seconds, and a ratio to 0 means nothing: each ratio's
reference is the bare app's median or a floor (``CPU_FLOOR`` ticks, ``BYTES_FLOOR`` bytes),
whichever is larger, and the target says so.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import Row, Target, row
from bench.startup import PROMPT, TMUX, _ensure_server, stop_server, strongroom_command

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
CPU_FLOOR = 5.0  # clock ticks (50 ms at 100 Hz) in the window
BYTES_FLOOR = 1024.0  # written to the terminal in the window
ITEMS = 100  # the vault's size does not change what idling costs
IDLE_RATIO = 1.5
IDLE_CPU = Target(
    f"<= {IDLE_RATIO}x bare Textual (bare taken as >= {CPU_FLOOR:.0f} ticks)",
    lambda r: r.median <= IDLE_RATIO,
)
IDLE_BYTES = Target(
    f"<= {IDLE_RATIO}x bare Textual (bare taken as >= {BYTES_FLOOR:.0f} bytes)",
    lambda r: r.median <= IDLE_RATIO,
)
BARE = "bare Textual Input"
BARE_INPUT = f"{shlex.quote(sys.executable)} -m bench.bare_input"
PROGRAMS = ("vault screen", "login form")
Samples = dict[str, list[float]]


def _processes(root: int) -> list[int]:
    """``root`` and every process below it."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            parents[int(entry.name)] = int(fields[1])
    found, frontier = [root], [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def _ticks(pids: list[int]) -> dict[int, int]:
    """Each live process's utime + stime, in clock ticks."""
    ticks = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        ticks[pid] = int(fields[11]) + int(fields[12])  # the 14th and 15th fields
    return ticks


def _screen(session: str) -> str:
    return subprocess.run(
        [*TMUX, "capture-pane", "-p", "-t", session], capture_output=True, text=True
    ).stdout


def idle_sample(
    command: str, text: str, folder: Path, window: float, settle: float
) -> tuple[float, float]:
    """(CPU ticks, terminal bytes) of ``command`` over ``window`` seconds of idle, counted once
    ``text`` is on its screen and ``settle`` seconds have passed."""
    _ensure_server()
    session = f"idle{time.monotonic_ns()}"
    subprocess.run(
        [*TMUX, "new-session", "-d", "-s", session, "-x", "120", "-y", "40", command], check=True
    )
    output = folder / f"{session}.out"
    try:
        deadline = time.monotonic() + 60
        while text not in _screen(session):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{text!r} did not appear within 60 s: {command}")
            time.sleep(0.02)
        time.sleep(settle)
        pane = subprocess.run(
            [*TMUX, "display-message", "-p", "-t", session, "#{pane_pid}"],
            capture_output=True,
            text=True,
            check=True,
        )
        pids = _processes(int(pane.stdout.strip()))
        subprocess.run(
            [*TMUX, "pipe-pane", "-t", session, f"cat > {shlex.quote(str(output))}"], check=True
        )
        before = _ticks(pids)
        time.sleep(window)
        after = _ticks(pids)
        subprocess.run([*TMUX, "pipe-pane", "-t", session], check=True)  # closes the pipe
        time.sleep(0.2)  # for cat to write what it was given
        ticks = sum(after[pid] - before[pid] for pid in after if pid in before)
        return float(ticks), float(output.stat().st_size if output.exists() else 0)
    finally:
        subprocess.run([*TMUX, "kill-session", "-t", session], capture_output=True)


def measure_idle(runs: int, window: float = 3.0, settle: float = 2.0) -> Samples:
    """Samples of ``{program} CPU ticks`` and ``{program} terminal bytes`` for the bare app,
    Strongroom's vault screen and its login form, taken in turn."""
    from bench.vault import fresh_database, prepare

    with tempfile.TemporaryDirectory() as name:
        root = Path(name)
        url = fresh_database("sqlite", root)
        prepare(url, root, ITEMS)  # remembered in root/config
        (root / "login-config").mkdir(mode=0o700)  # the same database, nobody remembered
        commands = {
            BARE: (BARE_INPUT, PROMPT),
            "vault screen": (
                strongroom_command(root / "config", root / "data", url),
                "items in your vault",
            ),
            "login form": (strongroom_command(root / "login-config", root / "data", url), PROMPT),
        }
        samples: Samples = {}
        for _ in range(runs):
            for program, (command, text) in commands.items():
                ticks, written = idle_sample(command, text, root, window, settle)
                samples.setdefault(f"{program} CPU ticks", []).append(ticks)
                samples.setdefault(f"{program} terminal bytes", []).append(written)
    return samples


def floored_ratio(
    group: str, measure: str, values: list[float], bare: list[float], floor: float, target: Target
) -> Row:
    """The median of ``values`` over the bare app's median, or over ``floor`` when that is
    larger (a bare app's ~0 is no reference)."""
    if not values or not bare:
        raise ValueError(f"{group}: {measure} cannot be computed: no samples")
    reference = max(statistics.median(bare), floor)
    return row(group, measure, "sqlite", [statistics.median(values) / reference], unit="x",
               target=target)  # fmt: skip


def idle_rows(samples: Samples, window: float) -> list[Row]:
    """Each program's counts, and each Strongroom screen's as a ratio to the bare app's."""
    group = f"idle for {window:g} s (tmux 120x40)"
    rows = []
    for kind, unit, floor, target in (
        ("CPU ticks", "ticks", CPU_FLOOR, IDLE_CPU),
        ("terminal bytes", "bytes", BYTES_FLOOR, IDLE_BYTES),
    ):
        bare = samples[f"{BARE} {kind}"]
        rows.append(row(group, f"{kind}: {BARE}", "-", bare, unit=unit))
        for program in PROGRAMS:
            values = samples[f"{program} {kind}"]
            rows.append(row(group, f"{kind}: Strongroom {program}", "sqlite", values, unit=unit))
            rows.append(
                floored_ratio(group, f"idle {kind}: {program} / bare", values, bare, floor, target)
            )
    return rows


def main() -> None:
    from bench.report import table

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--window", type=float, default=3.0)
    args = parser.parse_args()
    try:
        samples = measure_idle(args.runs, args.window)
    finally:
        stop_server()
    print(f"clock ticks: {TICKS_PER_SECOND} a second")
    print(table(idle_rows(samples, args.window)))


if __name__ == "__main__":
    main()
