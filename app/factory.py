"""One factory for the real app and the tests: settings in, a ready StrongroomApp out."""

from __future__ import annotations

from app.app import StrongroomApp
from app.core.accounts import Clock
from app.core.config import Settings
from app.services.backend import Backend


def make_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    device_label: str | None = None,
) -> StrongroomApp:
    return StrongroomApp(Backend(settings, clock=clock, device_label=device_label))
