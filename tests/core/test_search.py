"""Search ranking."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.items import Item
from app.core.search import Index, natural_key


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


def test_an_exact_title_wins_then_whole_words_then_inside_words() -> None:
    """The title "dup item 2" is the query, and its 2 starts a word; in "dup item 12" the 2 is
    inside a number. Whatever the order the items come in, the same ranking; ties then keep
    the vault's order, numbers by value."""
    dups = [item(1, "dup item 2"), item(2, "Dup item 20 old"), item(3, "dup item 12")]
    for order in (dups, dups[::-1]):
        assert titles(Index(order).search("dup item 2")) == [
            "dup item 2", "Dup item 20 old", "dup item 12"
        ]  # fmt: skip
        assert titles(Index(order).search("item 2"))[-1] == "dup item 12"
        assert titles(Index(order).search("2"))[-1] == "dup item 12"
    assert titles(Index(dups).search("item 2")) == ["dup item 2", "Dup item 20 old", "dup item 12"]
    backup = [item(1, "Mail backup"), item(2, "mail")]
    assert titles(Index(backup).search("MAIL")) == ["mail", "Mail backup"]
    assert titles(Index(backup).search(" mail  ")) == ["mail", "Mail backup"]


def test_the_vault_order_puts_numbers_by_value() -> None:
    names = ["dup item 12", "Dup item 2", "dup item", "dup item 02b", "dup item 100", "a10", "a9z"]
    assert sorted(names, key=natural_key) == [
        "a9z", "a10", "dup item", "Dup item 2", "dup item 02b", "dup item 12", "dup item 100"
    ]  # fmt: skip
    assert natural_key("GitHub") == "github"  # no digits: the folded title itself


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


def _is_subsequence(needle: str, text: str) -> bool:
    remaining = iter(text)
    return all(character in remaining for character in needle)


def _starts_a_word(term: str, title: str) -> bool:
    """A word (a letter, digit or underscore after anything else) begins with ``term``."""

    def word(character: str) -> bool:
        return character.isalnum() or character == "_"

    return word(term[0]) and any(
        title.startswith(term, at) and (at == 0 or not word(title[at - 1]))
        for at in range(len(title))
    )


def _reference(items: list[Item], query: str) -> list[Item]:
    """The ranking rules spelled out one item at a time, to check the fast Index against."""
    terms = query.casefold().split()
    if not terms:
        return items
    compact = "".join(terms)
    scored = []
    for position, entry in enumerate(items):
        title, *fields = (
            f.casefold().replace("\n", " ").replace("\x1f", " ").replace("\x1e", " ")
            for f in (entry.title, entry.username, *entry.urls, *entry.tags)
        )
        score = 0
        for term in terms:
            if title.startswith(term):
                score += 100
            elif _starts_a_word(term, title):
                score += 80
            elif term in title:
                score += 60
            elif any(term in f for f in fields):
                score += 30
            else:
                score = 0
                break
        if score and title == " ".join(terms):
            score = 1000
        if not score and len(compact) > 1:
            if _is_subsequence(compact, title):
                score = 10
            elif any(_is_subsequence(compact, f) for f in fields):
                score = 5
        if score:
            scored.append((-score, position, entry))
    scored.sort(key=lambda row: (row[0], row[1]))
    return [row[2] for row in scored]


# Few letters, so that subsequences that are not substrings are common, plus the characters
# that could break the single-string scan (line breaks, the field separator, case folding).
_text = st.text(alphabet="abcab .\n\x1f\x1eÄß1", max_size=10)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.tuples(_text, _text, st.lists(_text, max_size=2), st.lists(_text, max_size=2)),
        max_size=30,
    ),
    st.lists(st.text(alphabet="abcabẞ. 1", min_size=1, max_size=4), min_size=1, max_size=4),
)
def test_fast_search_agrees_with_the_rules_one_item_at_a_time(
    rows: list[tuple[str, str, list[str], list[str]]], queries: list[str]
) -> None:
    items = [item(n, t, u, tuple(urls), tuple(tags)) for n, (t, u, urls, tags) in enumerate(rows)]
    index = Index(items)
    typed = ""
    for query in queries:
        typed += query  # typing forward, as in the search box, and fresh searches
        assert index.search(typed) == _reference(items, typed), typed
        assert Index(items).search(query) == _reference(items, query), query
