"""Importing 10,000 items: `strongroom import` beside `keepassxc-cli import` of the same file.

    python -m bench.importing [--items 10000] [--runs 3] [--kdf-ms 500] [--backend sqlite]

The file is the benchmark's seeded items as a KeePass 2 XML export, which both import. Each
run is a fresh process into an empty vault: for Strongroom a new account remembered on this
device (so no master password is typed; the import reads the file, checks every item, seals
each field and writes them in one transaction), for KeePassXC a new .kdbx whose key derivation
takes ``--kdf-ms`` (Strongroom's own cost), which it pays once to write the file. Both in turn,
round by round, so each round sees the same machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import keepass
from bench.startup import PASSWORD
from bench.vault import MARIADB_URL, Samples, settings_for

STRONGROOM = Path(sys.executable).parent / "strongroom"


def _account(url: str, root: Path, username: str) -> None:
    from app.services.backend import Backend

    backend = Backend(settings_for(root, url), device_label="bench")  # type: ignore[arg-type]
    backend.accounts().register(username, PASSWORD, PASSWORD)
    backend.accounts().login(username, PASSWORD, remember=True)
    backend.close()


def _strongroom_import(url: str, root: Path, xml: Path, count: int) -> float:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(root),
        "STRONGROOM_DATABASE_URL": url,
    }
    command = [str(STRONGROOM), "--config-dir", str(root / "config"),
               "--data-dir", str(root / "data"), "import", str(xml)]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode != 0 or f"Imported {count} items" not in done.stderr:
        raise RuntimeError(f"strongroom import failed: {done.stderr.strip()[-300:]}")
    return elapsed


def _keepassxc_import(xml: Path, database: Path, kdf_ms: int) -> float:
    started = time.perf_counter()
    keepass.import_database(xml, database, kdf_ms)
    return (time.perf_counter() - started) * 1000


def measure_import(count: int, runs: int, kdf_ms: int, backend: str = "sqlite") -> Samples:
    label = f"strongroom import ({backend})"
    samples: Samples = {label: [], "keepassxc-cli import": []}
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        xml = base / "items.xml"
        keepass.write_xml(count, xml)
        for run in range(runs):
            root = base / f"run{run}"
            root.mkdir()
            url = (
                f"sqlite:///{root / 'data' / 'strongroom.db'}"
                if backend == "sqlite"
                else MARIADB_URL
            )
            username = f"import{os.getpid()}x{run}x{time.monotonic_ns()}"
            _account(url, root, username)
            samples[label].append(_strongroom_import(url, root, xml, count))
            samples["keepassxc-cli import"].append(
                _keepassxc_import(xml, root / "items.kdbx", kdf_ms)
            )
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--kdf-ms", type=int, default=500)
    parser.add_argument("--backend", choices=["sqlite", "mariadb"], default="sqlite")
    args = parser.parse_args()
    if not keepass.available():
        raise SystemExit("keepassxc-cli is not installed (Debian: apt-get install keepassxc)")
    samples = measure_import(args.items, args.runs, args.kdf_ms, args.backend)
    for measure, values in samples.items():
        print(f"{measure:<34} median {statistics.median(values):9.1f} ms")
    ours, theirs = samples.values()
    ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
    print(f"{'strongroom / keepassxc-cli':<34} median {statistics.median(ratios):9.2f} x")


if __name__ == "__main__":
    main()
