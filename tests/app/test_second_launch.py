"""Launched again at the login form, Strongroom says nothing of a rollback: the warm-up it runs
while the form waits reads an account that cannot exist, and what it read is not this device's
view of any vault (it was remembered as one, and the next launch called the database older).
Read from the real terminal (tmux) and the device's own file."""

from __future__ import annotations

import json

import pytest

from app.core.config import Settings
from app.core.items import ItemDraft
from tests.command_line import strongroom
from tests.helpers import STRONG_PASSWORD
from tests.pilot import seed
from tests.terminal import terminal, write_config

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


@pytest.mark.parametrize("size", SIZES)
def test_each_launch_at_the_login_form_logs_in_with_no_word_of_a_rollback(
    settings: Settings, size: tuple[int, int]
) -> None:
    seed(settings, ItemDraft("GitHub", "alice", "first"))
    write_config(settings)
    assert strongroom(settings, "logout").returncode == 0
    for launch in range(3):
        with terminal(settings, *size) as term:
            term.launch()
            term.wait_for("Log in to your vault")
            # The warm-up runs while the form waits: long enough for it to end.
            screen = term.settled(quiet=1.5)
            assert "older" not in screen, (launch, screen)
            assert "could not be opened" not in screen, (launch, screen)
            term.type(STRONG_PASSWORD)
            term.keys("Enter")
            term.wait_for("1 item in your vault")
            assert "older" not in term.screen()
            term.keys("C-q")
            term.wait_for("STRONGROOM-EXITED")
        assert strongroom(settings, "logout").returncode == 0  # the next launch asks again
    seen = json.loads((settings.config_dir / "vault-seen.json").read_text())
    assert [name.rsplit("/", 1)[1] for name in seen["vaults"]] == ["1"]  # alice's vault alone
