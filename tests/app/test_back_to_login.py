"""From Register back to the login form: the last username is there and the focus is on the
(masked) password, so a password typed from habit is never shown in clear."""

from __future__ import annotations

import pytest

from app.core.config import Settings
from tests.pilot import seed
from tests.terminal import terminal, write_config

TYPED = "habit-typed-master-password"


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_back_to_log_in_from_register_masks_a_password_typed_at_once(
    sqlite_settings: Settings, size: tuple[int, int]
) -> None:
    settings = sqlite_settings
    seed(settings, remember=False)
    write_config(settings)
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("Log in to your vault")
        term.keys("C-n")
        term.wait_for("Create your account")
        term.keys("Escape")
        term.wait_for("Log in to your vault")
        term.type(TYPED)
        term.wait_for("•" * len(TYPED))
        screen = term.screen()
        assert TYPED not in screen
        assert "alice" in screen
