"""Which item a query names, for get, totp, edit and rm: an exact title, then every word as a
substring of the title, username or URLs (any case), and fuzzy search only when nothing else
matches; an ambiguous query lists at most 20 candidates, a line each."""

from __future__ import annotations

import re

import pytest

from app.core.config import Settings
from app.core.items import ItemDraft
from tests.command_line import strongroom
from tests.pilot import seed


@pytest.fixture
def crowded(settings: Settings) -> Settings:
    seed(
        settings,
        *(
            ItemDraft(f"Amazon {n}", f"shopper{n}", f"amazon-secret-{n}", ("https://amazon.com",))
            for n in range(1, 26)
        ),
        ItemDraft("Gaming forum", "gamer", "forum-secret", ("https://forum.example.net",)),
        ItemDraft("Foo Rumble", "rumbler", "rumble-secret"),  # "forum" only as a subsequence
        ItemDraft("Work Mail", "me@work.example", "work-secret", ("https://mail.work.example",)),
        ItemDraft("Mail", "me@mail", "mail-secret", totp="JBSWY3DPEHPK3PXP"),
        ItemDraft("Mail old", "me@mail", "old-secret"),
        ItemDraft("GitHub", "alice", "gh-secret", ("https://github.com",)),
    )
    return settings


def test_an_ambiguous_query_lists_twenty_candidates_a_line_each(crowded: Settings) -> None:
    done = strongroom(crowded, "get", "amazon")
    assert (done.returncode, done.stdout) == (3, "")
    lines = done.stderr.splitlines()
    assert lines[0] == "strongroom: 25 items match 'amazon'; name one with id:N:"
    assert len(lines) == 22
    for line in lines[1:21]:
        assert re.fullmatch(r"  id:\d+  Amazon \d+  shopper\d+", line), line
    assert lines[21] == "  and 5 more: add a word, or name one with id:N"
    assert "secret" not in done.stderr
    picked = re.findall(r"id:\d+", lines[3])[0]
    assert strongroom(crowded, "get", picked).stdout.startswith("amazon-secret-")


def test_exact_title_then_every_word_then_fuzzy(crowded: Settings) -> None:
    def got(*query: str) -> str:
        done = strongroom(crowded, "get", *query)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert got("Mail") == "mail-secret\n"  # an exact title wins over "Mail old", "Work Mail"
    assert got("amazon 7") == "amazon-secret-7\n"  # the title in another case
    assert got("forum") == "forum-secret\n"  # not "Foo Rumble", a fuzzy match
    assert got("mail work") == "work-secret\n"  # every word, in any order
    assert got("WORK.example") == "work-secret\n"  # the username or a URL
    assert got("gthb") == "gh-secret\n"  # fuzzy, when nothing holds the words
    assert got("rumbl") == "rumble-secret\n"
    missing = strongroom(crowded, "get", "zzqx")
    assert missing.returncode == 1
    assert len(missing.stderr.splitlines()) == 1


def test_totp_edit_and_rm_find_items_the_same_way(crowded: Settings) -> None:
    assert strongroom(crowded, "totp", "mail").returncode == 0  # "Mail", in another case
    edited = strongroom(crowded, "edit", "forum", "--username", "player")
    assert edited.returncode == 0, edited.stderr
    assert strongroom(crowded, "get", "Gaming forum", "-f", "username").stdout == "player\n"
    ambiguous = strongroom(crowded, "rm", "amazon")
    assert ambiguous.returncode == 3
    assert ambiguous.stderr.splitlines()[0].startswith("strongroom: 25 items match")
    assert strongroom(crowded, "rm", "forum").returncode == 0
    assert strongroom(crowded, "get", "Gaming forum").returncode == 1


def test_dup_item_2_comes_before_dup_item_12_in_get_and_ls(settings: Settings) -> None:
    """An exact title first, then by how the words match (the start of the title, the start of
    a word, as the 2 of "dup item 2" and not of "12", inside a word); equals in the vault's
    order, numbers by value. get's candidates come in that order too."""
    seed(
        settings,
        ItemDraft("dup item 12", password="twelve"),
        ItemDraft("dup item 2", password="two"),
        ItemDraft("dup item 1", password="one"),
        ItemDraft("Archive: dup item 2", password="archived"),
    )

    def listed(*query: str) -> list[str]:
        done = strongroom(settings, "ls", *query)
        assert done.returncode == 0, done.stderr
        return [line.split("\t")[0] for line in done.stdout.splitlines()]

    def candidates(query: str) -> list[str]:
        done = strongroom(settings, "get", query)
        assert done.returncode == 3, done.stderr
        return [line.split("  ")[2] for line in done.stderr.splitlines()[1:]]

    assert listed() == ["Archive: dup item 2", "dup item 1", "dup item 2", "dup item 12"]
    assert listed("dup item 2") == ["dup item 2", "Archive: dup item 2", "dup item 12"]
    assert strongroom(settings, "get", "dup item 2").stdout == "two\n"
    assert strongroom(settings, "get", "DUP ITEM 2").stdout == "two\n"
    assert candidates("dup 2") == ["dup item 2", "Archive: dup item 2", "dup item 12"]
    assert candidates("dup item") == [
        "dup item 1", "dup item 2", "dup item 12", "Archive: dup item 2"
    ]  # fmt: skip
