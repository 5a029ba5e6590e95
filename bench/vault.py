"""The vault at 10,000 items: login split, unlock and remembered launch, search keystrokes, memory.

    python -m bench.vault [--items 10000] [--runs 5] [--backend sqlite|mariadb|both]

Items come from a fixed seed and go in through VaultService.add_many, sealed exactly as the
app seals them. The account uses Strongroom's default (production) Argon2id and bcrypt costs.
Every function returns raw samples in milliseconds; ``python -m bench`` turns them into the table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from bench.startup import (
    BARE_FORM,
    BARE_FORM_SQLALCHEMY,
    PASSWORD,
    PROMPT,
    alternate,
    strongroom_command,
)

if TYPE_CHECKING:
    from app.core.items import ItemDraft

WORDS = "amber birch cedar delta ember fjord grove harbor island juniper kestrel lumen meadow "
WORDS += "nectar orbit pepper quartz raven sierra tundra umber violet willow xenon yarrow zephyr"
SEED = 20261130
MARIADB_URL = os.environ.get(
    "STRONGROOM_BENCH_MARIADB_URL", "mariadb+mariadbconnector://root@127.0.0.1:3306/test"
)
SEARCH_WORDS = ("orchard", "juniper", "willow.zephyr", "xyzzy")
Samples = dict[str, list[float]]


def drafts(count: int, seed: int = SEED) -> list[ItemDraft]:
    """``count`` realistic items, the same ones on every run."""
    from app.core.items import ItemDraft

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


def fresh_database(backend: str, root: Path, name: str = "strongroom_bench") -> str:
    """An empty database for one run: a file under ``root``, or a new MariaDB database."""
    if backend == "sqlite":
        return f"sqlite:///{root / 'data' / 'strongroom.db'}"
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(MARIADB_URL)
    with admin.begin() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        connection.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
    admin.dispose()
    return make_url(MARIADB_URL).set(database=name).render_as_string(False)


def settings_for(root: Path, url: str, config: str = "config") -> object:
    from app.core.config import load_settings

    return load_settings(root / config, root / "data", environ={"STRONGROOM_DATABASE_URL": url})


def prepare(url: str, root: Path, count: int, username: str = "bench") -> float:
    """Register, remember this device (root/config), import the items; returns import ms."""
    from app.services.backend import Backend

    backend = Backend(settings_for(root, url), device_label="bench")  # type: ignore[arg-type]
    accounts = backend.accounts()
    accounts.register(username, PASSWORD, PASSWORD)
    active = accounts.login(username, PASSWORD, remember=True)
    started = time.perf_counter()
    backend.vault().add_many(active, drafts(count))
    imported = time.perf_counter() - started
    backend.close()
    return imported * 1000


def login_split(
    url: str,
    root: Path,
    runs: int,
    username: str = "bench",
    between: Callable[[], None] = lambda: None,
) -> Samples:
    """Password login split into Argon2id, bcrypt and the rest; then listing the vault.

    ``between`` runs after each round: another measure taken in turn with this one."""
    from app.core.search import Index
    from app.services.backend import Backend

    backend = Backend(settings_for(root, url), device_label="bench")  # type: ignore[arg-type]
    accounts = backend.accounts()
    samples: Samples = {
        "argon2id": [],
        "bcrypt": [],
        "login other": [],
        "list + decrypt": [],
        "unlock + list beyond KDF (controller)": [],
        "search index build": [],
    }
    for _ in range(runs):
        with timed_kdf() as kdf:
            t0 = time.perf_counter()
            session = accounts.login(username, PASSWORD, remember=False)
            t1 = time.perf_counter()
        items = backend.vault().list_items(session)
        t2 = time.perf_counter()
        Index(items)
        t3 = time.perf_counter()
        argon2id, bcrypt = kdf["argon2id"], kdf["bcrypt"]
        samples["argon2id"].append(argon2id)
        samples["bcrypt"].append(bcrypt)
        samples["login other"].append((t1 - t0) * 1000 - argon2id - bcrypt)
        samples["list + decrypt"].append((t2 - t1) * 1000)
        samples["unlock + list beyond KDF (controller)"].append(
            (t2 - t0) * 1000 - argon2id - bcrypt
        )
        samples["search index build"].append((t3 - t2) * 1000)
        between()
    backend.close()
    return samples


@contextmanager
def timed_kdf() -> Iterator[dict[str, float]]:
    """Milliseconds spent in the Argon2id and bcrypt calls made inside the ``with`` block."""
    from app.core import crypto

    spent = {"argon2id": 0.0, "bcrypt": 0.0}
    originals = crypto.derive_keys, crypto.check_verifier

    def timing(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args)
            finally:
                spent[name] += (time.perf_counter() - started) * 1000

        return timed

    crypto.derive_keys = timing("argon2id", originals[0])
    crypto.check_verifier = timing("bcrypt", originals[1])
    try:
        yield spent
    finally:
        crypto.derive_keys, crypto.check_verifier = originals


def rotation(url: str, root: Path, runs: int, username: str = "bench") -> Samples:
    """Rotating the vault key of the whole vault (every item and history entry re-sealed, in
    one transaction), through the account service; the master password's KDF apart."""
    from app.services.backend import Backend

    backend = Backend(settings_for(root, url, config="rotate-config"), device_label="bench")  # type: ignore[arg-type]
    accounts = backend.accounts()
    active = accounts.login(username, PASSWORD, remember=False)
    samples: Samples = {"rotate vault key beyond KDF (service)": []}
    for _ in range(runs):
        with timed_kdf() as kdf:
            started = time.perf_counter()
            active, _items = accounts.rotate_vault_key(active, PASSWORD, lambda done, total: None)
            total = (time.perf_counter() - started) * 1000
        samples["rotate vault key beyond KDF (service)"].append(
            total - kdf["argon2id"] - kdf["bcrypt"]
        )
    backend.close()
    return samples


# -- probes: each runs in a fresh process, so one measure's imports and memory do not count
# towards another's -----------------------------------------------------------------------


async def probe_remembered(root: Path, url: str) -> dict[str, object]:
    """Remembered launch to a filled list, search keystrokes and memory, in a headless app."""
    from app.factory import make_app
    from app.screens.vault import VaultScreen
    from app.widgets.item_list import ItemList

    app = make_app(settings_for(root, url))  # type: ignore[arg-type]
    async with app.run_test(size=(120, 40)) as pilot:
        while not (isinstance(app.screen, VaultScreen) and app.screen.loaded):
            await pilot.pause(0.002)
        while app.screen._index is None:  # the search index, built after the list is drawn
            await pilot.pause(0.002)
        screen = app.screen
        listing = screen.query_one(ItemList)
        search = screen.query_one("#search")
        search.focus()
        keystrokes: list[float] = []
        for word in SEARCH_WORDS:
            search.value = ""  # type: ignore[attr-defined]
            await pilot.pause()
            for character in word:
                t0 = time.perf_counter()
                search.value += character  # type: ignore[attr-defined]
                screen._search_changed()
                for y in range(listing.size.height):  # the repaint: every visible row
                    listing.render_line(y)
                keystrokes.append((time.perf_counter() - t0) * 1000)
                await pilot.pause()
        memory = rss_mib()
    return {"keystroke": keystrokes, "memory": memory}


async def probe_unlock(root: Path, url: str) -> dict[str, object]:
    """Submitting the login form to the filled vault list, in a headless app (ms)."""
    from textual.widgets import Checkbox, Input, Static

    from app.factory import make_app
    from app.screens.login import LoginScreen
    from app.screens.vault import VaultScreen

    app = make_app(settings_for(root, url, config="login-config"))  # type: ignore[arg-type]
    async with app.run_test(size=(120, 40)) as pilot:
        # A person types for longer than the database takes to open: wait for it.
        while not isinstance(app.screen, LoginScreen) or any(
            worker.group == "startup" for worker in app.workers
        ):
            await pilot.pause(0.01)
        await pilot.pause(0.2)
        if not isinstance(app.screen, LoginScreen):  # the start-up failed: say why
            reason = " ".join(str(w.render()) for w in app.screen.query(Static))
            raise RuntimeError(f"no login form: {reason}")
        app.screen.query_one("#username", Input).value = "bench"
        app.screen.query_one("#password", Input).value = PASSWORD
        app.screen.query_one("#remember", Checkbox).value = False
        await pilot.pause()
        painted = asyncio.Event()
        with timed_kdf() as kdf:
            started = time.perf_counter()
            app.screen.submit()  # what Enter in the password field does
            while not (isinstance(app.screen, VaultScreen) and app.screen.loaded):
                await asyncio.sleep(0.002)
            app.call_after_refresh(painted.set)
            await painted.wait()
            filled = (time.perf_counter() - started) * 1000
            while app.screen._index is None:
                await asyncio.sleep(0.002)
            searchable = (time.perf_counter() - started) * 1000
    return {
        "filled list": filled,
        "search ready": searchable,
        "kdf": kdf["argon2id"] + kdf["bcrypt"],
    }


def run_probe(kind: str, root: Path, url: str) -> dict[str, object]:
    probe = subprocess.run(
        [sys.executable, "-m", "bench.vault", "--probe", kind, "--root", str(root), "--url", url],
        capture_output=True,
        text=True,
    )
    if probe.returncode:
        raise RuntimeError(f"the {kind} probe failed:\n{probe.stderr[-2000:]}")
    result: dict[str, object] = json.loads(probe.stdout.strip().splitlines()[-1])
    return result


# The floor under the remembered launch's imports: the bare form, SQLAlchemy imported first.
BARE_WITH_SQLALCHEMY = "bare Textual launch, SQLAlchemy imported (tmux)"


def measure_backend(backend: str, count: int, runs: int) -> Samples:
    """Every vault measure for one database backend, as samples in ms (memory in MiB).

    Each measure that has a reference takes turns with it, so that noise falls on both: the
    in-app unlock with the service's own list + decrypt, the remembered launch (tmux) with the
    bare Textual form's launch."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        url = fresh_database(backend, root)
        samples: Samples = {"import (add_many)": [prepare(url, root, count)]}
        (root / "login-config").mkdir(mode=0o700)
        shutil.copy(root / "config" / "last-user.json", root / "login-config")
        # The app starts the command line's agent once its list is drawn: off here, so that
        # one launch's agent (its start is bench.command_line's to measure) does not take a
        # core from the next launch or from the keystrokes timed after it.
        for name in ("config", "login-config"):
            (root / name / "config.toml").write_text("command_line_agent = false\n")
            (root / name / "config.toml").chmod(0o600)

        def unlock_in_app() -> None:
            probe = run_probe("unlock", root, url)
            kdf = float(probe["kdf"])  # type: ignore[arg-type]
            for mark in ("filled list", "search ready"):
                total = float(probe[mark])  # type: ignore[arg-type]
                samples.setdefault(f"unlock to {mark} (in app)", []).append(total)
                samples.setdefault(f"unlock to {mark} beyond KDF (in app)", []).append(total - kdf)

        samples.update(login_split(url, root, runs, between=unlock_in_app))
        keystrokes: list[float] = []
        memory: list[float] = []
        for _ in range(max(1, runs // 2)):
            probe = run_probe("remembered", root, url)
            keystrokes += cast(list[float], probe["keystroke"])
            memory.append(float(probe["memory"]))  # type: ignore[arg-type]
        samples["search keystroke"] = keystrokes
        samples["resident memory (MiB)"] = memory
        remembered = strongroom_command(root / "config", root / "data", url)
        launches = alternate(
            {
                "bare Textual launch (tmux)": (BARE_FORM, PROMPT),
                BARE_WITH_SQLALCHEMY: (BARE_FORM_SQLALCHEMY, PROMPT),
                "remembered launch to filled list (tmux)": (remembered, "items in your vault"),
            },
            runs,
        )
        samples.update({name: [v * 1000 for v in values] for name, values in launches.items()})
        samples.update(rotation(url, root, runs))  # last: it ends the other sessions
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backend", choices=["sqlite", "mariadb", "both"], default="both")
    parser.add_argument("--probe", choices=["remembered", "unlock"], help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        probe = probe_remembered if args.probe == "remembered" else probe_unlock
        print(json.dumps(asyncio.run(probe(args.root, args.url))))
        return
    from bench.report import summary

    backends = ["sqlite", "mariadb"] if args.backend == "both" else [args.backend]
    for name in backends:
        for measure, values in measure_backend(name, args.items, args.runs).items():
            print(f"{name:<8} {measure:<46} {summary(values)}")


if __name__ == "__main__":
    main()
