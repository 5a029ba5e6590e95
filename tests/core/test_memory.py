"""collector_paused: no cyclic collection inside, and what was built is frozen on the way out."""

from __future__ import annotations

import gc
import threading

from app.core.memory import collector_paused


def test_the_collector_is_off_inside_and_what_was_built_is_frozen() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # nested: the inner exit does not switch it back on
            built = [[n] for n in range(1000)]
        assert not gc.isenabled()
        frozen_before = gc.get_freeze_count()
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen_before + len(built)


def test_concurrent_uses_leave_it_on_only_when_all_are_done() -> None:
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with collector_paused():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other)
    thread.start()
    inside.wait(5)
    with collector_paused():
        pass
    assert not gc.isenabled()  # the other thread is still inside
    release.set()
    thread.join(5)
    assert gc.isenabled()
