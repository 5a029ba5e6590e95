"""One factory for the real app and the tests: settings in, a ready StrongroomApp out."""

from __future__ import annotations

from app.app import StrongroomApp
from app.core.accounts import Clock, device_label
from app.core.config import Settings
from app.services.backend import Backend


def this_device() -> str:
    """What this device's sessions are called in the sessions list: its host and system
    ("laptop (Linux)"), so that a person can tell their devices apart there."""
    import platform

    return device_label(platform.system())


def make_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    device_label: str | None = None,
) -> StrongroomApp:
    label = device_label or this_device()
    return StrongroomApp(Backend(settings, clock=clock, device_label=label, reads_ahead=True))
