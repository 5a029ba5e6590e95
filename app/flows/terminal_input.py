"""What the terminal sends is read as it was typed: a bracketed paste whole and in order,
whatever bytes it holds, and Esc typed just before text as Esc.

Textual's terminal parser reads an ESC inside a paste as the start of a key sequence: the text
after it came out as keys ahead of the paste, the ESC itself as "^", and the paste lost a
character ("BC<ESC>DE" pasted after "A" read as "A^DEBC"). A field has no use for an ESC
byte, so it is taken out of what is pasted before the parser sees it, and the paste stays one
piece, in its place among the keys typed around it.

Esc with text at once after it (a burst, a lagged link: Esc on Register then a password, from
habit) reaches the app as one sequence, as Alt+letter does: Textual read it as Alt+h, as an en dash
for "-" or "¡" for "1", or past 32 characters as "^" and the text, and the Esc was lost, so the
password went on into the form being left. Strongroom binds no Alt+character: an ESC followed
by a character that starts no escape sequence is given to the parser as the Esc key itself
(its kitty-protocol form), then the character.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from textual._xterm_parser import XTermParser  # the parser the Linux driver reads keys with
from textual.driver import Driver
from textual.message import Message

ESC = "\x1b"
PASTE_START = "\x1b[200~"
PASTE_END = "\x1b[201~"
ESCAPE_KEY = "\x1b[27u"  # the Esc key, as the kitty keyboard protocol sends it
# ESC, then a character that is text: not one that opens a sequence a terminal sends for a key
# or a reply (CSI "[", SS3 "O", OSC "]") or ends a string ("\\").
ESC_BEFORE_TEXT = re.compile(r"\x1b(?=[^\x00-\x1f\x7f\[O\]\\])")


def _partial_end(text: str) -> int:
    """How many characters at the end of ``text`` may begin the end of the paste."""
    for size in range(min(len(text), len(PASTE_END) - 1), 0, -1):
        if PASTE_END.startswith(text[-size:]):
            return size
    return 0


def _escape_before_text(typed: str) -> str:
    return ESC_BEFORE_TEXT.sub(lambda _: ESCAPE_KEY, typed)


class TerminalParser(XTermParser):
    def __init__(self, debug: bool = False) -> None:
        super().__init__(debug)
        self._in_paste = False
        self._carried = ""  # what may be the start of the paste's end, until more is read

    def feed(self, data: str) -> Iterable[Message]:
        if not data:
            return super().feed(data)  # the end of input
        data = self._without_pasted_escapes(self._carried + data)
        return super().feed(data) if data else ()

    def _without_pasted_escapes(self, data: str) -> str:
        self._carried = ""
        out: list[str] = []
        at = 0
        while at < len(data):
            if not self._in_paste:
                start = data.find(PASTE_START, at)
                if start < 0:
                    out.append(_escape_before_text(data[at:]))
                    break
                out.append(_escape_before_text(data[at:start]) + PASTE_START)
                at = start + len(PASTE_START)
                self._in_paste = True
                continue
            end = data.find(PASTE_END, at)
            if end < 0:
                text = data[at:]
                keep = _partial_end(text)
                out.append(text[: len(text) - keep].replace(ESC, ""))
                self._carried = text[len(text) - keep :]
                break
            out.append(data[at:end].replace(ESC, "") + PASTE_END)
            at = end + len(PASTE_END)
            self._in_paste = False
        return "".join(out)


def read_as_typed(driver: type[Driver]) -> type[Driver]:
    """Have the Linux driver read the terminal with TerminalParser (it names its parser at
    module level, and reads in a thread of its own: there is no other way in)."""
    from textual.drivers import linux_driver

    if issubclass(driver, linux_driver.LinuxDriver):
        linux_driver.XTermParser = TerminalParser  # type: ignore[attr-defined]
    return driver
