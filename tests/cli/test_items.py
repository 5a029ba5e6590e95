"""add and edit, run as a script runs them: a taken title or an empty password is refused
without --force, and the notes, TOTP secret, custom fields, favourite and tags are set, the
secrets read from standard input (never the command line)."""

from __future__ import annotations

import json

from sqlalchemy import create_engine, select

from app.core.config import Settings
from app.core.items import ItemDraft
from app.models import VaultItem
from tests.command_line import one_clean_line, strongroom
from tests.pilot import seed


def whole(settings: Settings, query: str) -> dict[str, object]:
    done = strongroom(settings, "get", query, "--json")
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def versions(settings: Settings) -> list[int]:
    """Each item's version, as the database holds it."""
    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            return [int(v) for v in connection.scalars(select(VaultItem.version))]
    finally:
        engine.dispose()


def test_a_taken_title_and_an_empty_password_need_force(settings: Settings) -> None:
    seed(settings, ItemDraft("GitHub", "alice", "gh-secret"))
    taken = strongroom(settings, "add", "github", stdin="other-secret\n")
    assert taken.returncode == 2
    one_clean_line(taken.stderr)
    assert "exists already" in taken.stderr
    assert "--force" in taken.stderr
    assert len(strongroom(settings, "ls").stdout.splitlines()) == 1
    forced = strongroom(settings, "add", "github", "--force", stdin="other-secret\n")
    assert forced.returncode == 0, forced.stderr
    assert len(strongroom(settings, "ls").stdout.splitlines()) == 2

    empty = strongroom(settings, "add", "Shop", stdin="\n")
    assert empty.returncode == 2
    one_clean_line(empty.stderr)
    assert "empty" in empty.stderr
    assert strongroom(settings, "get", "Shop").returncode == 1
    assert strongroom(settings, "add", "Shop", "--force", stdin="\n").returncode == 0
    assert strongroom(settings, "get", "Shop").stdout == "\n"
    cleared = strongroom(settings, "edit", "GitHub", "--password", stdin="\n")
    assert cleared.returncode == 2
    one_clean_line(cleared.stderr)
    assert strongroom(settings, "get", "GitHub").stdout == "gh-secret\n"


def test_add_and_edit_set_notes_totp_fields_and_favourite(settings: Settings) -> None:
    seed(settings)
    # The password, the TOTP secret, each field's value, then the notes: every line left.
    added = strongroom(
        settings, "add", "Bank", "-u", "a.smith", "--totp", "--field", "PIN", "--field",
        "Account", "--notes", "--favourite",
        stdin="bank-secret\nJBSWY3DPEHPK3PXP\n4321\nDE00 1234\nfirst line\n\nthird line\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert added.stdout == ""
    for secret in ("bank-secret", "JBSWY3DPEHPK3PXP", "4321"):
        assert secret not in added.stderr
    item = whole(settings, "Bank")
    assert item["password"] == "bank-secret"
    assert item["notes"] == "first line\n\nthird line"
    assert item["favourite"] is True
    assert item["fields"] == [
        {"name": "PIN", "value": "4321", "secret": True},
        {"name": "Account", "value": "DE00 1234", "secret": True},
    ]
    assert strongroom(settings, "totp", "Bank").returncode == 0

    # The TOTP secret first, then each field; an empty value removes it; no notes left on
    # standard input: none.
    edited = strongroom(
        settings, "edit", "Bank", "--totp", "--field", "PIN", "--field", "Account", "--notes",
        "--no-favourite", stdin="\n\n9999\n",
    )  # fmt: skip
    assert edited.returncode == 0, edited.stderr
    item = whole(settings, "Bank")
    assert item["totp"] == ""
    assert item["fields"] == [{"name": "Account", "value": "9999", "secret": True}]
    assert item["notes"] == ""
    assert item["favourite"] is False
    assert item["password"] == "bank-secret"


def test_edit_tag_adds_and_untag_removes(settings: Settings) -> None:
    seed(settings, ItemDraft("Mail", "me", "mail-secret", tags=("home", "Mail")))
    added = strongroom(settings, "edit", "Mail", "--tag", "work", "--tag", "mail")
    assert added.returncode == 0, added.stderr
    assert whole(settings, "Mail")["tags"] == ["home", "Mail", "work"]
    removed = strongroom(settings, "edit", "Mail", "--untag", "HOME", "--untag", "absent")
    assert removed.returncode == 0, removed.stderr
    assert whole(settings, "Mail")["tags"] == ["Mail", "work"]
    assert "strongroom: 'Mail' has no tag 'absent'.\n" in removed.stderr
    assert "Saved 'Mail'" in removed.stderr


def test_edit_untag_of_a_tag_the_item_lacks_says_so_and_fails_only_when_nothing_changed(
    settings: Settings,
) -> None:
    """As rm of a missing file: the missing tag is named on standard error; with nothing else
    to change, nothing is saved and the exit is 1 (not found), so a script notices."""
    seed(settings, ItemDraft("Mail", "me", "mail-secret", tags=("home",)))
    (first,) = versions(settings)
    alone = strongroom(settings, "edit", "Mail", "--untag", "work", "--untag", "Old")
    assert alone.returncode == 1
    one_clean_line(alone.stderr)
    assert alone.stderr == "strongroom: 'Mail' has no tag 'work' or 'Old'; nothing was changed.\n"
    assert versions(settings) == [first]  # not saved again
    with_more = strongroom(settings, "edit", "Mail", "--untag", "work", "-u", "you")
    assert with_more.returncode == 0, with_more.stderr
    assert with_more.stderr.splitlines()[0] == "strongroom: 'Mail' has no tag 'work'."
    item = whole(settings, "Mail")
    assert (item["username"], item["tags"]) == ("you", ["home"])
    assert versions(settings) == [first + 1]


def test_edit_to_a_taken_title_needs_force(settings: Settings) -> None:
    seed(settings, ItemDraft("GitHub", "alice", "gh-secret"), ItemDraft("Shop", "bob", "s"))
    taken = strongroom(settings, "edit", "Shop", "--title", "github")
    assert taken.returncode == 2
    one_clean_line(taken.stderr)
    assert "exists already" in taken.stderr
    assert "--force" in taken.stderr
    assert strongroom(settings, "get", "Shop", "--field", "title").stdout == "Shop\n"
    # Its own title in another case is no clash.
    assert strongroom(settings, "edit", "Shop", "--title", "SHOP").returncode == 0
    forced = strongroom(settings, "edit", "SHOP", "--title", "github", "--force")
    assert forced.returncode == 0, forced.stderr
    assert len(strongroom(settings, "ls").stdout.splitlines()) == 2
