"""What the app says of an item it cannot make a TOTP code for, in a real terminal at 80x24 and
120x40: the detail pane and Ctrl+T's notice each say what is wrong and where to put it right."""

from __future__ import annotations

import pytest

from app.core import rules
from app.core.config import Settings
from app.core.items import ItemDraft
from tests.pilot import seed
from tests.terminal import terminal, write_config


def unwrapped(screen: str, edge: str) -> str:
    """The text right of the last ``edge`` on each line (a pane's or a notice's left border),
    its lines joined as one paragraph: what a wrapped message says, whatever the width."""
    parts = [line.rsplit(edge, 1)[1].strip(" │") for line in screen.splitlines() if edge in line]
    return " ".join(" ".join(parts).split())


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_the_app_says_what_is_wrong_with_a_totp_secret_and_where_to_fix_it(
    sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    with monkeypatch.context() as patched:  # saved as an older Strongroom, checking less, could
        patched.setattr(rules, "normalize_totp", lambda value: value)
        seed(
            sqlite_settings,
            ItemDraft("Alpha", password="pw"),
            ItemDraft("Bank login", password="pw", totp="JBSWY3DP"),
        )
    write_config(sqlite_settings)
    with terminal(sqlite_settings, *size) as term:
        term.launch()
        term.wait_for("Alpha")
        term.keys("C-t")  # Alpha, the first item, has none
        term.wait_for("Item 'Alpha'")
        assert (
            "Item 'Alpha' has no TOTP secret. Add one in its edit form (Enter or e)."
            in unwrapped(term.screen(), "▌")
        )
        term.keys("Down")
        term.wait_for("makes no codes")
        assert (
            "TOTP makes no codes: the TOTP secret is too short (at least 16 characters). "
            "Replace it in the edit form (Enter or e)."
        ) in unwrapped(term.screen(), "││")
        term.keys("C-t")
        term.wait_for("Item 'Bank login'")
        assert (
            "Item 'Bank login' has a TOTP secret that makes no codes: the TOTP secret is too "
            "short (at least 16 characters). Replace it in its edit form (Enter or e)."
        ) in unwrapped(term.screen(), "▌")
        assert "JBSWY3DP" not in term.screen()
