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
        # Typing forward only ever narrows the matches (every term and every subsequence of
        # a longer query matches wherever it did for the shorter one), so each keystroke
        # searches the previous keystroke's candidates instead of the whole vault.
        self._last_needle = ""
        self._last_candidates: list[_Entry] = self._entries

    def search(self, query: str) -> list[Item]:
        """Matching items, best first; the whole list (in its order) for an empty query."""
        needle = query.strip().casefold()
        if not needle:
            self._last_needle, self._last_candidates = "", self._entries
            return self.items
        pool = self._entries
        if self._last_needle and needle.startswith(self._last_needle):
            pool = self._last_candidates
        terms = needle.split()
        compact = needle.replace(" ", "")
        # A one-character subsequence is a substring: no pattern needed.
        fuzzy = re.compile(".*?".join(map(re.escape, compact))) if len(compact) > 1 else None
        scored: list[tuple[int, int, _Entry]] = []
        append = scored.append
        for position, entry in enumerate(pool):
            # Inlined scoring: this loop is the whole cost of a keystroke.
            title, rest = entry.title, entry.rest
            score = 0
            for term in terms:
                if title.startswith(term):
                    score += 100
                elif term in title:
                    score += 60
                elif term in rest:
                    score += 30
                else:
                    score = 0
                    break
            if not score and fuzzy is not None:
                score = 10 if fuzzy.search(title) else 5 if fuzzy.search(rest) else 0
            if score:
                append((-score, position, entry))
        self._last_needle = needle
        self._last_candidates = [row[2] for row in scored]
        scored.sort(key=lambda row: (row[0], row[1]))
        return [row[2].item for row in scored]
