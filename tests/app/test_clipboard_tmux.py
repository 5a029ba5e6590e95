"""A secret the app copies inside tmux leaves no copy in tmux's buffer list once cleared: it
goes into one named buffer (``strongroom``), which clearing deletes, after
``clipboard_clear_seconds`` or on lock. (An OSC 52 copy would become one of tmux's automatic
buffers, which the clearing space only joins.) Read with ``tmux list-buffers``."""

from __future__ import annotations

import pytest

from app.core.config import Settings
from app.core.items import ItemDraft
from tests.app.test_key_bursts import SIZES
from tests.cli.test_clip import holding
from tests.pilot import seed
from tests.terminal import BEFORE, terminal, write_config

SECRET = "tmux-buffer-canary-7f3e"


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("clearing", ["timer", "lock"])
def test_a_copied_password_is_gone_from_every_tmux_buffer(
    sqlite_settings: Settings, size: tuple[int, int], clearing: str
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Site", username="alice", password=SECRET))
    write_config(settings, clipboard_clear_seconds=5)
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("1 item in your vault")
        term.keys("C-c")
        term.wait_until(lambda: holding(term, SECRET) == ["strongroom"], "the copy in tmux")
        assert term.clipboard() == SECRET  # what a paste (prefix ]) gives
        if clearing == "lock":
            term.keys("C-l")
            term.wait_for("Vault locked")
        term.wait_until(lambda: not holding(term, SECRET), "no buffer holding the secret")
        assert "strongroom" not in term.tmux("list-buffers", "-F", "#{buffer_name}").split()
        assert term.clipboard() == BEFORE  # the buffer went; the one before is on top again
