"""TOTP codes as authenticator apps make them: every secret length they accept, and every
parameter an otpauth:// link carries, checked against independent computations."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct

import pyotp
import pytest

from app.core.config import Settings
from app.core.items import ItemDraft
from app.core.rules import normalize_totp
from app.core.totp import TotpError, parse, totp_now
from app.factory import make_app
from tests.pilot import drawn, seed, settle

NOW = 1_700_000_000.0


def rfc6238(
    secret: str, now: float, digits: int = 6, period: int = 30, digest: str = "sha1"
) -> str:
    """RFC 6238, written out from the RFC: the reference the app's codes are held to."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(now // period)), getattr(hashlib, digest)).digest()
    offset = mac[-1] & 0x0F
    code = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(code % 10**digits).zfill(digits)


@pytest.mark.parametrize("secret", ["JBSWY3DPEHPK3PXP", "JBSWY3DPEHPK3PXPJBSW", "A" * 32, "B" * 52])
def test_every_secret_length_authenticator_apps_accept(secret: str) -> None:
    stored = normalize_totp(secret.lower())
    assert stored == secret
    assert totp_now(stored, NOW) == (rfc6238(secret, NOW), 30 - int(NOW % 30))


def test_an_otpauth_link_keeps_and_uses_every_parameter() -> None:
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    link = f"otpauth://totp/Example:alice?secret={secret}&digits=8&period=60&algorithm=SHA256&issuer=Example"
    stored = normalize_totp(link)
    spec = parse(stored)
    assert (spec.secret, spec.digits, spec.period, spec.algorithm, spec.issuer) == (
        secret,
        8,
        60,
        "SHA256",
        "Example",
    )
    reference = pyotp.TOTP(secret, digits=8, interval=60, digest=hashlib.sha256).at(NOW)
    assert totp_now(stored, NOW)[0] == reference == rfc6238(secret, NOW, 8, 60, "sha256")
    assert spec.describe() == "8 digits, every 60 s, SHA256; issuer Example"
    sha512 = normalize_totp(f"otpauth://totp/x?secret={secret}&algorithm=SHA512")
    assert totp_now(sha512, NOW)[0] == rfc6238(secret, NOW, digest="sha512")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("JBSWY3DP", "too short"),
        ("not base32!", "must be base32"),
        ("otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP", "time-based"),
        ("otpauth://totp/x?digits=8", "no secret"),
        ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=4", "digits"),
        ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=MD5", "algorithm"),
        ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=0", "period"),
    ],
)
def test_a_secret_that_cannot_make_codes_says_why(text: str, reason: str) -> None:
    with pytest.raises(TotpError, match=reason):
        totp_now(text, NOW)


async def test_ctrl_t_copies_the_code_of_a_sixteen_character_secret(settings: Settings) -> None:
    seed(settings, ItemDraft("Site", totp="JBSWY3DPEHPK3PXP"))
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert app.is_running
        assert app.clipboard.isdigit()
        assert len(app.clipboard) == 6


async def test_the_detail_pane_shows_the_links_parameters(settings: Settings) -> None:
    from app.widgets.item_detail import ItemDetail

    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    link = f"otpauth://totp/Bank?secret={secret}&digits=8&period=60&algorithm=SHA256&issuer=Bank"
    seed(settings, ItemDraft("Bank", totp=link))
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        shown = " ".join(drawn(app.screen.query_one(ItemDetail)).split())  # wrapped to the pane
        assert "8 digits, every 60 s, SHA256; issuer Bank" in shown
        await pilot.press("ctrl+t")
        assert len(app.clipboard) == 8
