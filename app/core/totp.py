"""Time-based one-time codes (RFC 6238) from a stored base32 secret."""

from __future__ import annotations


def totp_now(secret: str, now: float) -> tuple[str, int]:
    """The current code and the seconds it stays valid."""
    import pyotp  # loaded with the first code shown, not on the way to the first frame

    totp = pyotp.TOTP(secret)
    return totp.at(now), int(totp.interval - now % totp.interval)
