"""Reading a file a person named (an env file, a template, an SSH key) without being made to
wait or to read forever: only a regular file is read, and only so far.

Its own module, importing nothing but ``os`` and ``stat``: a warm ``strongroom run`` reads
its env files through it before the program starts, without loading typing, pathlib or re.
"""

from __future__ import annotations

import os
import stat


class NotARegularFile(Exception):
    """What was named is a folder, a pipe or a device: refused unread."""

    def __init__(self, folder: bool) -> None:
        super().__init__("a folder" if folder else "a pipe or a device")
        self.folder = folder


def read_regular_file(path: str | os.PathLike[str], limit: int) -> bytes:
    """At most the first ``limit`` + 1 bytes of a regular file (a link is followed to one), so
    that the caller can tell a file over ``limit``. Opened without waiting: a named pipe nobody
    writes to would block an open, and one never closed a read. A folder, a pipe or a device
    (a link to /dev/zero) raises NotARegularFile before anything is read; OSError as it comes."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise NotARegularFile(stat.S_ISDIR(mode))
        chunks, size = [], 0
        while size <= limit and (chunk := os.read(descriptor, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(descriptor)
