"""`strongroom show QUERY`: the whole item, a field a line, its secrets masked unless
--reveal, and nothing from the vault raw on the terminal."""

from __future__ import annotations

from app.core.config import Settings
from app.core.items import CustomField, ItemDraft
from tests.command_line import strongroom
from tests.pilot import seed

FLIP = "\u202e"


def test_show_prints_the_item_with_its_secrets_masked(settings: Settings) -> None:
    seed(
        settings,
        ItemDraft(
            "Bank",
            "a.smith",
            "bank-secret",
            ("https://bank.example", "https://app.bank.example"),
            notes="branch: Main St\nclerk: Bob",
            tags=("money", "home"),
            totp="JBSWY3DPEHPK3PXP",
            favourite=True,
            fields=(
                CustomField("PIN", "4321", secret=True),
                CustomField("Account", "DE00 1234"),
                CustomField(f"Evil{FLIP}", f"x{FLIP}y"),  # a bidi override reorders the line
            ),
        ),
    )
    shown = strongroom(settings, "show", "bank")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[:4] == [
        "Title:     Bank",
        "Username:  a.smith",
        "Password:  ********",
        "URL:       https://bank.example",
    ]
    assert "Tags:      money, home" in lines
    assert "TOTP:      ********" in lines
    assert "PIN:       ********" in lines
    assert "Account:   DE00 1234" in lines
    assert "Favourite: yes" in lines
    assert lines[-1] == "Notes:     ********"
    for secret in ("bank-secret", "JBSWY3DPEHPK3PXP", "4321", "Main St"):
        assert secret not in shown.stdout
    assert FLIP not in shown.stdout

    revealed = strongroom(settings, "show", "Bank", "--reveal")
    assert revealed.returncode == 0
    assert "Password:  bank-secret" in revealed.stdout.splitlines()
    assert "PIN:       4321" in revealed.stdout.splitlines()
    assert "JBSWY3DPEHPK3PXP" in revealed.stdout
    assert revealed.stdout.splitlines()[-3:] == ["Notes:", "  branch: Main St", "  clerk: Bob"]
    assert FLIP not in revealed.stdout

    missing = strongroom(settings, "show", "nothing-like-it")
    assert missing.returncode == 1
    assert len(missing.stderr.splitlines()) == 1
    log = settings.security_log_path.read_text()
    assert "shown with secrets masked" in log
    assert "all fields" in log
    assert "Bank" not in log
