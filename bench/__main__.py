"""Every Strongroom benchmark in one run: one table on the terminal, every sample in a JSON file.

    python -m bench [--items 10000] [--runs 5] [--json bench-results.json] [--smoke]

1. launch to the login prompt in tmux, next to a bare Textual app drawing the same form;
   then, idle at the vault screen and the login form: CPU ticks and bytes written to the
   terminal over a few seconds, beside a bare Textual app with one focused Input idling;
2. password login split into Argon2id, bcrypt and the rest, and unlock to the filled list
   next to the services' own list + decrypt; and what the vault's integrity record costs a
   save and an unlock (bench/integrity.py);
3. a remembered session's launch to the filled list (tmux), next to the bare Textual app's;
4. per-keystroke filter and repaint while typing in the search box;
5. resident memory with the vault unlocked;
6. on MariaDB, the same user among 1,000 others with 1,000 items each, against an empty database;
7. on a throwaway 3-node Galera cluster, listing the vault and one save, against one server;
8. `strongroom get`, `ls`, `totp` and `run -- true` (one reference read through the warm agent)
   beside `pass show`, `pass ls` and `keepassxc-cli show`;
9. KeePassXC's command line on the same items (skipped with a note when it is not installed);
10. `strongroom import` of the items as KeePass XML beside `keepassxc-cli import` of that file;
11. vault health: the breach check beside `keepassxc-cli analyze --hibp` on the same items and
    breach file, on a file ten times larger, and the full report with a cold and a warm cache.

All measures of one kind run alternately in the same run, so their ratios hold on a noisy
machine. ``--smoke`` runs everything on a tiny data set, to check that the benchmark works.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
from importlib import metadata
from pathlib import Path

from bench import command_line, importing, keepass
from bench import ssh as ssh_bench
from bench.galera import measure_galera
from bench.health import measure_health
from bench.idle import IDLE_BYTES, IDLE_CPU, idle_rows, measure_idle
from bench.integrity import measure_integrity, without
from bench.report import Row, Target, row, table
from bench.scale import measure_scale
from bench.startup import measure_launch, stop_server
from bench.vault import BARE_WITH_SQLALCHEMY, MARIADB_URL, measure_backend
from tests.galera import missing as galera_missing

LAUNCH_RATIO = Target("<= 1.10x bare Textual", lambda r: r.median <= 1.10)
# The remembered launch reads and decrypts the whole vault before its list is drawn; the bare
# form only imports Textual and draws. Unlock beyond the KDF is the services' list + decrypt
# plus whatever the app adds on top (screens, the list's first paint).
REMEMBERED = Target("<= 2x bare Textual launch", lambda r: r.median <= 2)
UNLOCK_BEYOND_KDF = Target("<= 1.5x list + decrypt", lambda r: r.median <= 1.5)
KEYSTROKE = Target("p95 <= 16 ms", lambda r: r.p95 <= 16)
MEMORY = Target("< 150 MiB", lambda r: r.median < 150)
SCALE_RATIO = Target("<= 1.2x empty database", lambda r: r.median <= 1.2)
# A list is one read on any node; a save adds one certification round trip to the cluster.
GALERA_LIST = Target("<= 1.25x one server", lambda r: r.median <= 1.25)
GALERA_SAVE = Target("<= 2x one server", lambda r: r.median <= 2)
VS_PASS = Target("<= 3x pass show", lambda r: r.median <= 3)
# Without the agent a `get` starts Python, imports SQLAlchemy, and reads and checks the vault:
# its floor (SQLAlchemy's import alone) is a row of its own, measured beside it.
COLD_GET = Target("<= 10x pass show", lambda r: r.median <= 10)
VS_SSH_AGENT = Target("<= 2x ssh-agent", lambda r: r.median <= 2)
VS_KEEPASSXC = Target("<= 0.25x keepassxc-cli show", lambda r: r.median <= 0.25)
IMPORT_VS_KEEPASSXC = Target("<= 0.8x keepassxc-cli import", lambda r: r.median <= 0.8)
# Vault health (bench/health.py): the breach check, its growth with the file, the warm report.
HEALTH_BREACH = Target("<= 0.25x keepassxc-cli analyze --hibp", lambda r: r.median <= 0.25)
HEALTH_GROWTH = Target("<= 1.5x on a 10x smaller file", lambda r: r.median <= 1.5)
HEALTH_WARM = Target("<= 0.3x keepassxc-cli analyze --hibp", lambda r: r.median <= 0.3)
HEALTH_HEAP = Target("<= 64 MiB", lambda r: r.median <= 64)
IDLE = (IDLE_CPU, IDLE_BYTES)  # idle CPU and terminal output (bench/idle.py)
# The vault's integrity record (bench/integrity.py): a save and an unlock with it, against the
# same run's totals less the record's own work in them.
WITH_RECORD = Target("<= 1.15x without the record's work", lambda r: r.median <= 1.15)


def machine() -> dict[str, object]:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions = {}
    for package in ("textual", "sqlalchemy", "mariadb", "cryptography", "argon2-cffi", "bcrypt"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return {
        "cpus": os.cpu_count(),
        "cpu": model,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "packages": versions,
        "mariadb_server": _mariadb_version(),
        "keepassxc": keepass.version() if keepass.available() else "not installed",
    }


def _mariadb_version() -> str:
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(MARIADB_URL)
        with engine.connect() as connection:
            value = str(connection.execute(text("SELECT VERSION()")).scalar_one())
        engine.dispose()
        return value
    except Exception as error:  # the table says why MariaDB rows are missing
        return f"unreachable ({type(error).__name__})"


def ratio_row(
    group: str,
    measure: str,
    backend: str,
    values: list[float],
    floor: list[float],
    target: Target | None,
) -> Row:
    """One measure as a multiple of another taken in the same run (median over median).

    A reference with no samples, or a median that is not a positive number, fails the run:
    a target must never be judged on a ratio that could not be computed."""
    failed = f"{group}: {measure} ({backend}) cannot be computed"
    if not values or not floor:
        raise ValueError(f"{failed}: no samples")
    reference = statistics.median(floor)
    if not (math.isfinite(reference) and reference > 0):
        raise ValueError(f"{failed}: the reference's median is {reference}")
    multiple = [statistics.median(values) / reference]
    if not (math.isfinite(multiple[0]) and multiple[0] > 0):
        raise ValueError(f"{failed}: it came out as {multiple[0]}")
    return row(group, measure, backend, multiple, unit="x", target=target)


def run(args: argparse.Namespace) -> tuple[list[Row], dict[str, object]]:
    rows: list[Row] = []
    raw: dict[str, object] = {}

    print("1/9 launch to the login prompt", file=sys.stderr)
    launch = {
        name: [v * 1000 for v in values]
        for name, values in measure_launch(args.launch_runs).items()
    }
    raw["launch"] = launch
    group = "launch to login prompt (tmux 120x40)"
    rows.append(row(group, "bare Textual form", "-", launch["bare Textual form"]))
    rows.append(row(group, "Strongroom", "sqlite", launch["strongroom"]))
    rows.append(
        ratio_row(
            group,
            "Strongroom / bare",
            "sqlite",
            launch["strongroom"],
            launch["bare Textual form"],
            LAUNCH_RATIO,
        )
    )

    print("2/9 idle at the vault and the login form, beside a bare Input", file=sys.stderr)
    idle = measure_idle(args.runs, args.idle_window)
    raw["idle"] = idle
    rows += idle_rows(idle, args.idle_window)

    backends = ["sqlite", "mariadb"] if args.backend == "both" else [args.backend]
    kdf: list[float] = []
    for number, backend in enumerate(backends, 1):
        print(
            f"3/9 vault at {args.items} items on {backend} ({number}/{len(backends)})",
            file=sys.stderr,
        )
        samples = measure_backend(backend, args.items, args.runs)
        raw[f"vault {backend}"] = samples
        kdf = kdf or [a + b for a, b in zip(samples["argon2id"], samples["bcrypt"], strict=True)]
        group = f"vault, {args.items} items"
        for measure in (
            "argon2id",
            "bcrypt",
            "login other",
            "list + decrypt",
            "search index build",
            "unlock to filled list (in app)",
            "unlock to filled list beyond KDF (in app)",
            "unlock to search ready beyond KDF (in app)",
        ):
            rows.append(row(group, measure, backend, samples[measure]))
        rows.append(
            ratio_row(
                group,
                "unlock beyond KDF / list + decrypt",
                backend,
                samples["unlock to filled list beyond KDF (in app)"],
                samples["list + decrypt"],
                UNLOCK_BEYOND_KDF,
            )
        )
        for measure in (
            "bare Textual launch (tmux)",
            BARE_WITH_SQLALCHEMY,
            "remembered launch to filled list (tmux)",
        ):
            rows.append(row(group, measure, backend, samples[measure]))
        rows.append(
            ratio_row(
                group,
                "remembered launch / bare Textual launch",
                backend,
                samples["remembered launch to filled list (tmux)"],
                samples["bare Textual launch (tmux)"],
                REMEMBERED,
            )
        )
        rows.append(  # the floor of imports under it: no target of its own
            ratio_row(
                group,
                "bare launch with SQLAlchemy / bare Textual launch",
                backend,
                samples[BARE_WITH_SQLALCHEMY],
                samples["bare Textual launch (tmux)"],
                None,
            )
        )
        for measure, target in (
            ("search keystroke", KEYSTROKE),
            ("rotate vault key beyond KDF (service)", None),
        ):
            rows.append(row(group, measure, backend, samples[measure], target=target))
        rows.append(
            row(
                group,
                "resident memory",
                backend,
                samples["resident memory (MiB)"],
                unit="MiB",
                target=MEMORY,
            )
        )

    for backend in backends:
        print(f"3b/9 the integrity record's cost on {backend}", file=sys.stderr)
        record = measure_integrity(backend, args.items, args.runs)
        raw[f"integrity {backend}"] = record
        group = f"integrity record, {args.items} items"
        for measure, values in record.items():
            rows.append(row(group, measure, backend, values))
        for total, work in (
            ("save", "save: the record's own work"),
            ("unlock", "unlock: the record's own work"),
            ("unlock beyond KDF", "unlock: the record's own work"),
        ):
            less = without(record[total], record[work])
            measure = f"{total}: with / without the record's work"
            if total == "unlock beyond KDF":  # shown, beside the targets: no target of its own
                ratio = statistics.median(record[total]) / statistics.median(less)
                rows.append(row(group, measure, backend, [ratio], unit="x"))
            else:
                rows.append(ratio_row(group, measure, backend, record[total], less, WITH_RECORD))

    if args.scale_users and "mariadb" in backends:
        print(
            f"4/9 scale: {args.scale_users} users x {args.scale_items} items on MariaDB",
            file=sys.stderr,
        )
        scale = measure_scale(args.items, args.runs, args.scale_users, args.scale_items)
        raw["scale"] = scale
        group = f"MariaDB with {args.scale_users * args.scale_items:,} other item rows"
        for measure in ("list + decrypt", "unlock + list beyond KDF (controller)"):
            rows.append(
                row(group, f"{measure}, empty database", "mariadb", scale["empty"][measure])
            )
            rows.append(
                row(group, f"{measure}, full database", "mariadb", scale["million"][measure])
            )
            rows.append(
                ratio_row(
                    group,
                    f"{measure}: full / empty",
                    "mariadb",
                    scale["million"][measure],
                    scale["empty"][measure],
                    SCALE_RATIO,
                )
            )

    no_cluster = galera_missing() if args.galera and "mariadb" in backends else None
    if no_cluster is not None:
        print(f"5/9 Galera skipped: {no_cluster}", file=sys.stderr)
    elif args.galera and "mariadb" in backends:
        print(
            f"5/9 a 3-node Galera cluster against one server, {args.items} items", file=sys.stderr
        )
        galera = measure_galera(args.items, args.runs)
        raw["galera"] = galera
        group = f"Galera, 3 nodes on this machine, {args.items} items"
        for measure, target in (("list + decrypt", GALERA_LIST), ("one save", GALERA_SAVE)):
            rows.append(row(group, f"{measure}, one server", "mariadb", galera["single"][measure]))
            rows.append(row(group, f"{measure}, Galera", "galera", galera["galera"][measure]))
            rows.append(
                ratio_row(
                    group,
                    f"{measure}: Galera / one server",
                    "galera",
                    galera["galera"][measure],
                    galera["single"][measure],
                    target,
                )
            )

    missing = command_line.available()
    if args.peer and missing is None:
        kdf_ms = max(100, round(statistics.median(kdf))) if kdf else 500
        print(
            f"6/9 the command line beside pass and keepassxc-cli ({kdf_ms} ms KDF)", file=sys.stderr
        )
        cli_samples = command_line.measure_command_line(args.items, args.runs * 2, kdf_ms)
        raw["command line"] = cli_samples
        group = f"command line, {args.items} items, each a fresh process"
        for label, values in cli_samples.items():
            backend = "sqlite" if label.startswith("strongroom") else label.split()[0]
            rows.append(row(group, label, backend, values))
        for label in (
            "strongroom get",
            "strongroom ls",
            "strongroom totp",
            "strongroom run -- true",
        ):
            rows.append(
                ratio_row(
                    group,
                    f"{label} / pass show",
                    "sqlite",
                    cli_samples[label],
                    cli_samples["pass show"],
                    VS_PASS,
                )
            )
        rows.append(
            ratio_row(
                group,
                "strongroom get, no agent / pass show",
                "sqlite",
                cli_samples["strongroom get, no agent"],
                cli_samples["pass show"],
                COLD_GET,
            )
        )
        rows.append(  # the floor under the cold `get`: no target of its own
            ratio_row(
                group,
                f"{command_line.SQLALCHEMY_ALONE} / pass show",
                "-",
                cli_samples[command_line.SQLALCHEMY_ALONE],
                cli_samples["pass show"],
                None,
            )
        )
        rows.append(
            ratio_row(
                group,
                "strongroom get / keepassxc-cli show",
                "sqlite",
                cli_samples["strongroom get"],
                cli_samples["keepassxc-cli show"],
                VS_KEEPASSXC,
            )
        )
    elif args.peer:
        print(f"6/9 the command line comparison skipped: {missing}", file=sys.stderr)

    if args.peer and keepass.available():
        kdf_ms = max(100, round(statistics.median(kdf))) if kdf else 500
        print(f"7/9 KeePassXC on {args.items} items, KDF set to {kdf_ms} ms", file=sys.stderr)
        peer = keepass.measure_keepass(args.items, args.runs, kdf_ms)
        raw["keepassxc"] = {"kdf_ms": kdf_ms, **peer}
        group = f"peer: {keepass.version() or 'keepassxc-cli'}, KDF {kdf_ms} ms like Strongroom's"
        for measure, values in peer.items():
            rows.append(row(group, measure, "kdbx", values))
        print(f"8/9 importing {args.items} items beside keepassxc-cli import", file=sys.stderr)
        for backend in backends:
            imported = importing.measure_import(args.items, args.runs, kdf_ms, backend)
            raw[f"import {backend}"] = imported
            group = f"import {args.items} items (KeePass XML), each a fresh process"
            ours = imported[f"strongroom import ({backend})"]
            theirs = imported["keepassxc-cli import"]
            rows.append(row(group, "strongroom import", backend, ours))
            rows.append(row(group, "keepassxc-cli import", "kdbx", theirs))
            rows.append(
                ratio_row(
                    group,
                    "strongroom import / keepassxc-cli import",
                    backend,
                    ours,
                    theirs,
                    IMPORT_VS_KEEPASSXC,
                )
            )
    elif args.peer:
        print("7/9, 8/9 KeePassXC and the import skipped: no keepassxc-cli", file=sys.stderr)
    ssh_missing = ssh_bench.available()
    if args.peer and ssh_missing is None:
        print("SSH signatures through Strongroom's agent beside ssh-agent", file=sys.stderr)
        signed = ssh_bench.measure_ssh(args.signatures, args.runs)
        raw["ssh"] = signed
        group = f"SSH signatures, {args.signatures} a round, a connection each"
        for label, values in signed.items():
            rows.append(row(group, label, "sqlite" if "Strongroom" in label else "-", values))
        for kind in ssh_bench.KINDS:
            rows.append(
                ratio_row(
                    group,
                    f"{kind} signature: Strongroom agent / ssh-agent",
                    "sqlite",
                    signed[f"{kind} signature, Strongroom agent"],
                    signed[f"{kind} signature, ssh-agent"],
                    VS_SSH_AGENT,
                )
            )
    elif args.peer:
        print(f"SSH signatures skipped: {ssh_missing}", file=sys.stderr)
    stop_server()
    rows += health_rows(args, raw, kdf)
    print("done", file=sys.stderr)
    return rows, raw


def health_rows(args: argparse.Namespace, raw: dict[str, object], kdf: list[float]) -> list[Row]:
    """Vault health's measures (bench/health.py), KeePassXC's beside them when it is there."""
    lines = args.health_lines
    peer = args.peer and keepass.available()
    kdf_ms = max(100, round(statistics.median(kdf))) if kdf else 500
    print(f"9/9 vault health: {args.items} items, a {lines:,}-line breach file", file=sys.stderr)
    samples = measure_health(args.items, lines, args.runs, kdf_ms, peer=peer)
    raw["health"] = {"lines": lines, "kdf_ms": kdf_ms, **samples}
    group = f"vault health, {args.items} items, {lines:,}-line breach file"
    check = samples["strongroom breach check"]
    rows = [
        row(group, "strongroom breach check", "-", check),
        row(
            group,
            "strongroom breach check, 10x file",
            "-",
            samples["strongroom breach check, 10x file"],
        ),
        ratio_row(
            group,
            "breach check: 10x file / file",
            "-",
            samples["strongroom breach check, 10x file"],
            check,
            HEALTH_GROWTH,
        ),
        row(
            group,
            "breach check heap peak, 10x file",
            "-",
            samples["breach check heap peak, 10x file (MiB)"],
            unit="MiB",
            target=HEALTH_HEAP,
        ),
        row(
            group, "full report, cold cache (service)", "sqlite", samples["full report, cold cache"]
        ),
        row(
            group, "full report, warm cache (service)", "sqlite", samples["full report, warm cache"]
        ),
    ]
    theirs = samples.get("keepassxc-cli analyze --hibp")
    if theirs:
        rows.append(row(group, "keepassxc-cli analyze --hibp", "kdbx", theirs))
        rows.append(
            ratio_row(
                group,
                "breach check / keepassxc-cli analyze --hibp",
                "-",
                check,
                theirs,
                HEALTH_BREACH,
            )
        )
        rows.append(
            ratio_row(
                group,
                "full report, warm cache / keepassxc-cli analyze --hibp",
                "sqlite",
                samples["full report, warm cache"],
                theirs,
                HEALTH_WARM,
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5, help="repeats of each vault measure")
    parser.add_argument("--launch-runs", type=int, default=15)
    parser.add_argument("--signatures", type=int, default=300, help="SSH signatures a round")
    parser.add_argument("--idle-window", type=float, default=3.0, help="seconds of idle counted")
    parser.add_argument("--backend", choices=["sqlite", "mariadb", "both"], default="both")
    parser.add_argument("--scale-users", type=int, default=1000)
    parser.add_argument("--scale-items", type=int, default=1000, help="items per other user")
    parser.add_argument("--no-peer", dest="peer", action="store_false")
    parser.add_argument("--no-galera", dest="galera", action="store_false")
    parser.add_argument(
        "--health-lines", type=int, default=2_000_000, help="lines of the generated breach file"
    )
    parser.add_argument("--json", type=Path, default=Path("bench-results.json"))
    parser.add_argument("--smoke", action="store_true", help="a tiny run that checks the benchmark")
    args = parser.parse_args()
    if args.smoke:
        args.items, args.runs, args.launch_runs, args.idle_window = 60, 2, 2, 1.0
        args.scale_users, args.scale_items = 4, 30
        args.signatures = 20
        args.health_lines = 20_000
    rows, raw = run(args)
    print(f"Strongroom benchmark: {args.items} items, {os.cpu_count()} cores")
    print(table(rows))
    document = {
        "machine": machine(),
        "settings": {key: value for key, value in vars(args).items() if key != "json"}
        | {"json": str(args.json)},
        "rows": [item.as_dict() for item in rows],
        "samples": raw,
    }
    args.json.write_text(json.dumps(document, indent=2))
    print(f"samples and machine details: {args.json}")


if __name__ == "__main__":
    main()
