"""Masking a program's output: every secret replaced by CONCEALED, even one split across reads.

A stream is fed in the pieces it was read in. What could still be the start of a secret (the
longest end of what was read that begins one) is held back until the next piece says whether it
is; everything else is written at once, so a prompt, a colour change or a progress line is not
delayed unless it ends with the first characters of a secret. No time limit lets held bytes go:
a program that prints half a secret and waits shows nothing of it until it prints more or ends.

Every secret is masked however short: one of a single character makes that character vanish
from the output (1Password's ``op run`` does the same); ``--no-masking`` is the way out. A
secret holding a line feed is also looked for with CR LF, as a terminal writes it. Secrets
found overlapping or touching (``ABCDEF`` and ``DEFGHI`` in ``ABCDEFGHI``) are one concealed
run: no byte of any of them comes through. Pure: no I/O.
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
        self.secrets = sorted(forms, key=len, reverse=True)
        self.longest = len(self.secrets[0]) if self.secrets else 0
        self.pending = b""  # read, not written yet
        self.tail = b""  # the end of the concealed run written last, while it may go on

    def feed(self, data: bytes) -> bytes:
        """What may be written of ``data`` now, masked."""
        if not self.secrets:
            return data
        buffer, base = self.tail + self.pending + data, len(self.tail)
        runs = self._runs(buffer, base)
        held_from = len(buffer) - self._held(buffer)
        # The first run that a secret still to come may overlap or touch: one that begins
        # before the held end is concealed now, through its end (only that end may grow);
        # one that begins in it waits with it.
        out, position = [], base
        for start, end in runs:
            if end < held_from:
                out += [buffer[position:start], CONCEALED] if start >= base else []
                position = end
                continue
            if start >= held_from:
                break
            out += [buffer[position:start], CONCEALED] if start >= base else []
            self.tail = buffer[max(start, end - self.longest) : end]
            self.pending = buffer[end:]
            return b"".join(out)
        held_from = max(held_from, position)
        out.append(buffer[position:held_from])
        self.tail, self.pending = b"", buffer[held_from:]
        return b"".join(out)

    def flush(self) -> bytes:
        """The rest, at the stream's end (no secret can be completed any more)."""
        buffer, base = self.tail + self.pending, len(self.tail)
        self.tail = self.pending = b""
        out, position = [], base
        for start, end in self._runs(buffer, base):
            out += [buffer[position:start], CONCEALED] if start >= base else []
            position = max(position, end)
        out.append(buffer[position:])
        return b"".join(out)

    def _runs(self, buffer: bytes, base: int) -> list[tuple[int, int]]:
        """The concealed runs of ``buffer``: every place any secret is found, those that
        overlap or touch made one, in order. ``buffer[:base]`` is the end of a run already
        written (a run that reaches into it goes on from it)."""
        spans = [(0, base)] if base else []
        for secret in self.secrets:
            at = buffer.find(secret)
            while at != -1:
                spans.append((at, at + len(secret)))
                at = buffer.find(secret, at + 1)
        spans.sort()
        runs: list[tuple[int, int]] = []
        for start, end in spans:
            if runs and start <= runs[-1][1]:
                runs[-1] = (runs[-1][0], max(runs[-1][1], end))
            else:
                runs.append((start, end))
        return runs

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
