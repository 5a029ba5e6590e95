"""The cyclic garbage collector, kept off long-lived objects: the one place that tunes it; and
what a lock can do about decrypted text left in the process's memory.

Strongroom allocates a great many objects that live as long as the process (the loaded
libraries) or as long as the vault is open (10,000 items, their search index), and none of them
in a reference cycle. Left alone, the collector walks every one of them again at every full
collection: in the app that was up to half the time of an unlock, and a pause in the middle of
a keystroke. Two entry points keep it off them: :func:`freeze_long_lived` once the database
stack is loaded, and :func:`collector_paused` around building many objects. Frozen objects are
still freed by reference counting when dropped.

After a lock (see :func:`release_dropped`): frozen objects in reference cycles (screens and
their widgets are) are never collected, so a lock thaws everything, collects it, and freezes
what is left. Python cannot wipe a string: a dropped one stays in freed memory until that memory
is used again. :func:`wipe_on_free` has the C library overwrite what it frees (large strings,
the frames written to the terminal), and :func:`reuse_freed_blocks` has Python's own small-object
allocator hand out, zeroed, the blocks it had freed. What neither reaches: a copy still
referenced somewhere (an interned string, a library's cache this module does not know), and
memory the C library keeps for a thread (those are wiped on free as well).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_paused = 0
_paused_lock = threading.Lock()


def freeze_long_lived() -> None:
    """Take everything alive now (SQLAlchemy, the crypto libraries, once loaded) out of the
    collector's view for good."""
    gc.freeze()


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while the block runs (reference counting goes on).

    Opening 10,000 items allocates some 100,000 objects, and every few thousand allocations the
    collector would walk every object in the process. On the way out, what the block made (and
    everything else alive) is frozen, or the first allocation after it would set off the one
    big collection that was put off. Nested and concurrent uses are counted.
    """
    global _paused
    with _paused_lock:
        _paused += 1
        gc.disable()
    try:
        yield
    finally:
        with _paused_lock:
            _paused -= 1
            if not _paused:
                gc.freeze()
                gc.enable()


M_PERTURB = -6  # mallopt's parameter (glibc): fill memory with a byte when it is freed
PERTURB_BYTE = 0xA5


def _libc_function(name: str) -> Any:
    """A function of the C library (glibc, on Linux), or None."""
    if not sys.platform.startswith("linux"):
        return None
    library = ctypes.util.find_library("c")
    if library is None:
        return None
    try:
        return getattr(ctypes.CDLL(library), name)
    except (OSError, AttributeError):
        return None


def _perturb(fill: int) -> bool:
    """glibc's M_PERTURB: fill each block it frees with ``fill`` (0: leave it); whether it
    could (not elsewhere)."""
    mallopt = _libc_function("mallopt")
    if mallopt is None:
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_PERTURB, fill))


def wipe_on_free() -> bool:
    """Have the C library (glibc) overwrite every block it frees from now on; whether it could
    (not elsewhere). Python's small objects are its own allocator's: see reuse_freed_blocks."""
    return _perturb(PERTURB_BYTE)


def stop_wiping() -> None:
    """Have the C library free without overwriting again (see wipe_on_free): the fill costs
    every free its memset, a third of an unlock's time, so it is on only while a lock drops
    what was decrypted."""
    _perturb(0)


def return_free_pages() -> None:
    """Give the C library's free pages back to the system (``malloc_trim``), in every arena,
    threads' included: read again, they are zero."""
    trim = _libc_function("malloc_trim")
    if trim is not None:
        trim.argtypes = [ctypes.c_size_t]
        trim(0)


# Python's small-object allocator serves sizes up to 512 bytes in 16-byte classes; a bytes
# object's header takes 33 of them (so the smallest classes, too small for any text, are left).
SMALL_LIMIT = 512
SIZE_STEP = 16
BYTES_HEADER = 33
REUSE_BYTES = 256 * 1024 * 1024  # at most this much is borrowed, in all


def reuse_freed_blocks(budget: int = REUSE_BYTES) -> int:
    """Take every freed small block back, zeroed, and free it again: what a dropped string
    left in one is overwritten (only the free list's link is written into it again). How
    many bytes it borrowed.

    Each size class is asked for blocks until one comes from memory the process did not have
    before (a fresh arena, which the system hands out zeroed): by then the allocator had no
    freed block of that size left. ``budget`` bounds the work in any case."""
    from bisect import bisect_right

    known = _mapped()
    starts = [start for start, _ in known]

    def fresh(address: int) -> bool:
        at = bisect_right(starts, address) - 1
        return at < 0 or address >= known[at][1]

    spent = 0
    for size in range(BYTES_HEADER + 15, SMALL_LIMIT + 1, SIZE_STEP):
        length = size - BYTES_HEADER
        batch = max(64, 65536 // size)
        held: list[bytes] = []
        while spent < budget:
            blocks = [bytes(length) for _ in range(batch)]
            held.extend(blocks)
            spent += batch * size
            if fresh(id(blocks[-1])):  # blocks come in order once the freed ones are used
                break
        del held
    return spent


def _mapped() -> list[tuple[int, int]]:
    """The process's memory mappings now, as (start, end), in order."""
    regions = []
    try:
        with open("/proc/self/maps", encoding="ascii") as maps:
            for line in maps:
                start, end = line.split(" ", 1)[0].split("-")
                regions.append((int(start, 16), int(end, 16)))
    except OSError:
        return []
    return regions


def release_dropped() -> None:
    """After a lock dropped its references: collect what was frozen too (cycles of screens and
    widgets), freeze what is left again, and reuse the freed small blocks."""
    with _paused_lock:
        if _paused:
            return  # a worker is building many objects: the next lock does this
        gc.unfreeze()
        gc.collect()
        gc.freeze()
    reuse_freed_blocks()
    return_free_pages()
