"""What ``strongroom totp`` (and ``get --field totp``) says of an item it cannot make a code for:
what is wrong, in one line, and the command that puts it right (which does)."""

from __future__ import annotations

import pytest

from app.core import rules
from app.core.config import Settings
from app.core.items import ItemDraft
from tests.command_line import one_clean_line, strongroom
from tests.pilot import seed

SECRET = "JBSWY3DPEHPK3PXP"


def seed_unusable(settings: Settings, monkeypatch: pytest.MonkeyPatch, secret: str) -> None:
    """An item whose stored TOTP secret makes no codes, as an older Strongroom (which checked
    less) could have saved it."""
    with monkeypatch.context() as patched:
        patched.setattr(rules, "normalize_totp", lambda value: value)
        seed(settings, ItemDraft("Bank login", password="pw", totp=secret))


def test_totp_of_an_item_without_a_secret_names_the_command_that_adds_one(
    settings: Settings,
) -> None:
    seed(settings, ItemDraft("Bank login", password="pw"))
    for command in (("totp", "Bank login"), ("get", "Bank login", "--field", "totp")):
        done = strongroom(settings, *command)
        assert (done.returncode, done.stdout) == (1, ""), done.stderr
        one_clean_line(done.stderr)
        assert done.stderr == (
            "strongroom: Item 'Bank login' has no TOTP secret. "
            "Add one with: strongroom edit 'Bank login' --totp\n"
        )
    # The command it names, as given, does it.
    assert strongroom(settings, "edit", "Bank login", "--totp", stdin=SECRET + "\n").returncode == 0
    assert strongroom(settings, "totp", "Bank login").stdout.strip().isdigit()


@pytest.mark.parametrize(
    ("stored", "why"),
    [
        ("JBSWY3DP", "the TOTP secret is too short (at least 16 characters)"),
        ("not base32!", "the TOTP secret must be base32 (letters A-Z and digits 2-7)"),
    ],
)
def test_totp_of_a_secret_that_makes_no_codes_says_why_and_how_to_replace_it(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, stored: str, why: str
) -> None:
    seed_unusable(settings, monkeypatch, stored)
    done = strongroom(settings, "totp", "Bank login")
    assert (done.returncode, done.stdout) == (1, ""), done.stderr
    one_clean_line(done.stderr)
    assert done.stderr.startswith(
        f"strongroom: Item 'Bank login' has a TOTP secret that makes no codes: {why}"
    )
    assert done.stderr.endswith(". Replace it with: strongroom edit 'Bank login' --totp\n")
    assert stored not in done.stderr  # a secret, even one that makes no codes, is never shown
    fixed = strongroom(settings, "edit", "Bank login", "--totp", stdin=SECRET + "\n")
    assert fixed.returncode == 0, fixed.stderr
    assert strongroom(settings, "totp", "Bank login").stdout.strip().isdigit()
