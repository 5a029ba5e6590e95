"""A plain launch's options are read without building every command's parser, to the same
result the full parser gives; anything else goes to the full parser and its messages."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app.__main__ import parse_args, plain_launch
from app.cli.parser import build_parser

LAUNCHES = [
    [],
    ["--config-dir", "/srv/c"],
    ["--data-dir", "d"],
    ["--config-dir=/srv/c", "--data-dir", "/srv/d"],
    ["--data-dir", "a", "--data-dir", "b"],
    ["--config-dir="],
]


@pytest.mark.parametrize("argv", LAUNCHES)
def test_a_plain_launch_reads_as_the_full_parser_reads_it(argv: list[str]) -> None:
    assert plain_launch(argv) is not None
    assert parse_args(argv) == build_parser().parse_args(argv)


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["--version"],
        ["--config", "/srv/c"],  # an abbreviation: the full parser's to accept
        ["--config-dir"],
        ["--config-dir", "--data-dir", "d"],
        ["--data-dir", "d", "get", "Mail"],
        ["ls"],
        ["--", "x"],
        ["-x"],
    ],
)
def test_anything_else_goes_to_the_full_parser(argv: list[str]) -> None:
    assert plain_launch(argv) is None


def test_a_missing_value_gets_the_full_parsers_message() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "app", "--config-dir"], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "argument --config-dir: expected one argument" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_plain_launch_does_not_build_the_commands_parser() -> None:
    code = (
        "import sys\n"
        "from app.__main__ import parse_args\n"
        "parse_args(['--config-dir', '/srv/c'])\n"
        "print('app.cli.parser' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False"]
