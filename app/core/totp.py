"""Time-based one-time codes (RFC 6238): what an authenticator app does with a stored secret.

A secret is stored as typed when it uses the defaults (6 digits, every 30 s, SHA-1), or as a
canonical otpauth:// link when it does not, so its digits, period, algorithm and issuer are
kept and used. The codes themselves come from pyotp (its HMAC is the standard library's); the
digest functions from :mod:`app.core.crypto`.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

# 80 bits: the shortest secret authenticator apps accept (Google Authenticator's 16 characters).
MIN_SECRET_BITS = 80
ALGORITHMS = ("SHA1", "SHA256", "SHA512")
DEFAULTS = (6, 30, "SHA1")


class TotpError(ValueError):
    """A secret or link that cannot make codes; the message says why."""


@dataclass(frozen=True)
class TotpSpec:
    secret: str  # base32, upper case, no padding
    digits: int = 6
    period: int = 30
    algorithm: str = "SHA1"
    issuer: str = ""
    label: str = ""

    def stored(self) -> str:
        """What the vault keeps: the bare secret for the defaults, else an otpauth:// link."""
        if (self.digits, self.period, self.algorithm) == DEFAULTS and not self.issuer:
            return self.secret
        query = {"secret": self.secret, "digits": self.digits, "period": self.period}
        query["algorithm"] = self.algorithm
        if self.issuer:
            query["issuer"] = self.issuer
        return (
            f"otpauth://totp/{quote(self.label or self.issuer or 'Strongroom')}?{urlencode(query)}"
        )

    def describe(self) -> str:
        """The parameters a person may need to check against the site (empty for defaults)."""
        parts = []
        if (self.digits, self.period, self.algorithm) != DEFAULTS:
            parts.append(f"{self.digits} digits, every {self.period} s, {self.algorithm}")
        if self.issuer:
            parts.append(f"issuer {self.issuer}")
        return "; ".join(parts)


def _secret(text: str) -> str:
    compact = "".join(text.split()).upper().rstrip("=")
    try:
        decoded = base64.b32decode(compact + "=" * (-len(compact) % 8))
    except (binascii.Error, ValueError):
        raise TotpError(
            "The TOTP secret must be base32 (letters A-Z and digits 2-7) or an otpauth:// link."
        ) from None
    if len(decoded) * 8 < MIN_SECRET_BITS:
        raise TotpError("The TOTP secret is too short (at least 16 characters).")
    return compact


def _number(query: dict[str, list[str]], name: str, default: int, allowed: range) -> int:
    value = query.get(name, [str(default)])[0]
    if not value.isdigit() or int(value) not in allowed:
        raise TotpError(
            f"The otpauth:// link's {name} must be a whole number "
            f"from {allowed.start} to {allowed.stop - 1}."
        )
    return int(value)


def parse(text: str) -> TotpSpec:
    """A bare base32 secret or an otpauth://totp/ link, as a TotpSpec (TotpError if neither)."""
    text = text.strip()
    if not text.lower().startswith("otpauth://"):
        return TotpSpec(_secret(text))
    parts = urlsplit(text)
    if parts.netloc.lower() != "totp":
        raise TotpError("Only time-based (otpauth://totp/) links are supported.")
    query = parse_qs(parts.query)
    if "secret" not in query:
        raise TotpError("That otpauth:// link has no secret.")
    algorithm = query.get("algorithm", ["SHA1"])[0].upper()
    if algorithm not in ALGORITHMS:
        raise TotpError(f"The otpauth:// link's algorithm must be one of {', '.join(ALGORITHMS)}.")
    label = unquote(parts.path.lstrip("/"))
    issuer = query.get("issuer", [label.split(":", 1)[0] if ":" in label else ""])[0]
    return TotpSpec(
        _secret(query["secret"][0]),
        digits=_number(query, "digits", 6, range(6, 11)),
        period=_number(query, "period", 30, range(1, 3601)),
        algorithm=algorithm,
        issuer=issuer,
        label=label,
    )


def reason(error: TotpError) -> str:
    """Why a stored secret makes no codes, to go after a colon (no capital, no full stop)."""
    why = str(error).rstrip(".")
    return why[:1].lower() + why[1:]


def problem(title: str, error: TotpError | None = None) -> str:
    """What is wrong with an item's TOTP secret, in one sentence: it has none (``error`` is
    None), or the one it has makes no codes, and why. Each surface adds what to do there."""
    from app.core.text import visible_text

    named = repr(visible_text(title))
    if error is None:
        return f"Item {named} has no TOTP secret."
    return f"Item {named} has a TOTP secret that makes no codes: {reason(error)}."


def totp_now(stored: str, now: float) -> tuple[str, int]:
    """The current code and the seconds it stays valid (TotpError for a stored value that
    cannot make codes, such as one written to the database by something else)."""
    import pyotp

    from app.core.crypto import totp_digest

    spec = parse(stored)

    class Totp(pyotp.TOTP):
        min_secret_length_bits = MIN_SECRET_BITS

    totp = Totp(
        spec.secret, digits=spec.digits, digest=totp_digest(spec.algorithm), interval=spec.period
    )
    return totp.at(now), int(spec.period - now % spec.period)
