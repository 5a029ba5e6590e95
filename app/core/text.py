"""Stored text made safe to print: the one rule the screens and the command line share."""

from __future__ import annotations

import unicodedata

_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}


def visible_text(text: str) -> str:
    """One line of text safe to draw: control and bidi-override characters become '�'."""
    if text.isascii() and text.isprintable():
        return text  # nearly every title, name and URL: nothing to replace, no loop
    return "".join(
        " "
        if character in "\t\n"
        else "�"
        if unicodedata.category(character) in _INVISIBLE
        else character
        for character in text
    )
