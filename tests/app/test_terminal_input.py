"""What the terminal sends is read as typed: Esc before text is Esc, a paste stays whole."""

from __future__ import annotations

from textual import events
from textual._xterm_parser import XTermParser

from app.flows.terminal_input import TerminalParser


def read(*chunks: str, parser: XTermParser | None = None) -> list[tuple[str, str | None]]:
    """The keys and pastes the app gets for what the terminal sent, in chunks as read."""
    parser = parser or TerminalParser()
    got: list[tuple[str, str | None]] = []
    for chunk in chunks:
        for event in parser.feed(chunk):
            if isinstance(event, events.Key):
                got.append((event.key, event.character))
            elif isinstance(event, events.Paste):
                got.append(("paste", event.text))
    return got


def test_esc_then_text_at_once_is_esc_and_the_text() -> None:
    long = "1-habit-typed-master-password-longer-than-32"
    got = read("\x1b" + long)
    assert got[0][0] == "escape"
    assert "".join(character or "" for _, character in got[1:]) == long
    assert read("\x1bhi")[:2] == [("escape", None), ("h", "h")]
    assert read("\x1b-x")[:2] == [("escape", None), ("minus", "-")]  # not an en dash
    assert read("\x1bPx")[:2] == [("escape", None), ("P", "P")]


def test_the_sequences_keys_send_are_read_as_before() -> None:
    # Arrows (also in application cursor mode), Ctrl+Right, F1, Alt+Backspace, Shift+Tab.
    for sent in ("\x1b[A", "\x1bOA", "\x1b[1;5C", "\x1bOP", "\x1b\x7f", "\x1b[Z"):
        assert read(sent) == read(sent, parser=XTermParser()), repr(sent)
    assert read("\x1b[A") == [("up", None)]


def test_a_paste_keeps_its_order_and_loses_only_its_esc_bytes() -> None:
    got = read("A\x1b[200~BC\x1bDE\x1b[201~F")
    assert got == [("A", "A"), ("paste", "BCDE"), ("F", "F")]
    # Read in pieces, the end of the paste split between them.
    got = read("A\x1b[200~BC\x1bD", "E\x1b[2", "01~F")
    assert got == [("A", "A"), ("paste", "BCDE"), ("F", "F")]
    assert read("\x1b[200~first\nsecond\x1b[201~") == [("paste", "first\nsecond")]
