"""Masking a program's output: every secret replaced by CONCEALED, even one split across reads.

A stream is fed in the pieces it was read in. What could still be the start of a secret (the
longest end of what was read that begins one) is held back until the next piece says whether it
is; everything else is written at once, so a prompt, a colour change or a progress line is not
delayed unless it ends with the first characters of a secret. No time limit lets held bytes go:
a program that prints half a secret and waits shows nothing of it until it prints more or ends.

Every secret is masked however short: one of a single character makes that character vanish
from the output (1Password's ``op run`` does the same); ``--no-masking`` is the way out. A
secret holding a line feed is also looked for with CR LF, as a terminal writes it. Pure: no I/O.
"""

from __future__ import annotations

TYPE_CHECKING = (
    False  # no typing, no re: a warm `strongroom run` loads this (app/cli/commands/run.py)
)
if TYPE_CHECKING:
    from collections.abc import Iterable

CONCEALED = b"<concealed by strongroom>"


class Masker:
    """One output stream's masking (see the module)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        forms: set[bytes] = set()
        for secret in secrets:
            if not secret:
                continue
            raw = secret.encode("utf-8", "surrogateescape")
            forms.add(raw)
            if b"\n" in raw:
                forms.add(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
        self.secrets = sorted(forms, key=len, reverse=True)  # the longest wins at a position
        self.longest = len(self.secrets[0]) if self.secrets else 0
        self.pending = b""

    def feed(self, data: bytes) -> bytes:
        """What may be written of ``data`` now, masked."""
        if not self.secrets:
            return data
        buffer = self.pending + data
        cut = len(buffer) - self._held(buffer)
        out, position = [], 0
        while (found := self._first(buffer, position)) is not None and found[0] < cut:
            out += [buffer[position : found[0]], CONCEALED]
            position = found[1]
        cut = max(cut, position)
        out.append(buffer[position:cut])
        self.pending = buffer[cut:]
        return b"".join(out)

    def flush(self) -> bytes:
        """The rest, at the stream's end (no secret can be completed any more)."""
        rest, self.pending = self.pending, b""
        out, position = [], 0
        while (found := self._first(rest, position)) is not None:
            out += [rest[position : found[0]], CONCEALED]
            position = found[1]
        out.append(rest[position:])
        return b"".join(out)

    def _first(self, buffer: bytes, start: int) -> tuple[int, int] | None:
        """Where the leftmost secret in ``buffer`` from ``start`` begins and ends (the longest
        of those that begin there), or None."""
        best: tuple[int, int] | None = None
        for secret in self.secrets:  # longest first: at a tie, the first found stays
            at = buffer.find(secret, start)
            if at != -1 and (best is None or at < best[0]):
                best = (at, at + len(secret))
        return best

    def _held(self, buffer: bytes) -> int:
        """The length of the longest end of ``buffer`` that is a proper beginning of a
        secret (0 when none is)."""
        tail = buffer[-(self.longest - 1) :] if self.longest > 1 else b""
        best = 0
        for secret in self.secrets:
            first = secret[:1]
            start = tail.find(first)
            while start != -1:
                size = len(tail) - start
                if size <= best:
                    break  # later starts are shorter
                if size < len(secret) and secret.startswith(tail[start:]):
                    best = size
                    break
                start = tail.find(first, start + 1)
        return best
