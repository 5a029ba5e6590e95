"""A 3-node Galera cluster against one MariaDB server, in the same run.

    python -m bench.galera [--items 10000] [--runs 5]

The cluster is the test suite's throwaway one (tests/galera.py: three nodes on 127.0.0.1 with
the settings of docs/galera.cnf). The same vault is imported into both; then, alternating
between them so both see the same machine, the service lists and decrypts every item, and saves
one edit. Strongroom talks to the cluster through all three hosts, as a cluster's users would
configure it; the single server is the benchmark's usual MariaDB.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench.startup import PASSWORD
from bench.vault import Samples, fresh_database, prepare, settings_for

DATABASE = "strongroom_bench_galera"
MEASURES = ("list + decrypt", "one save")


def measure_galera(count: int, runs: int) -> dict[str, Samples]:
    """Samples per target ("single", "galera"), in ms."""
    from app.core.items import ItemDraft
    from app.services.backend import Backend
    from tests.galera import GaleraCluster

    results: dict[str, Samples] = {"single": {}, "galera": {}}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        cluster = GaleraCluster(Path(tempfile.mkdtemp(prefix="strongroom-galera-")))
        try:
            cluster.start()
            cluster.sql(0, f"CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4")
            urls = {
                "single": fresh_database("mariadb", root / "single", DATABASE),
                "galera": cluster.url(database=DATABASE),
            }
            opened = {}
            for name, url in urls.items():
                prepare(url, root / name, count)
                backend = Backend(settings_for(root / name, url), device_label="bench")  # type: ignore[arg-type]
                active = backend.accounts().login("bench", PASSWORD, remember=False)
                item = backend.vault().list_items(active)[0]
                opened[name] = (backend, active, item.id)
            for run in range(runs):
                for name, (backend, active, item_id) in opened.items():
                    vault = backend.vault()
                    started = time.perf_counter()
                    items = vault.list_items(active)
                    listed = time.perf_counter() - started
                    current = next(entry for entry in items if entry.id == item_id)
                    draft = ItemDraft(current.title, current.username, f"password {run}")
                    started = time.perf_counter()
                    vault.update(active, item_id, current.version, draft)
                    saved = time.perf_counter() - started
                    results[name].setdefault("list + decrypt", []).append(listed * 1000)
                    results[name].setdefault("one save", []).append(saved * 1000)
            for backend, _, _ in opened.values():
                backend.close()
        finally:
            cluster.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results = measure_galera(args.items, args.runs)
    for measure in MEASURES:
        single = statistics.median(results["single"][measure])
        galera = statistics.median(results["galera"][measure])
        ratio = galera / single
        print(f"{measure:<16} single {single:8.1f} ms  galera {galera:8.1f} ms  {ratio:5.2f}x")


if __name__ == "__main__":
    main()
