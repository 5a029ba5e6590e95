"""One factory for the real app and the tests: settings in, a ready StrongroomApp out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from app.app import StrongroomApp
from app.backend import Backend
from app.config import Settings


def make_app(
    settings: Settings,
    *,
    clock: Callable[[], datetime] | None = None,
    device_label: str | None = None,
) -> StrongroomApp:
    return StrongroomApp(Backend(settings, clock=clock, device_label=device_label))
