"""Launch to the login prompt in a real terminal (tmux), Strongroom next to a bare Textual app.

    python -m bench.startup [--runs 15]

Both programs are started alternately in the same run, so the ratio holds on a noisy machine.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROMPT = "Please enter your username:"
PASSWORD = "quiet orchard lantern mosaic"  # the benchmark account's, never a real one


# A private tmux server, kept alive by an idle session so that it does not exit (and race the
# next launch) every time a measured program's session ends.
TMUX = ["tmux", "-L", "strongroom-bench"]


def _ensure_server() -> None:
    if subprocess.run([*TMUX, "has-session", "-t", "keepalive"], capture_output=True).returncode:
        subprocess.run([*TMUX, "new-session", "-d", "-s", "keepalive", "sleep 3600"], check=True)


def stop_server() -> None:
    subprocess.run([*TMUX, "kill-server"], capture_output=True)


def time_to_text(command: str, text: str, timeout: float = 30.0) -> float:
    """Seconds from starting ``command`` in a 120x40 tmux window until ``text`` is on screen."""
    _ensure_server()
    session = f"bench{time.monotonic_ns()}"
    start = time.perf_counter()
    subprocess.run(
        [*TMUX, "new-session", "-d", "-s", session, "-x", "120", "-y", "40", command], check=True
    )
    screen = ""
    try:
        while time.perf_counter() - start < timeout:
            screen = subprocess.run(
                [*TMUX, "capture-pane", "-p", "-t", session], capture_output=True, text=True
            ).stdout
            if text in screen:
                return time.perf_counter() - start
            time.sleep(0.005)
        shown = "\n".join(line.rstrip() for line in screen.splitlines() if line.strip())
        raise TimeoutError(f"{text!r} did not appear within {timeout} s; the screen:\n{shown}")
    finally:
        subprocess.run([*TMUX, "kill-session", "-t", session], capture_output=True)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def prepare_profile(root: Path) -> tuple[Path, Path]:
    """A profile with one account, so Strongroom opens on the login screen."""
    from app.core.config import load_settings
    from app.services.backend import Backend

    config_dir, data_dir = root / "config", root / "data"
    settings = load_settings(config_dir, data_dir, environ={})
    backend = Backend(settings)
    backend.accounts().register("bench", PASSWORD, PASSWORD)
    backend.close()
    return config_dir, data_dir


def strongroom_command(config_dir: Path, data_dir: Path, url: str | None = None) -> str:
    python = shlex.quote(sys.executable)
    env = f"STRONGROOM_DATABASE_URL={shlex.quote(url)} " if url else ""
    return (
        f"{env}{python} -m app --config-dir {shlex.quote(str(config_dir))}"
        f" --data-dir {shlex.quote(str(data_dir))}"
    )


BARE_FORM = f"{shlex.quote(sys.executable)} -m bench.bare_form"
BARE_FORM_SQLALCHEMY = f"{BARE_FORM} --sqlalchemy"


def compile_bytecode() -> None:
    """Write the .pyc files of Strongroom and the bare form, as installing a wheel does (pip
    compiles every module it installs). Where PYTHONDONTWRITEBYTECODE is set, a launch writes
    none, and every launch measured compiled Strongroom's modules from source while Textual's
    came compiled from site-packages: a cost no installed Strongroom pays."""
    import compileall

    root = Path(__file__).resolve().parent.parent
    for package in ("app", "bench"):
        compileall.compile_dir(root / package, quiet=1)


def alternate(commands: dict[str, tuple[str, str]], runs: int) -> dict[str, list[float]]:
    """Samples (seconds) of each ``name: (command, text to wait for)``, started in turn, so
    that whatever else the machine is doing falls on all of them alike."""
    compile_bytecode()
    for command, text in commands.values():  # warm the file cache once
        time_to_text(command, text)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (command, text) in commands.items():
            samples[name].append(time_to_text(command, text))
    return samples


def measure_launch(runs: int) -> dict[str, list[float]]:
    """Launch-to-prompt samples (seconds) for Strongroom and the bare form, taken alternately."""
    with tempfile.TemporaryDirectory() as folder:
        config_dir, data_dir = prepare_profile(Path(folder))
        return alternate(
            {
                "bare Textual form": (BARE_FORM, PROMPT),
                "strongroom": (strongroom_command(config_dir, data_dir), PROMPT),
            },
            runs,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    samples = measure_launch(args.runs)
    print(f"launch to {PROMPT!r}, {args.runs} runs each, tmux 120x40")
    print(f"{'program':<20} {'median ms':>10} {'p95 ms':>10}")
    for name, values in samples.items():
        median = statistics.median(values) * 1000
        print(f"{name:<20} {median:>10.0f} {percentile(values, 0.95) * 1000:>10.0f}")
    ratio = statistics.median(samples["strongroom"]) / statistics.median(
        samples["bare Textual form"]
    )
    print(f"ratio strongroom / bare: {ratio:.2f}")


if __name__ == "__main__":
    main()
