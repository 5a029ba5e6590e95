"""The breach check beside KeePassXC's, on the same items and the same breach file.

    python -m bench.health [--items 10000] [--lines 2000000] [--runs 3] [--kdf-ms 100]

A sorted Have I Been Pwned-style file of ``--lines`` random SHA-1 lines is written, holding the
passwords of half the benchmark's seeded items (with a count each). Measured in the same run:
``keepassxc-cli analyze --hibp FILE`` on those items imported into a .kdbx (which reads the
file line by line; its key derivation set to ``--kdf-ms``, and counted in its time), and
Strongroom's breach check of the same passwords (:class:`app.core.breach.BreachFile`, searching
the file in place), with the Python heap's peak during it. Both must find the same items.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import tempfile
import time
import tracemalloc
from pathlib import Path

from bench.keepass import KEEPASSXC_CLI, available, import_database, version, write_xml
from bench.startup import PASSWORD
from bench.vault import drafts


def write_breach_file(passwords: list[str], lines: int, path: Path) -> dict[bytes, int]:
    """``lines`` random hashes plus half of ``passwords``' (counts 1, 2, ...), sorted: the
    digests planted and their counts."""
    from app.core.crypto import breach_digest

    rng = random.Random(2026)  # benchmark data, not secrets
    planted = {breach_digest(p): n for n, p in enumerate(passwords[::2], 1)}
    hashes = {rng.randbytes(20).hex().upper().encode() for _ in range(lines)} | set(planted)
    with path.open("wb") as out:
        for digest in sorted(hashes):
            out.write(digest + b":" + str(planted.get(digest, 3)).encode() + b"\r\n")
    return planted


def ours(passwords: list[str], path: Path) -> tuple[float, int, int]:
    """(seconds, items found, peak Python heap bytes) for Strongroom's breach check."""
    from app.core.breach import BreachFile
    from app.core.crypto import breach_digest

    started = time.perf_counter()
    source = BreachFile(path)
    found = source.counts([breach_digest(p) for p in passwords])
    source.close()
    seconds = time.perf_counter() - started
    # The heap's peak in a second pass (tracing slows every allocation: not in the timing).
    tracemalloc.start()
    source = BreachFile(path)
    source.counts([breach_digest(p) for p in passwords])
    source.close()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, len(found), peak


def theirs(database: Path, path: Path) -> tuple[float, int]:
    """(seconds, entries reported leaked) for ``keepassxc-cli analyze --hibp``."""
    started = time.perf_counter()
    done = subprocess.run(
        [KEEPASSXC_CLI, "analyze", "-q", "--hibp", str(path), str(database)],
        input=f"{PASSWORD}\n",
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started, done.stdout.count("has been leaked")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--kdf-ms", type=int, default=100)
    args = parser.parse_args()
    if not available():
        raise SystemExit("keepassxc-cli is not installed: nothing to compare with.")
    passwords = [draft.password for draft in drafts(args.items)]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        breach = root / "pwnedpasswords.txt"
        planted = write_breach_file(passwords, args.lines, breach)
        write_xml(args.items, root / "items.xml")
        import_database(root / "items.xml", root / "items.kdbx", args.kdf_ms)
        mine, peer, peaks = [], [], []
        for _ in range(args.runs):
            seconds, found, peak = ours(passwords, breach)
            their_seconds, leaked = theirs(root / "items.kdbx", breach)
            if found != len(planted) or leaked != len(planted):
                raise SystemExit(f"found {found}, KeePassXC {leaked}, planted {len(planted)}")
            mine.append(seconds)
            peer.append(their_seconds)
            peaks.append(peak)
    ratio = statistics.median(mine) / statistics.median(peer)
    size = f"{args.items:,} items, {args.lines:,}-line file"
    print(f"breach check, {size}, {args.runs} runs, {version()} (KDF {args.kdf_ms} ms)")
    print(f"  strongroom (BreachFile)       median {statistics.median(mine) * 1000:8.0f} ms")
    print(f"  keepassxc-cli analyze --hibp  median {statistics.median(peer) * 1000:8.0f} ms")
    print(f"  ratio {ratio:.3f}x (target <= 0.25x); Python heap peak {max(peaks) / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
