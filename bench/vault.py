"""The vault at 10,000 items: unlock, remembered launch, search keystrokes, memory.

    python -m bench.vault [--items 10000] [--backend sqlite|mariadb|both] [--json FILE]

Items come from a fixed seed and go in through VaultController.add_many, sealed exactly as the
app seals them. The account uses Strongroom's default (production) Argon2id and bcrypt costs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.startup import percentile, time_to_text

PASSWORD = "quiet orchard lantern mosaic"
WORDS = "amber birch cedar delta ember fjord grove harbor island juniper kestrel lumen meadow "
WORDS += "nectar orbit pepper quartz raven sierra tundra umber violet willow xenon yarrow zephyr"
MARIADB_URL = os.environ.get(
    "STRONGROOM_BENCH_MARIADB_URL", "mariadb+mariadbconnector://root@127.0.0.1:3306/test"
)


def drafts(count: int, seed: int = 20261130) -> list[object]:
    from app.items import ItemDraft

    rng = random.Random(seed)  # benchmark data, not secrets
    words = WORDS.split()
    items = []
    for number in range(count):
        site = f"{rng.choice(words)}{rng.choice(words)}{number}"
        items.append(
            ItemDraft(
                title=f"{site.capitalize()} account",
                username=f"{rng.choice(words)}.{rng.choice(words)}@example.org",
                password="".join(
                    rng.choice("abcdefghijkmnpqrstuvwxyz23456789!#%") for _ in range(20)
                ),
                urls=(f"https://{site}.example.com/login",),
                notes=" ".join(rng.choice(words) for _ in range(rng.randint(0, 30))),
                tags=tuple(rng.sample(words, rng.randint(0, 3))),
                favourite=rng.random() < 0.02,
            )
        )
    return items


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def prepare(url: str, root: Path, count: int) -> dict[str, float]:
    """Register, remember this device, import the items; return the login split (ms)."""
    from app import crypto
    from app.backend import Backend
    from app.config import load_settings
    from app.models import User
    from app.passwords import normalize_password

    settings = load_settings(
        root / "config", root / "data", environ={"STRONGROOM_DATABASE_URL": url}
    )
    backend = Backend(settings, device_label="bench")
    accounts = backend.accounts()
    accounts.register("bench", PASSWORD, PASSWORD)
    active = accounts.login("bench", PASSWORD, remember=True)
    started = time.perf_counter()
    backend.vault().add_many(active, drafts(count))  # type: ignore[arg-type]
    imported = time.perf_counter() - started

    timings: dict[str, list[float]] = {
        "argon2id": [],
        "bcrypt": [],
        "login total": [],
        "list + decrypt": [],
    }
    with backend._database.sessions() as db:  # type: ignore[union-attr]
        user = db.query(User).one()
        params = crypto.KdfParams(
            user.kdf_algorithm, user.kdf_memory_kib, user.kdf_iterations, user.kdf_parallelism
        )
        salt, verifier = user.kdf_salt, user.verifier
    for _ in range(5):
        t0 = time.perf_counter()
        keys = crypto.derive_keys(normalize_password(PASSWORD), salt, params)
        t1 = time.perf_counter()
        crypto.check_verifier(keys.authentication_key, verifier)
        t2 = time.perf_counter()
        session = accounts.login("bench", PASSWORD, remember=False)
        t3 = time.perf_counter()
        backend.vault().list_items(session)
        t4 = time.perf_counter()
        timings["argon2id"].append(t1 - t0)
        timings["bcrypt"].append(t2 - t1)
        timings["login total"].append(t3 - t2)
        timings["list + decrypt"].append(t4 - t3)
    backend.close()
    result = {name: statistics.median(values) * 1000 for name, values in timings.items()}
    result["login other"] = result["login total"] - result["argon2id"] - result["bcrypt"]
    result["import"] = imported * 1000
    return result


async def in_app(root: Path, url: str) -> dict[str, float]:
    """Remembered launch to a filled list, search keystrokes and memory, in a headless app."""
    from app.config import load_settings
    from app.factory import make_app
    from app.screens.vault import VaultScreen
    from app.widgets.item_list import ItemList

    settings = load_settings(
        root / "config", root / "data", environ={"STRONGROOM_DATABASE_URL": url}
    )
    app = make_app(settings)
    started = time.perf_counter()
    async with app.run_test(size=(120, 40)) as pilot:
        while not (isinstance(app.screen, VaultScreen) and app.screen.loaded):
            await pilot.pause(0.002)
        filled = time.perf_counter() - started
        screen = app.screen
        listing = screen.query_one(ItemList)
        search = screen.query_one("#search")
        search.focus()
        keystrokes: list[float] = []
        for word in ("orchard", "juniper", "willow.zephyr", "xyzzy"):
            search.value = ""  # type: ignore[attr-defined]
            await pilot.pause()
            for character in word:
                t0 = time.perf_counter()
                search.value += character  # type: ignore[attr-defined]
                screen._search_changed()
                for y in range(listing.size.height):  # the repaint: every visible row
                    listing.render_line(y)
                keystrokes.append(time.perf_counter() - t0)
                await pilot.pause()
        memory = rss_mib()
    return {
        "remembered launch to filled list (headless)": filled * 1000,
        "keystroke p50": statistics.median(keystrokes) * 1000,
        "keystroke p95": percentile(keystrokes, 0.95) * 1000,
        "resident memory MiB": memory,
    }


def run_backend(name: str, count: int) -> dict[str, float]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        if name == "sqlite":
            url = f"sqlite:///{root / 'data' / 'strongroom.db'}"
        else:
            database = "strongroom_bench"
            admin = create_engine(MARIADB_URL)
            with admin.begin() as connection:
                connection.execute(text(f"DROP DATABASE IF EXISTS {database}"))
                connection.execute(text(f"CREATE DATABASE {database} CHARACTER SET utf8mb4"))
            admin.dispose()
            url = make_url(MARIADB_URL).set(database=database).render_as_string(False)
        result = prepare(url, root, count)
        # Memory and search in a fresh process, so the import above does not count.
        probe = subprocess.run(
            [sys.executable, "-m", "bench.vault", "--probe", str(root), "--url", url],
            capture_output=True,
            text=True,
            check=True,
        )
        result.update(json.loads(probe.stdout))
        command = (
            f"{shlex.quote(sys.executable)} -m app --config-dir {shlex.quote(str(root / 'config'))}"
            f" --data-dir {shlex.quote(str(root / 'data'))}"
        )
        env_prefix = f"STRONGROOM_DATABASE_URL={shlex.quote(url)} "
        launches = [time_to_text(env_prefix + command, "items in your vault") for _ in range(5)]
        result["remembered launch to filled list (tmux)"] = statistics.median(launches) * 1000
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--backend", choices=["sqlite", "mariadb", "both"], default="both")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--probe", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        print(json.dumps(asyncio.run(in_app(args.probe, args.url))))
        return
    backends = ["sqlite", "mariadb"] if args.backend == "both" else [args.backend]
    results = {name: run_backend(name, args.items) for name in backends}
    rows = sorted({key for values in results.values() for key in values})
    print(f"vault benchmark, {args.items} items ({os.cpu_count()} cores)")
    print(f"{'measure (ms unless stated)':<46}" + "".join(f"{name:>12}" for name in backends))
    for row in rows:
        print(
            f"{row:<46}"
            + "".join(f"{results[name].get(row, float('nan')):>12.1f}" for name in backends)
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
