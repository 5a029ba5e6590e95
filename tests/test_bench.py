"""The benchmark runs end to end on a tiny data set (its numbers are not checked: see bench/)."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import bench.__main__ as bench_main
from bench.report import Row, Target
from tests.helpers import need

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {
    target.text: target for target in vars(bench_main).values() if isinstance(target, Target)
}


@pytest.mark.mariadb
def test_the_benchmark_runs_and_reports_every_measure(mariadb_server: str, tmp_path: Path) -> None:
    need("tmux")
    results = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--json", str(results)],
        cwd=ROOT,
        env={**os.environ, "STRONGROOM_BENCH_MARIADB_URL": mariadb_server},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    document = json.loads(results.read_text())
    rows = {(row["measure"], row["backend"]): row for row in document["rows"]}
    for backend in ("sqlite", "mariadb"):
        for measure, targeted in (
            ("argon2id", False),
            ("bcrypt", False),
            ("list + decrypt", False),
            ("unlock to filled list beyond KDF (in app)", False),
            ("unlock to search ready beyond KDF (in app)", False),
            ("bare Textual launch (tmux)", False),
            ("bare Textual launch, SQLAlchemy imported (tmux)", False),
            ("remembered launch to filled list (tmux)", False),
            ("search keystroke", True),
            ("resident memory", True),
            ("rotate vault key beyond KDF (service)", False),
        ):
            row = rows[(measure, backend)]
            assert row["runs"] >= 1
            assert row["median"] > 0, (measure, backend)
            assert bool(row["target"]) == targeted
            if targeted:
                # Recomputed from the samples' summary: a row cannot claim a target it missed.
                assert row["met"] is TARGETS[row["target"]].check(Row(**row))
            else:
                assert row["met"] is None
        # The two targets that are multiples of a reference measured in the same run.
        for measure in (
            "unlock beyond KDF / list + decrypt",
            "remembered launch / bare Textual launch",
            "save: with / without the record's work",  # the integrity record (bench/integrity.py)
            "unlock: with / without the record's work",
        ):
            ratio = rows[(measure, backend)]
            assert ratio["unit"] == "x"
            assert math.isfinite(ratio["median"]), (measure, backend)
            assert ratio["median"] > 0, (measure, backend)
            assert ratio["met"] is TARGETS[ratio["target"]].check(Row(**ratio))
        # The floor of imports under the remembered launch, shown beside it.
        floor = rows[("bare launch with SQLAlchemy / bare Textual launch", backend)]
        assert floor["unit"] == "x"
        assert floor["median"] > 0
        assert not floor["target"]
    assert rows[("Strongroom / bare", "sqlite")]["unit"] == "x"
    # Idle: each Strongroom screen's CPU ticks and terminal bytes beside a bare Input's.
    for kind in ("CPU ticks", "terminal bytes"):
        assert rows[(f"{kind}: bare Textual Input", "-")]["runs"] >= 1
        for program in ("vault screen", "login form"):
            assert rows[(f"{kind}: Strongroom {program}", "sqlite")]["runs"] >= 1
            idle = rows[(f"idle {kind}: {program} / bare", "sqlite")]
            assert idle["unit"] == "x"
            assert math.isfinite(idle["median"])
            assert idle["met"] is TARGETS[idle["target"]].check(Row(**idle))
    assert "idle CPU ticks: vault screen / bare" in done.stdout
    assert any(measure.endswith("full / empty") for measure, _ in rows)
    for measure in ("list + decrypt", "one save"):
        galera = rows[(f"{measure}: Galera / one server", "galera")]
        assert galera["unit"] == "x"
        assert galera["met"] is TARGETS[galera["target"]].check(Row(**galera))
    if all(shutil.which(tool) for tool in ("keepassxc-cli", "pass", "gpg")):
        for label in (
            "strongroom get",
            "strongroom ls",
            "strongroom totp",
            "strongroom run -- true",
        ):
            versus = rows[(f"{label} / pass show", "sqlite")]
            assert versus["met"] is TARGETS[versus["target"]].check(Row(**versus))
        cold = rows[("strongroom get, no agent / pass show", "sqlite")]
        assert cold["met"] is TARGETS[cold["target"]].check(Row(**cold))
        floor = rows[("python -c 'import sqlalchemy.orm' / pass show", "-")]
        assert floor["unit"] == "x"
        assert floor["median"] > 0
        assert not floor["target"]
        assert rows[("strongroom get / keepassxc-cli show", "sqlite")]["target"]
    if shutil.which("ssh-agent"):
        for kind in ("ed25519", "rsa"):
            versus = rows[(f"{kind} signature: Strongroom agent / ssh-agent", "sqlite")]
            assert versus["unit"] == "x"
            assert versus["met"] is TARGETS[versus["target"]].check(Row(**versus))
    if shutil.which("keepassxc-cli"):
        assert rows[("keepassxc-cli open: one search", "kdbx")]["median"] > 0
        for backend in ("sqlite", "mariadb"):
            assert rows[("strongroom import", backend)]["median"] > 0
            versus = rows[("strongroom import / keepassxc-cli import", backend)]
            assert versus["met"] is TARGETS[versus["target"]].check(Row(**versus))
    # Vault health: the breach check and its growth on a file ten times larger, the heap it
    # takes, the full report cold and warm, and beside keepassxc-cli analyze --hibp.
    for measure, backend in (
        ("strongroom breach check", "-"),
        ("strongroom breach check, 10x file", "-"),
        ("full report, cold cache (service)", "sqlite"),
        ("full report, warm cache (service)", "sqlite"),
    ):
        assert rows[(measure, backend)]["median"] > 0, measure
    health_targets = [
        ("breach check: 10x file / file", "-"),
        ("breach check heap peak, 10x file", "-"),
    ]
    if shutil.which("keepassxc-cli"):
        assert rows[("keepassxc-cli analyze --hibp", "kdbx")]["median"] > 0
        health_targets += [
            ("breach check / keepassxc-cli analyze --hibp", "-"),
            ("full report, warm cache / keepassxc-cli analyze --hibp", "sqlite"),
        ]
    for measure, backend in health_targets:
        health = rows[(measure, backend)]
        assert health["target"], measure
        assert health["met"] is TARGETS[health["target"]].check(Row(**health))
    assert document["samples"]["health"]["lines"] == 20_000  # the smoke run's small file
    assert document["machine"]["cpus"] == os.cpu_count()
    assert "Strongroom / bare" in done.stdout  # the table


@pytest.mark.parametrize("floor", [[], [0.0], [float("nan")]])
def test_a_ratio_without_a_usable_reference_fails_the_run(floor: list[float]) -> None:
    target = bench_main.UNLOCK_BEYOND_KDF
    with pytest.raises(ValueError, match="cannot be computed"):
        bench_main.ratio_row("vault", "unlock / list", "sqlite", [120.0], floor, target)


def test_a_ratio_row_is_the_median_over_the_reference_median() -> None:
    ratio = bench_main.ratio_row(
        "vault",
        "remembered / bare",
        "sqlite",
        [900.0, 800.0, 1000.0],
        [400.0, 500.0],
        bench_main.REMEMBERED,
    )
    assert ratio.unit == "x"
    assert ratio.median == pytest.approx(900 / 450)
    assert ratio.met is True
