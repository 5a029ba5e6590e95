"""What a lock does about decrypted text beyond dropping the items: the fields of the screens it
closes are emptied, and the text caches of Rich, Textual and Strongroom are cleared, before the
memory they held is released and reused (app.core.memory.release_dropped).

The caches matter because they keep what was drawn: Rich's cell-width cache
(``rich.cells.cached_cell_len``) is keyed by the very strings drawn, a revealed password among
them, and Textual keeps rendered lines in LRU caches of its own.
"""

from __future__ import annotations

import sys
from typing import Any

from textual.screen import Screen
from textual.widgets import Input, TextArea

CACHED_PACKAGES = ("rich", "textual", "app")


def empty_fields(screen: Screen[Any]) -> None:
    """Every text field of ``screen`` emptied (with a text area's undo history): a screen
    closed by a lock may live on a while (a timer of a field, a message on its way)."""
    for field in screen.query(Input):
        field.value = ""
    for area in screen.query(TextArea):
        area.clear()
        area.history.clear()


def clear_text_caches() -> int:
    """Clear every ``functools.lru_cache`` of Rich, Textual and Strongroom (module functions
    and methods alike): they are caches, filled again as the next screens are drawn. How many
    were cleared."""
    cleared = 0
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] not in CACHED_PACKAGES:
            continue
        for value in list(vars(module).values()):
            if isinstance(value, type) and value.__module__ == name:
                for member in list(vars(value).values()):
                    cleared += _clear(getattr(member, "__func__", member))
            else:
                cleared += _clear(value)
    return cleared


def _clear(value: object) -> int:
    clear = getattr(value, "cache_clear", None)
    if callable(clear) and hasattr(value, "cache_info"):
        clear()
        return 1
    return 0
