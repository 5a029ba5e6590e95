"""A plain `pip install .` must carry the stylesheets that live outside the package."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from app.app import stylesheet_paths

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_contains_the_stylesheets_and_migrations(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("strongroom-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "app/styles/app.tcss" in names
    assert "app/migrations/env.py" in names
    assert "app/migrations/script.py.mako" in names
    assert "app/migrations/versions/0001_accounts.py" in names
    assert "app/data/eff_large_wordlist.txt" in names
    entry_points = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith("entry_points.txt"))
    )
    assert b"strongroom = app.__main__:main" in entry_points


def test_stylesheets_resolve_in_a_checkout() -> None:
    (sheet,) = stylesheet_paths()
    assert sheet.is_file()
    assert sheet.parent.name == "styles"


def test_command_line_help_and_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().startswith("strongroom ")


def test_bad_config_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "config.toml").write_text("[security]\nbcrypt_cost = 4\n")
    result = subprocess.run(
        [sys.executable, "-m", "app", "--config-dir", str(config), "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "strongroom: bcrypt_cost must be between 10 and 16."
    assert "Traceback" not in result.stderr
