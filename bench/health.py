"""Vault health beside KeePassXC's breach check, on the same items and the same breach file.

    python -m bench.health [--items 10000] [--lines 2000000] [--runs 3] [--kdf-ms 100]

A sorted Have I Been Pwned-style file of ``--lines`` random SHA-1 lines is written, holding the
passwords of half the benchmark's seeded items (with a count each), and one ten times larger
(kept between runs in the system's temporary folder, it takes a while to write). Measured in
the same run, alternately:

- ``keepassxc-cli analyze --hibp FILE`` on those items imported into a .kdbx (which reads the
  file line by line; its key derivation set to ``--kdf-ms``, and counted in its time);
- Strongroom's breach check of the same passwords (:class:`app.core.breach.BreachFile`,
  searching the file in place), on the file and on the one ten times larger, with the Python
  heap's peak during it; both must find the same items;
- the full report (``strongroom health``'s service: decrypt, reuse, zxcvbn, common, breach,
  unsecured, old) of the same items in a Strongroom vault, with its sealed cache empty (cold,
  once: zxcvbn is pure Python) and warm (the second run on: only decrypts).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import subprocess
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

from bench.keepass import KEEPASSXC_CLI, available, import_database, version, write_xml
from bench.startup import PASSWORD
from bench.vault import drafts, fresh_database, prepare, settings_for

Samples = dict[str, list[float]]
PREFIXES = 16**4  # a generated file is written one four-digit prefix at a time
KEPT = Path(tempfile.gettempdir()) / "strongroom-bench-hibp"  # big files, kept between runs
KEEP_FROM_LINES = 5_000_000


def _sorted_lines(lines: int, planted: dict[bytes, int], seed: int) -> Iterator[bytes]:
    """``lines`` random hashes in order, with the planted digests merged in: the same number in
    each of the 65,536 four-digit prefixes (uniform, and each prefix sorted on its own, so
    memory stays flat), as blocks of lines."""
    rng = random.Random(seed)  # benchmark data, not secrets
    by_prefix: dict[bytes, list[bytes]] = {}
    for digest in planted:
        by_prefix.setdefault(digest[:4], []).append(digest)
    base, more = divmod(lines, PREFIXES)
    for bucket in range(PREFIXES):
        prefix = b"%04X" % bucket
        count = base + (bucket < more)
        tails = rng.randbytes(18 * count).hex().upper().encode()  # 36 more digits each
        hashes = {prefix + tails[n : n + 36] for n in range(0, 36 * count, 36)}
        hashes.update(by_prefix.get(prefix, ()))
        yield b"".join(
            digest + b":" + str(planted.get(digest, 3)).encode() + b"\r\n"
            for digest in sorted(hashes)
        )


def planted_digests(passwords: list[str]) -> dict[bytes, int]:
    """Half of ``passwords``' SHA-1 digests, each with its count (1, 2, ...)."""
    from app.core.crypto import breach_digest

    return {breach_digest(p): n for n, p in enumerate(passwords[::2], 1)}


def write_breach_file(passwords: list[str], lines: int, path: Path) -> dict[bytes, int]:
    """``lines`` random hashes plus half of ``passwords``' (counts 1, 2, ...), sorted: the
    digests planted and their counts. Memory stays flat whatever ``lines`` is."""
    planted = planted_digests(passwords)
    partial = path.with_name(path.name + ".partial")
    with partial.open("wb") as out:
        for block in _sorted_lines(lines, planted, 2026):
            out.write(block)
    partial.replace(path)
    return planted


def kept_breach_file(
    passwords: list[str], lines: int, folder: Path
) -> tuple[Path, dict[bytes, int]]:
    """The breach file for these passwords and ``lines``: a big one is written once and kept
    (named by what it holds) in KEPT; a small one is written in ``folder``."""
    planted = planted_digests(passwords)
    if lines < KEEP_FROM_LINES:
        path = folder / f"pwned-{lines}.txt"
        write_breach_file(passwords, lines, path)
        return path, planted
    KEPT.mkdir(mode=0o700, exist_ok=True)
    name = hashlib.sha256(b"".join(sorted(planted))).hexdigest()[:16]
    path = KEPT / f"pwned-{lines}-{name}.txt"
    if not path.exists():
        write_breach_file(passwords, lines, path)
    return path, planted


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


class Report:
    """The full health report of the benchmark's vault, through the service the command uses."""

    def __init__(self, root: Path, items: int, breach: Path) -> None:
        from app.services.backend import Backend

        root.mkdir(parents=True, exist_ok=True)
        url = fresh_database("sqlite", root)
        prepare(url, root, items)
        self.backend = Backend(settings_for(root, url), device_label="bench")  # type: ignore[arg-type]
        self.active = self.backend.accounts().login("bench", PASSWORD, remember=False)
        self.breach = breach

    def run(self, *, cold: bool) -> tuple[float, int]:
        """(seconds, items with findings); ``cold`` empties the cache first (not timed)."""
        from app.models import HealthCache
        from app.services.health import health_report

        if cold:
            self.backend.vault().write(
                lambda db: db.query(HealthCache).delete(synchronize_session=False)
            )
        started = time.perf_counter()
        result = health_report(
            self.backend.vault(), self.active, self.backend.settings, breach_list=self.breach
        )
        return time.perf_counter() - started, len(result.report.items)

    def close(self) -> None:
        self.backend.close()


def measure_health(items: int, lines: int, runs: int, kdf_ms: int, *, peer: bool = True) -> Samples:
    """Every measure above, in ms (the heap in MiB), alternately in one run. KeePassXC's when
    ``peer`` and keepassxc-cli is installed."""
    passwords = [draft.password for draft in drafts(items)]
    samples: Samples = {
        "strongroom breach check": [],
        "strongroom breach check, 10x file": [],
        "breach check heap peak, 10x file (MiB)": [],
        "full report, cold cache": [],
        "full report, warm cache": [],
    }
    peer = peer and available()
    if peer:
        samples["keepassxc-cli analyze --hibp"] = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        breach, planted = kept_breach_file(passwords, lines, root)
        larger, _ = kept_breach_file(passwords, lines * 10, root)
        if peer:
            write_xml(items, root / "items.xml")
            import_database(root / "items.xml", root / "items.kdbx", kdf_ms)
        report = Report(root / "vault", items, breach)
        try:
            seconds, flagged = report.run(cold=True)
            samples["full report, cold cache"].append(seconds * 1000)
            for _ in range(runs):
                seconds, found, _peak = ours(passwords, breach)
                samples["strongroom breach check"].append(seconds * 1000)
                seconds, found_larger, peak = ours(passwords, larger)
                samples["strongroom breach check, 10x file"].append(seconds * 1000)
                samples["breach check heap peak, 10x file (MiB)"].append(peak / 2**20)
                warm, warm_flagged = report.run(cold=False)
                samples["full report, warm cache"].append(warm * 1000)
                leaked = len(planted)
                if peer:
                    their_seconds, leaked = theirs(root / "items.kdbx", breach)
                    samples["keepassxc-cli analyze --hibp"].append(their_seconds * 1000)
                if not found == found_larger == leaked == len(planted):
                    raise SystemExit(
                        f"found {found} ({found_larger} in the 10x file), KeePassXC {leaked}, "
                        f"planted {len(planted)}"
                    )
                if warm_flagged != flagged:
                    raise SystemExit(f"warm report: {warm_flagged} items, cold {flagged}")
        finally:
            report.close()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--kdf-ms", type=int, default=100)
    args = parser.parse_args()
    samples = measure_health(args.items, args.lines, args.runs, args.kdf_ms)
    median = {label: statistics.median(values) for label, values in samples.items() if values}
    size = f"{args.items:,} items, {args.lines:,}-line file"
    peer = version() if available() else "keepassxc-cli not installed"
    print(f"vault health, {size}, {args.runs} runs, {peer} (KDF {args.kdf_ms} ms)")
    for label, value in median.items():
        unit = "MiB" if "MiB" in label else "ms"
        print(f"  {label:<42} median {value:10.1f} {unit}")
    growth = median["strongroom breach check, 10x file"] / median["strongroom breach check"]
    print(f"  10x file / file: {growth:.2f}x (target <= 1.5x)")
    their = median.get("keepassxc-cli analyze --hibp")
    if their:
        print(
            f"  breach check / keepassxc-cli: {median['strongroom breach check'] / their:.3f}x "
            "(target <= 0.25x)"
        )
        print(
            f"  full report, warm cache / keepassxc-cli: "
            f"{median['full report, warm cache'] / their:.3f}x (target <= 0.3x)"
        )
        print(
            f"  full report, cold cache / keepassxc-cli: "
            f"{median['full report, cold cache'] / their:.2f}x (zxcvbn in pure Python)"
        )
    print(
        f"  full report: warm / cold cache: "
        f"{median['full report, warm cache'] / median['full report, cold cache']:.3f}x"
    )


if __name__ == "__main__":
    main()
