"""Programs found on PATH only where the working folder and other users cannot put one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.core.programs import find_program


def _program(folder: Path, name: str = "tool") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / name
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    return program


def test_the_first_absolute_folder_holding_it_wins(tmp_path: Path) -> None:
    first, second = _program(tmp_path / "a"), _program(tmp_path / "b")
    (tmp_path / "a").chmod(0o755)
    assert find_program("tool", f"{first.parent}:{second.parent}") == str(first)


@pytest.mark.parametrize("entry", ["", ".", "bin", "./bin"])
def test_empty_and_relative_entries_are_passed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry: str
) -> None:
    monkeypatch.chdir(tmp_path)
    _program(tmp_path)
    _program(tmp_path / "bin")
    system = _program(tmp_path / "system")
    assert find_program("tool", f"{entry}:{system.parent}") == str(system)
    assert find_program("tool", entry) is None


@pytest.mark.parametrize("mode", [0o777, 0o1777, 0o775])
def test_a_folder_others_can_write_is_passed_over(tmp_path: Path, mode: int) -> None:
    shared = _program(tmp_path / "shared").parent
    shared.chmod(mode)
    system = _program(tmp_path / "system")
    assert find_program("tool", f"{shared}:{system.parent}") == str(system)


def test_a_program_others_can_write_is_passed_over(tmp_path: Path) -> None:
    loose = _program(tmp_path / "loose")
    loose.chmod(0o757)
    assert find_program("tool", str(loose.parent)) is None


def test_a_link_is_judged_by_where_it_leads(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    target = _program(shared)
    shared.chmod(0o777)
    links = tmp_path / "links"
    links.mkdir()
    (links / "tool").symlink_to(target)
    assert find_program("tool", str(links)) is None
    shared.chmod(0o755)
    assert find_program("tool", str(links)) == str(links / "tool")


def test_the_real_gpg_is_found() -> None:
    if not os.path.exists("/usr/bin/gpg"):
        pytest.skip("gpg is not installed")
    assert find_program("gpg", "/usr/bin:/bin") == "/usr/bin/gpg"
