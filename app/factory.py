"""One factory for the real app and the tests: settings in, a ready StrongroomApp out."""

from __future__ import annotations

from app.app import StrongroomApp
from app.core.accounts import Clock
from app.core.config import Settings
from app.services.backend import Backend


def this_device() -> str:
    """What this device's sessions are called in the sessions list: its host and system
    ("laptop (Linux)"), so that a person can tell their devices apart there. A long host name
    is cut so that the system stays in the list's 24 columns."""
    import platform
    import socket

    host = socket.gethostname() or "this device"
    system = platform.system()
    if not system:
        return host
    room = 24 - len(f" ({system})")
    if len(host) > room:
        host = host[: room - 1] + "…"
    return f"{host} ({system})"


def make_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    device_label: str | None = None,
) -> StrongroomApp:
    label = device_label or this_device()
    return StrongroomApp(Backend(settings, clock=clock, device_label=label))
