"""Scale on MariaDB: one user's unlock and list among a million other item rows.

    python -m bench.scale [--users 1000] [--items-per-user 1000] [--items 10000] [--runs 5]

The benchmark user's 10,000 items go in through the controller, exactly as the app writes them,
between the first and second half of the other users, so its rows are not conveniently last.
The other users' rows are written in bulk with random bytes of the same sizes as real sealed
fields: nobody ever opens them, they are there to make the tables and indexes large. The filled
database is kept between runs (built again only when its row counts do not match).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.vault import MARIADB_URL, Samples, fresh_database, login_split, prepare


def scale_database_name(users: int, items_per_user: int) -> str:
    """One kept database per size, so a smoke run never throws away the million-row one."""
    return f"strongroom_bench_scale_{users}x{items_per_user}"


# Sizes of the sealed fields of a typical item: format byte + nonce + tag + text.
FIELD_SIZES = {"title": 50, "username": 55, "password": 49, "urls": 70, "notes": 120, "tags": 40}


def _url(name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(MARIADB_URL).set(database=name).render_as_string(False)


def _counts(url: str) -> tuple[int, int] | None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import DBAPIError

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            users = connection.execute(text("SELECT COUNT(*) FROM users")).scalar_one()
            items = connection.execute(text("SELECT COUNT(*) FROM items")).scalar_one()
            return int(users), int(items)
    except DBAPIError:
        return None
    finally:
        engine.dispose()


def _fill(url: str, first: int, last: int, items_per_user: int) -> None:
    """Users ``first``..``last``-1 with ``items_per_user`` items each, in bulk."""
    from sqlalchemy import create_engine, insert

    from app.models import User, VaultItem

    engine = create_engine(url)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        for number in range(first, last):
            result = connection.execute(
                insert(User).values(
                    username=f"filler{number}",
                    username_key=f"filler{number}",
                    created_at=now,
                    verifier="$2b$12$" + os.urandom(40).hex()[:53],
                    kdf_algorithm="argon2id",
                    kdf_memory_kib=65536,
                    kdf_iterations=3,
                    kdf_parallelism=4,
                    kdf_salt=os.urandom(16),
                    vault_key_wrapped=os.urandom(60),
                    vault_key_algorithm="aes-256-gcm",
                    key_format_version=1,
                )
            )
            primary_key = result.inserted_primary_key
            assert primary_key is not None
            user_id = primary_key[0]
            rows: list[dict[str, Any]] = [
                {
                    "user_id": user_id,
                    "version": 1,
                    "favourite": False,
                    "created_at": now,
                    "updated_at": now,
                    "deleted_at": None,
                    **{f"{name}_sealed": os.urandom(size) for name, size in FIELD_SIZES.items()},
                    "totp_sealed": os.urandom(29),
                }
                for _ in range(items_per_user)
            ]
            connection.execute(insert(VaultItem), rows)
    engine.dispose()


def scale_database(root: Path, users: int, items_per_user: int, count: int) -> str:
    """The million-row database, built once and then reused; returns its URL."""
    name = scale_database_name(users, items_per_user)
    url = _url(name)
    expected = (users + 1, users * items_per_user + count)
    if _counts(url) == expected:
        return url
    url = fresh_database("mariadb", root, name)
    from app.services.database import open_database

    open_database(url).engine.dispose()  # the schema, through the app's own migrations
    started = time.perf_counter()
    _fill(url, 0, users // 2, items_per_user)
    prepare(url, root, count)
    _fill(url, users // 2, users, items_per_user)
    print(f"built {name} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return url


def measure_scale(count: int, runs: int, users: int, items_per_user: int) -> dict[str, Samples]:
    """The benchmark user's login split and listing: empty database, then the million rows."""
    results: dict[str, Samples] = {}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        empty = fresh_database("mariadb", root / "empty")
        prepare(empty, root / "empty", count)
        full = scale_database(root / "full", users, items_per_user, count)
        # Alternate, so both see the same machine.
        for _ in range(runs):
            for name, url, where in (("empty", empty, "empty"), ("million", full, "full")):
                for measure, values in login_split(url, root / where, 1).items():
                    results.setdefault(name, {}).setdefault(measure, []).extend(values)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--items-per-user", type=int, default=1000)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results = measure_scale(args.items, args.runs, args.users, args.items_per_user)
    for name, samples in results.items():
        for measure, values in samples.items():
            print(f"{name:<8} {measure:<40} {statistics.median(values):8.1f} ms")


if __name__ == "__main__":
    main()
