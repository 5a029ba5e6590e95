"""What ``strongroom totp`` (and ``get --field totp``) says of an item it cannot make a code for:
what is wrong, in one line, and the command that puts it right (which does)."""

from __future__ import annotations

import json

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
            "Add one with: strongroom edit id:1 --totp\n"
        )
    # The command it names, as given, does it.
    assert strongroom(settings, "edit", "id:1", "--totp", stdin=SECRET + "\n").returncode == 0
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
    assert done.stderr.endswith(". Replace it with: strongroom edit id:1 --totp\n")
    assert stored not in done.stderr  # a secret, even one that makes no codes, is never shown
    fixed = strongroom(settings, "edit", "id:1", "--totp", stdin=SECRET + "\n")
    assert fixed.returncode == 0, fixed.stderr
    assert strongroom(settings, "totp", "Bank login").stdout.strip().isdigit()


def test_the_command_named_edits_the_item_read_whatever_its_title(settings: Settings) -> None:
    """A title that is another item's reference (``id:1``), or that two items share, would
    make ``strongroom edit TITLE`` edit the other item or answer "2 items match": the command
    named is by id."""
    seed(
        settings,
        ItemDraft("Mail", password="pw", totp=SECRET),
        ItemDraft("id:1", password="pw"),
        ItemDraft("Twin", password="pw"),
        ItemDraft("Twin", password="pw"),
    )
    named = strongroom(settings, "totp", "id:2")  # the item titled "id:1"
    assert named.returncode == 1, named.stderr
    assert named.stderr.endswith("Add one with: strongroom edit id:2 --totp\n")
    twin = strongroom(settings, "get", "id:4", "--field", "totp")
    assert twin.stderr.endswith("Add one with: strongroom edit id:4 --totp\n")
    for reference in ("id:2", "id:4"):
        fixed = strongroom(settings, "edit", reference, "--totp", stdin=SECRET + "\n")
        assert fixed.returncode == 0, fixed.stderr
        assert strongroom(settings, "totp", reference).stdout.strip().isdigit()
    # Neither "Mail" (id:1) nor the other twin was touched.
    assert strongroom(settings, "get", "id:3", "--field", "totp").returncode == 1
    mail = json.loads(strongroom(settings, "get", "id:1", "--json").stdout)
    assert (mail["title"], mail["totp"]) == ("Mail", SECRET)
