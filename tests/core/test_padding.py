"""Sealed vault fields are padded to buckets: a ciphertext's length tells the bucket, not the
exact length of what it holds; a field written before padding still opens; a padding this
version would not write is a damaged field, never text."""

from __future__ import annotations

import secrets

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given
from hypothesis import strategies as st

from app.core import crypto
from app.core.padding import pad, padded_size, unpad, unpad_text

KEY = bytes(range(32))
AAD = crypto.field_aad(7, 42, "password")
OVERHEAD = 1 + crypto.NONCE_BYTES + 16  # format byte, nonce, tag


def old_format(plaintext: str, aad: bytes = AAD) -> bytes:
    """A field as Strongroom wrote it before padding: format 1, nonce, AES-GCM of the bare
    UTF-8 under the bare associated data."""
    nonce = secrets.token_bytes(crypto.NONCE_BYTES)
    return bytes([1]) + nonce + AESGCM(KEY).encrypt(nonce, plaintext.encode(), aad)


def sealed_with_padding(padded: bytes) -> bytes:
    """A format-2 field whose (authentic) plaintext is ``padded`` as given: what only someone
    holding the vault key could write."""
    nonce = secrets.token_bytes(crypto.NONCE_BYTES)
    return bytes([2]) + nonce + AESGCM(KEY).encrypt(nonce, padded, bytes([2]) + AAD)


def test_passwords_of_1_to_32_characters_seal_to_at_most_three_sizes() -> None:
    cipher = crypto.FieldCipher(KEY)
    alphabet = "abcXYZ019!@ ~"
    sizes = {
        len(cipher.seal("".join(secrets.choice(alphabet) for _ in range(n)), AAD))
        for n in range(1, 33)
    }
    assert sizes == {OVERHEAD + 32, OVERHEAD + 64}


@pytest.mark.parametrize(
    ("length", "bucket"),
    [(0, 32), (31, 32), (32, 64), (255, 256), (256, 512), (4095, 4096), (4096, 8192)],
)
def test_buckets_and_their_edges(length: int, bucket: int) -> None:
    cipher = crypto.FieldCipher(KEY)
    text = "p" * length
    blob = cipher.seal(text, AAD)
    assert blob[0] == crypto.FIELD_FORMAT_AES_GCM_PADDED_V2
    assert len(blob) == OVERHEAD + bucket
    assert cipher.open(blob, AAD) == text


def test_a_large_note_is_padded_to_4_kib() -> None:
    cipher = crypto.FieldCipher(KEY)
    for length in (5000, 8191, 100_000):
        assert (len(cipher.seal("n" * length, AAD)) - OVERHEAD) % 4096 == 0


@given(st.text(max_size=600))
def test_any_text_comes_back_exactly(text: str) -> None:
    """Trailing zeros, a 0x80 of its own (U+0080 is C2 80 in UTF-8), or nothing at all."""
    cipher = crypto.FieldCipher(KEY)
    for candidate in (text, text + "\x00\x00", text + "\u0080", text + "\u0080\x00"):
        assert cipher.open(cipher.seal(candidate, AAD), AAD) == candidate


def test_a_field_written_before_padding_still_opens() -> None:
    cipher = crypto.FieldCipher(KEY)
    for text in ("", "hunter2", "x" * 31, "€uro\u0080", "n" * 10_000):
        blob = old_format(text)
        assert len(blob) == OVERHEAD + len(text.encode())
        assert cipher.open(blob, AAD) == text


def test_a_relabelled_format_byte_is_an_altered_field() -> None:
    """The format byte is authenticated: a padded field marked 1 does not open with its
    padding as text, and an old field marked 2 does not have its tail cut as padding."""
    cipher = crypto.FieldCipher(KEY)
    padded = cipher.seal("hunter2", AAD)
    with pytest.raises(crypto.CryptoError, match="altered"):
        cipher.open(bytes([1]) + padded[1:], AAD)
    old = old_format("ends with a mark \u0080")
    with pytest.raises(crypto.CryptoError, match="altered"):
        cipher.open(bytes([2]) + old[1:], AAD)


@pytest.mark.parametrize(
    "padded",
    [
        b"hunter2" + bytes(25),  # no mark
        b"hunter2\x80" + bytes(23) + b"\x01",  # a byte after the mark that is not zero
        b"x" * 40 + b"\x80" + bytes(87),  # 128 bytes where 41 take a bucket of 64
        b"hunter2\x80" + bytes(56),  # a bucket larger than this length's
        b"hunter2\x80" + bytes(8),  # shorter than any bucket
        bytes(32),  # zeros only
        b"",  # nothing
    ],
)
def test_a_wrong_padding_is_a_damaged_field_never_text(padded: bytes) -> None:
    cipher = crypto.FieldCipher(KEY)
    with pytest.raises(crypto.CryptoError, match="padding or text is damaged"):
        cipher.open(sealed_with_padding(padded), AAD)


def test_an_old_field_that_is_not_utf8_is_a_damaged_field() -> None:
    nonce = secrets.token_bytes(crypto.NONCE_BYTES)
    blob = bytes([1]) + nonce + AESGCM(KEY).encrypt(nonce, b"\xff\xfe", AAD)
    with pytest.raises(crypto.CryptoError, match="padding or text is damaged"):
        crypto.FieldCipher(KEY).open(blob, AAD)


def test_unknown_formats_are_still_refused() -> None:
    cipher = crypto.FieldCipher(KEY)
    blob = cipher.seal("x", AAD)
    for mark in (0, 3, 255):
        with pytest.raises(crypto.CryptoError, match=f"format {mark}, unknown"):
            cipher.open(bytes([mark]) + blob[1:], AAD)
    for short in (b"", blob[:28]):
        with pytest.raises(crypto.CryptoError, match="empty or truncated"):
            cipher.open(short, AAD)


def test_opening_checks_the_bucket_exactly_as_padding_sizes_it() -> None:
    """FieldCipher opens with the bucket's check inline (unpad_text): for every length up to
    three buckets of 4 KiB and every mark just inside or outside a bucket's edge, it accepts
    exactly what padded_size would have written, as unpad does."""
    for size in range(0, 3 * 4096 + 2):
        for back in (1, 31, 32, 33, 255, 256, 257, 4095, 4096, 4097):
            end = size - back
            if end < 0:
                continue
            padded = b"a" * end + b"\x80" + bytes(back - 1)
            written = padded_size(end) == size
            assert not written or pad(b"a" * end) == padded
            for opener, data in ((unpad_text, "a" * end), (unpad, b"a" * end)):
                try:
                    got: object = opener(padded)
                except ValueError:
                    got = None
                assert got == (data if written else None), (opener.__name__, size, end)
