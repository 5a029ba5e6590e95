"""The cyclic garbage collector, kept off long-lived objects: the one place that tunes it.

Strongroom allocates a great many objects that live as long as the process (the loaded
libraries) or as long as the vault is open (10,000 items, their search index), and none of them
in a reference cycle. Left alone, the collector walks every one of them again at every full
collection: in the app that was up to half the time of an unlock, and a pause in the middle of
a keystroke. Two entry points keep it off them: :func:`freeze_long_lived` once the database
stack is loaded, and :func:`collector_paused` around building many objects. Frozen objects are
still freed by reference counting when dropped.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

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
