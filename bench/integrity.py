"""The vault's integrity record: what it costs a save and an unlock, inside the same run.

    python -m bench.integrity [--items 10000] [--runs 5] [--backend sqlite|mariadb|both]

A vault without the record is not a build that exists any more, so "without" is not run: the
record's own work is timed inside the real save and the real unlock instead (every function of
app.services.integrity that a save or a read calls, wrapped with a timer), and the save and
the unlock without it are those totals less that work. For the save: checking the row before
it is changed, reading its history for the tag, the tag itself, and locking, moving and
writing the head. For the unlock beyond the KDF (list + decrypt + check): reading every
history entry and checking every item's tag and the head (the head's own two one-row reads by
primary key are not counted). Apart, and shown apart: this device's memory of the record (the
highest counter and head it saw, an owner-only file), which exists only for the record too. A
read rewrites it when it saw a higher counter; a save notes its counter in memory and the file
is written a moment later, once for a burst of saves (app.services.seen): that write is timed
after the save, on its own, and shown beside it.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.startup import PASSWORD
from bench.vault import fresh_database, prepare, settings_for

Samples = dict[str, list[float]]
# Where the record's own work is: (module, functions). A save's row check, tag and head; a
# read's history of every item and its check of every tag and the head.
SAVE_WORK = ("app.services.integrity", ("verified_history", "history_of", "tag_row", "record"))
READ_CHECK = ("app.services.integrity_reads", ("check",))
READ_HISTORY = ("app.services.integrity_check", ("all_histories",))
# This device's memory of the record: read, noted, and written (with an fsync) when it rose.
MEMORY = ("app.services.seen", ("SeenStore.load", "SeenStore.record", "SeenStore.note"))


@contextmanager
def timed(where: tuple[str, tuple[str, ...]]) -> Iterator[list[float]]:
    """Time every call of these functions (``Class.method`` for a method; seconds, summed; a
    call made inside another of them is counted once, in the outer one)."""
    import importlib

    module = importlib.import_module(where[0])
    spent, depth = [0.0], [0]

    def owner(name: str) -> Any:
        found: Any = module
        for part in name.split(".")[:-1]:
            found = getattr(found, part)
        return found

    originals = {name: getattr(owner(name), name.rsplit(".", 1)[-1]) for name in where[1]}

    def wrap(function: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            depth[0] += 1
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                depth[0] -= 1
                if not depth[0]:
                    spent[0] += time.perf_counter() - started

        return run

    for name, function in originals.items():
        setattr(owner(name), name.rsplit(".", 1)[-1], wrap(function))
    try:
        yield spent
    finally:
        for name, function in originals.items():
            setattr(owner(name), name.rsplit(".", 1)[-1], function)


def measure_integrity(backend: str, count: int, runs: int) -> Samples:
    """Alternately, ``runs`` times: one save (an edit of one item, with a password change, so
    a history entry too) and one unlock (the master password, then the whole vault listed and
    checked); each with the record's own part of it."""
    from app.core.items import ItemDraft
    from app.services.backend import Backend

    samples: Samples = {
        "save": [],
        "save: the record's own work": [],
        "save: this device's memory of it": [],
        "after a save: the memory's file written": [],
        "unlock": [],
        "unlock beyond KDF": [],
        "unlock: the record's own work": [],
        "unlock: this device's memory of it": [],
    }
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        url = fresh_database(backend, root, "strongroom_bench_integrity")
        prepare(url, root, count)
        app = Backend(settings_for(root, url), device_label="bench")  # type: ignore[arg-type]
        try:
            accounts, vault = app.accounts(), app.vault()
            active = accounts.login("bench", PASSWORD, remember=False)
            item = vault.list_items(active)[0]
            for number in range(runs + 1):  # the first of each is a warm-up, not counted
                draft = ItemDraft(item.title, item.username, f"changed-{number}")
                with timed(SAVE_WORK) as spent, timed(MEMORY) as remembered:
                    started = time.perf_counter()
                    item = vault.update(active, item.id, item.version, draft)
                    save = time.perf_counter() - started
                # What the save noted, written now rather than by its timer during the unlock.
                started = time.perf_counter()
                vault.flush_seen()
                flushed = time.perf_counter() - started
                started = time.perf_counter()
                opened = accounts.unlock(active.user_id, None, PASSWORD)
                kdf = time.perf_counter() - started
                with (
                    timed(READ_CHECK) as checking,
                    timed(READ_HISTORY) as histories,
                    timed(MEMORY) as read_remembered,
                ):
                    started = time.perf_counter()
                    vault.list_items(opened)
                    listed = time.perf_counter() - started
                if number:
                    samples["save"].append(save * 1000)
                    samples["save: the record's own work"].append(spent[0] * 1000)
                    samples["save: this device's memory of it"].append(remembered[0] * 1000)
                    samples["after a save: the memory's file written"].append(flushed * 1000)
                    samples["unlock"].append((kdf + listed) * 1000)
                    samples["unlock beyond KDF"].append(listed * 1000)
                    record = (checking[0] + histories[0]) * 1000
                    samples["unlock: the record's own work"].append(record)
                    memory = read_remembered[0] * 1000
                    samples["unlock: this device's memory of it"].append(memory)
        finally:
            app.close()
    return samples


def without(total: list[float], work: list[float]) -> list[float]:
    """Each run's total less the record's own work in it."""
    return [whole - part for whole, part in zip(total, work, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backend", choices=["sqlite", "mariadb", "both"], default="sqlite")
    args = parser.parse_args()
    backends = ["sqlite", "mariadb"] if args.backend == "both" else [args.backend]
    for backend in backends:
        samples = measure_integrity(backend, args.items, args.runs)
        for name, values in samples.items():
            print(f"{backend:8} {name:34} {statistics.median(values):9.2f} ms")
        for total, work in (
            ("save", "save: the record's own work"),
            ("unlock", "unlock: the record's own work"),
            ("unlock beyond KDF", "unlock: the record's own work"),
        ):
            ratio = statistics.median(samples[total]) / statistics.median(
                without(samples[total], samples[work])
            )
            print(f"{backend:8} {total} with / without the record's work: {ratio:.3f}x")
        for total in ("save", "unlock"):
            both = [
                work + memory
                for work, memory in zip(
                    samples[f"{total}: the record's own work"],
                    samples[f"{total}: this device's memory of it"],
                    strict=True,
                )
            ]
            ratio = statistics.median(samples[total]) / statistics.median(
                without(samples[total], both)
            )
            print(
                f"{backend:8} {total} with / without the record's work and this device's "
                f"memory of it: {ratio:.3f}x"
            )
        share = statistics.median(samples["after a save: the memory's file written"]) / (
            statistics.median(samples["save"])
        )
        print(
            f"{backend:8} the memory's file written after a save (off its path, once for a "
            f"burst of saves): {share:.2f} of a save"
        )


if __name__ == "__main__":
    main()
