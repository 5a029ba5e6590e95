"""The app is drawn at the terminal's own size, whatever COLUMNS and LINES a shell exported,
and follows the terminal when it is resized."""

from __future__ import annotations

import shlex

from app.core.config import Settings
from tests.pilot import seed
from tests.terminal import STRONGROOM, Terminal, terminal, write_config

BOX = 64  # the login form's width, centred on the screen


def box_column(term: Terminal) -> int:
    """Where the login form's top edge starts on the visible screen (-1: not drawn yet)."""
    for line in term.screen().splitlines():
        if "╭" in line:
            return line.index("╭")
    return -1


def test_exported_columns_and_lines_do_not_pin_the_app(sqlite_settings: Settings) -> None:
    settings = sqlite_settings
    seed(settings, remember=False)
    write_config(settings)
    with terminal(settings, 120, 40) as term:
        term.run(
            f"export COLUMNS=80 LINES=24; "
            f"STRONGROOM_DATABASE_URL={shlex.quote(settings.database_url)} "
            f"{shlex.quote(str(STRONGROOM))} --config-dir {shlex.quote(str(settings.config_dir))} "
            f"--data-dir {shlex.quote(str(settings.data_dir))}; sleep 60"
        )
        term.wait_for("Log in to your vault")
        # Centred in 120 columns, not in the 80 the environment claims.
        term.wait_until(lambda: box_column(term) == (120 - BOX) // 2, "drawn 120 wide")
        term.resize(100, 30)
        term.wait_until(lambda: box_column(term) == (100 - BOX) // 2, "redrawn 100 wide")
