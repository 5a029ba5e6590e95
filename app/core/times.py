"""Times as a person reads them: in the local time zone, with the zone named."""

from __future__ import annotations

from datetime import datetime


def local(moment: datetime, *, seconds: bool = False) -> str:
    """``2026-11-30 13:05 CET``: the database's UTC time shown in this machine's zone."""
    shown = moment.astimezone()
    return shown.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")
