"""Padding for sealed vault fields, so that a ciphertext's length tells a bucket, not a length.

ISO/IEC 7816-4 padding: the data, one 0x80 byte, then zeros up to the bucket. The buckets are
multiples of 32 bytes up to 256 (every password and username a person types: 1 to 31 bytes
take one size), of 256 up to 4 KiB, then of 4 KiB (a long note). Unpadding is strict: a padding
this version would not have written is refused, never read as text.

Format 2 of a sealed field (app.core.crypto.FieldCipher) is this padding, and its format byte is
in the associated data: a padded field relabelled as format 1, or an old one as format 2, is
refused as altered, never opened with its padding taken for text or its text cut as padding.
"""

from __future__ import annotations

MARK = 0x80


def padded_size(length: int) -> int:
    """The bucket ``length`` bytes are sealed in, the mark included."""
    needed = length + 1
    step = 32 if needed <= 256 else 256 if needed <= 4096 else 4096
    return -(-needed // step) * step


def pad(data: bytes) -> bytes:
    return data + b"\x80" + bytes(padded_size(len(data)) - len(data) - 1)


def unpad(padded: bytes) -> bytes:
    """The data before the mark; ValueError when there is no mark, a byte other than zero after
    it, or a bucket of another size than this length's."""
    data = padded.rstrip(b"\x00")
    end = len(data) - 1
    if end < 0 or data[end] != MARK or len(padded) != padded_size(end):
        raise ValueError("damaged padding")
    return data[:end]


def unpad_text(padded: bytes) -> str:
    """:func:`unpad`'s data as UTF-8 (ValueError, UnicodeDecodeError being one, when it is not).
    Every title of every unlock comes through here: one function, the bucket's check inline."""
    data = padded.rstrip(b"\x00")
    end, size = len(data) - 1, len(padded)
    step = 32 if size <= 256 else 256 if size <= 4096 else 4096  # as padded_size, by the size
    if end < 0 or data[end] != MARK or size % step or end + 1 <= size - step:
        raise ValueError("damaged padding")
    return data[:end].decode("utf-8")
