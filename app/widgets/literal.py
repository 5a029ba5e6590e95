"""Text from outside shown as it is: never a terminal escape, never markup.

Whatever the database, an import or a person typed (usernames, device labels, every item field)
reaches the terminal through two guards, each in one place:

- :class:`TerminalSafe`, a line filter on the whole App: the last step before the terminal, it
  turns every control character (C0, DEL, C1: the bytes that start escape sequences) and every
  bidirectional override in any drawn text into '�'. So no widget, dialog, notification or
  palette entry can pass an OSC 52 or a cursor move through, whatever it was given.
- :func:`literal`, a Rich ``Text`` that is never parsed for markup, for building what a dialog
  shows from stored text: ``[bold]`` or ``[@click=app.quit]`` in an item stays those characters.
"""

from __future__ import annotations

import re

from rich.segment import Segment
from rich.text import Text
from textual.color import Color
from textual.filter import LineFilter

from app.core.text import visible_text

__all__ = ["REPLACEMENT", "TerminalSafe", "clean", "literal", "visible_text"]

REPLACEMENT = "\N{REPLACEMENT CHARACTER}"
# C0 controls, DEL and C1 controls; the bidirectional embeddings, overrides and isolates, and
# the Arabic letter mark: characters that change what the terminal does or how it orders text.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """``text`` with every unsafe character replaced, one for one."""
    return UNSAFE.sub(REPLACEMENT, text) if UNSAFE.search(text) else text


def literal(text: str, style: str = "") -> Text:
    """Stored text as a renderable that is shown exactly as typed: never parsed for markup
    (its control characters are the App's filter's to replace, as they are drawn)."""
    return Text(text, style=style)


class TerminalSafe(LineFilter):
    """Replaces unsafe characters in every segment the App draws (see the module docstring)."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        if not any(UNSAFE.search(segment.text) for segment in segments if not segment.control):
            return segments
        return [
            segment
            if segment.control
            else Segment(clean(segment.text), segment.style, segment.control)
            for segment in segments
        ]
