"""Search ranking."""

from __future__ import annotations

from app.controllers.vault import Item
from app.search import Index


def item(
    n: int, title: str, username: str = "", urls: tuple[str, ...] = (), tags: tuple[str, ...] = ()
) -> Item:
    return Item(n, 1, title, username, urls=urls, tags=tags)


ITEMS = [
    item(1, "GitHub", "alice", ("https://github.com",), ("work",)),
    item(2, "My Git server", "root"),
    item(3, "Bank", "alice@example.org", ("https://bank.example",), ("money",)),
    item(4, "Gitea mirror"),
    item(5, "Groceries", "shopper", tags=("home",)),
]


def titles(results: list[Item]) -> list[str]:
    return [r.title for r in results]


def test_empty_query_keeps_the_order() -> None:
    assert titles(Index(ITEMS).search("  ")) == [i.title for i in ITEMS]


def test_prefix_beats_substring_beats_other_fields() -> None:
    assert titles(Index(ITEMS).search("GIT")) == ["GitHub", "Gitea mirror", "My Git server"]
    assert titles(Index(ITEMS).search("alice")) == ["GitHub", "Bank"]
    assert titles(Index(ITEMS).search("money")) == ["Bank"]
    assert titles(Index(ITEMS).search("bank.example")) == ["Bank"]


def test_every_term_must_match() -> None:
    assert titles(Index(ITEMS).search("git work")) == ["GitHub"]


def test_fuzzy_subsequence_as_a_last_resort() -> None:
    assert titles(Index(ITEMS).search("gthb")) == ["GitHub"]
    assert titles(Index(ITEMS).search("grcrs")) == ["Groceries"]
    assert Index(ITEMS).search("zzz") == []


def test_regex_characters_are_literal() -> None:
    assert Index([item(1, "a.*b"), item(2, "axxb")]).search(".*") == [
        Index([item(1, "a.*b")]).items[0]
    ]


def test_typing_forward_gives_the_same_results_as_a_fresh_search() -> None:
    import random

    rng = random.Random(7)
    words = ["git", "hub", "bank", "mail", "work", "home", "gitea", "alice", "bob", "shop"]
    items = [
        item(n, " ".join(rng.sample(words, 2)), rng.choice(words), tags=(rng.choice(words),))
        for n in range(300)
    ]
    typed = Index(items)
    for query in ("g", "gi", "git", "git ", "git w", "git wo", "gi", "b", "bo", "bob s", ""):
        assert typed.search(query) == Index(items).search(query), query
