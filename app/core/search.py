"""Search as you type: case-insensitive, fuzzy, over title, username, URLs, tags and the
names of custom fields (never their values).

Built for a keystroke budget of one frame at 10,000 items. Each item's searchable text is
lower-cased once (an Index). A query is first a substring test per item; the items that fail it
are then tried as a subsequence ("gthb" finds "GitHub") in one regular-expression scan over their
texts joined into a single string, so the slow part runs in C and costs Python time only per hit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from app.core.items import Item

# Scores: the whole query is the title; else each term at the start of the title, at the start
# of one of its words, inside it, in another field. Below every one of those, a subsequence of
# the whole query in the title, then in another field. Ties keep the vault's order (see
# natural_key).
EXACT = 1000
TITLE_PREFIX, TITLE_WORD, TITLE_SUBSTRING, OTHER_FIELD = 100, 80, 60, 30

_NUMBERS = re.compile(r"[0-9]+")
_DIGITS = frozenset("0123456789")


def _number(match: re.Match[str]) -> str:
    digits = match.group().lstrip("0") or "0"
    return f"{len(digits):03d}{digits}"  # a longer number is a larger one


def natural_key(title: str) -> str:
    """A title's place in the vault's order: case-folded, its numbers by value, so that
    "dup item 2" comes before "dup item 12". A string (each number led by its length), as
    cheap to compare as the title itself; a title without digits is its own key."""
    folded = title.casefold()
    if _DIGITS.isdisjoint(folded):
        return folded
    return _NUMBERS.sub(_number, folded)


# Marks where each word of a title begins (a letter or digit after anything else), so that
# "a term that starts a word" is one substring test: WORD + term in the marked title.
WORD = "\x1e"
_WORD_STARTS = re.compile(r"(?<!\w)(?=\w)")


def _marked(title: str) -> str:
    return _WORD_STARTS.sub(WORD, title)


def _searchable(*fields: str) -> str:
    """The fields, lower-cased, on one line, split by a separator no field can hold."""
    return "\x1f".join(
        f.casefold().replace("\n", " ").replace("\x1f", " ").replace(WORD, " ") for f in fields
    )


def _subsequence_pattern(needle: str) -> re.Pattern[str]:
    """Finds ``needle``'s characters in order inside one field, without backtracking.

    Taking each character at its first occurrence after the previous one finds a subsequence
    whenever there is one, so each step is a possessive run up to the next character (linear
    in the field's length), and a try starts only at an occurrence of the first character,
    which the regular-expression engine finds by a fast literal scan.
    """
    first, rest = re.escape(needle[0]), needle[1:]
    steps = "".join(f"[^{re.escape(c)}\n\x1f]*+{re.escape(c)}" for c in rest)
    return re.compile(first + steps)


def _lines_matching(pattern: re.Pattern[str], texts: list[str]) -> list[int]:
    """The indexes of ``texts`` in which ``pattern`` matches, found in one scan of their join."""
    joined = "\n".join(texts)
    hits: list[int] = []
    line, scanned, position = 0, 0, 0
    search, count, find = pattern.search, joined.count, joined.find
    while (match := search(joined, position)) is not None:
        start = match.start()
        line += count("\n", scanned, start)
        hits.append(line)
        # Go on from the next line: one hit per item is all that counts.
        scanned = find("\n", match.end())
        if scanned < 0:
            break
        position = scanned + 1
    return hits


class Index:
    def __init__(self, items: Sequence[Item]) -> None:
        self.items = list(items)
        self._titles = [_searchable(item.title) for item in self.items]
        self._words = [_marked(title) for title in self._titles]
        self._others = [
            _searchable(item.username, *item.urls, *item.tags, *(f.name for f in item.fields))
            for item in self.items
        ]
        # Typing forward only ever narrows the matches (every term and every subsequence of
        # a longer query matches wherever it did for the shorter one), so each keystroke
        # searches the previous keystroke's matches instead of the whole vault.
        self._last_needle = ""
        self._last_matches: Iterable[int] = range(len(self.items))

    def search(self, query: str) -> list[Item]:
        """Matching items, best first; the whole list (in its order) for an empty query."""
        needle = query.strip().casefold()
        everything = range(len(self.items))
        if not needle:
            self._last_needle, self._last_matches = "", everything
            return self.items
        pool: Iterable[int] = everything
        if self._last_needle and needle.startswith(self._last_needle):
            pool = self._last_matches
        terms = needle.split()
        titles, others = self._titles, self._others
        # Groups of positions, best score first, each in vault order: read in turn, they are
        # the matches sorted by score then position, with no tuple made or sorted per match.
        if len(terms) == 1:
            groups, missed = self._one_term(terms[0], pool)
        else:
            groups, missed = self._many_terms(terms, pool)
        compact = "".join(terms)
        if missed and len(compact) > 1:  # one character is a substring, already tried
            subsequence = _subsequence_pattern(compact)
            in_title = _lines_matching(subsequence, [titles[p] for p in missed])
            groups.append([missed[i] for i in in_title])
            found = set(in_title)
            rest = [p for i, p in enumerate(missed) if i not in found]
            groups.append(
                [rest[i] for i in _lines_matching(subsequence, [others[p] for p in rest])]
            )
        positions = [position for group in groups for position in group]
        self._last_needle = needle
        self._last_matches = sorted(positions)  # a few sorted runs, merged
        items = self.items
        return [items[position] for position in positions]

    def _one_term(self, term: str, pool: Iterable[int]) -> tuple[list[list[int]], list[int]]:
        """What one term (the usual case while typing) matches, grouped by score (best first),
        each group in vault order; and the positions it missed.

        The same scores as :meth:`_many_terms`, found without a score per item.
        """
        titles, others = self._titles, self._others
        prefix: list[int] = []
        inside: list[int] = []
        other: list[int] = []
        missed: list[int] = []
        for position in pool:  # this loop is the per-item cost of a keystroke
            title = titles[position]
            if title.startswith(term):
                prefix.append(position)
            elif term in title:
                inside.append(position)
            elif term in others[position]:
                other.append(position)
            else:
                missed.append(position)
        exact = [p for p in prefix if titles[p] == term]
        if exact:
            prefix = [p for p in prefix if titles[p] != term]
        words, starting = self._words, WORD + term
        word = [p for p in inside if starting in words[p]]
        if word:
            inside = [p for p in inside if starting not in words[p]]
        return [exact, prefix, word, inside, other], missed

    def _many_terms(
        self, terms: list[str], pool: Iterable[int]
    ) -> tuple[list[list[int]], list[int]]:
        """Every term must match somewhere; each adds its own score. One group, sorted by
        score then position (the sums take many values); and the positions missed."""
        titles, others = self._titles, self._others
        whole = " ".join(terms)
        words = self._words
        scored: list[tuple[int, int]] = []
        missed: list[int] = []
        for position in pool:
            title, other = titles[position], others[position]
            score = 0
            for term in terms:
                if title.startswith(term):
                    score += TITLE_PREFIX
                elif term in title:
                    score += TITLE_WORD if WORD + term in words[position] else TITLE_SUBSTRING
                elif term in other:
                    score += OTHER_FIELD
                else:
                    score = 0
                    break
            if score:
                scored.append((-EXACT if title == whole else -score, position))
            else:
                missed.append(position)
        scored.sort()
        return [[position for _, position in scored]], missed
