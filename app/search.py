"""Search as you type: case-insensitive, fuzzy, over title, username, URLs and tags.

Built for a keystroke budget of one frame at 10,000 items: each item's searchable text is
lower-cased once (an Index), and a query is a substring test per item, falling back to one
compiled subsequence pattern, so the work per keystroke is a few C-level string scans.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.items import Item


@dataclass(frozen=True)
class _Entry:
    item: Item
    title: str
    rest: str


class Index:
    def __init__(self, items: Sequence[Item]) -> None:
        self.items = list(items)
        self._entries = [
            _Entry(
                item,
                item.title.casefold(),
                "\n".join((item.username, *item.urls, *item.tags)).casefold(),
            )
            for item in self.items
        ]

    def search(self, query: str) -> list[Item]:
        """Matching items, best first; the whole list (in its order) for an empty query."""
        needle = query.strip().casefold()
        if not needle:
            return self.items
        terms = needle.split()
        scored: list[tuple[int, int, Item]] = []
        fuzzy = re.compile(".*?".join(re.escape(c) for c in needle.replace(" ", "")))
        for position, entry in enumerate(self._entries):
            score = _score(entry, terms, fuzzy)
            if score:
                scored.append((-score, position, entry.item))
        scored.sort(key=lambda row: (row[0], row[1]))
        return [row[2] for row in scored]


def _score(entry: _Entry, terms: list[str], fuzzy: re.Pattern[str]) -> int:
    total = 0
    for term in terms:
        if entry.title.startswith(term):
            total += 100
        elif term in entry.title:
            total += 60
        elif term in entry.rest:
            total += 30
        else:
            total = 0
            break
    if total:
        return total
    if fuzzy.search(entry.title):
        return 10
    if fuzzy.search(entry.rest):
        return 5
    return 0
