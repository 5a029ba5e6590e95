"""The optional Secret Key (two-secret key derivation, as 1Password's): 128 random bits that
live on the person's devices and on a printed kit, never in the database.

    master password --Argon2id + HKDF--> authentication key, key-wrapping key (app.core.crypto)
    each of them --HKDF-SHA256(salt = Secret Key)--> the key actually used

With a Secret Key the bcrypt verifier and the wrapped vault key in the users row come from both
secrets: a copy of the database cannot be guessed against, since every guess of the password
would also need 128 unknown bits. The row keeps only a short public id of the key (so that a
device can tell a wrong Secret Key from a wrong password before any slow work).

The printed form is ``S1-XXXXXX-XXXXXX-XXXXXX-XXXXXX-XXXXXX``: a version, then the key and a
22-bit checksum in Crockford's base32 (no I, L, O or U), so that a typo is caught at once.
"""

from __future__ import annotations

import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.core.crypto import KEY_BYTES, DerivedKeys
from app.core.errors import LoginFailed, UserError

SECRET_KEY_BYTES = 16
VERSION = "S1"
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READS_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_CHECK_BITS = 22
_CHARACTERS = 30  # (128 + 22) / 5
_GROUP = 6
_CHECK_INFO = b"strongroom/secret-key/S1/checksum"
_ID_INFO = b"strongroom/v1/secret-key-id"
_AUTH_INFO = b"strongroom/v1/authentication/secret-key"
_WRAP_INFO = b"strongroom/v1/key-wrapping/secret-key"
ID_LENGTH = 8  # characters of the public id (40 bits)


class SecretKeyFormatError(ValueError):
    """What was typed is not a Secret Key: the message says why, without repeating it."""


def new_secret_key() -> bytes:
    return secrets.token_bytes(SECRET_KEY_BYTES)


def _checksum(key: bytes) -> int:
    hasher = hashes.Hash(hashes.SHA256())
    hasher.update(_CHECK_INFO + key)
    digest = hasher.finalize()
    return int.from_bytes(digest[:3], "big") >> (24 - _CHECK_BITS)


def printable(key: bytes) -> str:
    """The kit's form of ``key``: its version, then six groups of characters."""
    value = (int.from_bytes(key, "big") << _CHECK_BITS) | _checksum(key)
    text = "".join(_ALPHABET[(value >> (5 * place)) & 31] for place in reversed(range(_CHARACTERS)))
    groups = [text[start : start + _GROUP] for start in range(0, _CHARACTERS, _GROUP)]
    return "-".join([VERSION, *groups])


def parse(typed: str) -> bytes:
    """The key a person typed or pasted (spaces, dashes and case as they like; O read as 0,
    I and L as 1), or SecretKeyFormatError."""
    text = "".join(typed.split()).replace("-", "").upper().translate(_READS_AS)
    if not text:
        raise SecretKeyFormatError("Please enter the Secret Key from your Emergency Kit.")
    if not text.startswith(VERSION):
        raise SecretKeyFormatError(
            f"That is not a Strongroom Secret Key: it starts with {VERSION}- on the kit."
        )
    body = text[len(VERSION) :]
    if len(body) != _CHARACTERS or any(character not in _ALPHABET for character in body):
        raise SecretKeyFormatError(
            f"That Secret Key is incomplete or has a wrong character: it is {VERSION} and "
            f"{_CHARACTERS} letters and digits. Please check it against your Emergency Kit."
        )
    value = 0
    for character in body:
        value = (value << 5) | _ALPHABET.index(character)
    key = (value >> _CHECK_BITS).to_bytes(SECRET_KEY_BYTES, "big")
    if value & ((1 << _CHECK_BITS) - 1) != _checksum(key):
        raise SecretKeyFormatError(
            "That Secret Key has a typo (its check does not match). Please check it against "
            "your Emergency Kit."
        )
    return key


def _hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, info=info).derive(ikm)


def key_id(key: bytes) -> str:
    """The key's public name for the users row and the device's file: it tells which key is
    meant (and a wrong one) without helping to find the key (40 bits of a one-way function of
    128 random ones)."""
    value = int.from_bytes(_hkdf(key, b"", _ID_INFO)[:5], "big")
    return "".join(_ALPHABET[(value >> (5 * place)) & 31] for place in reversed(range(ID_LENGTH)))


def combine(keys: DerivedKeys, key: bytes) -> DerivedKeys:
    """Both keys of the master password, mixed with the Secret Key by HKDF (its salt): without
    the Secret Key neither the verifier nor the wrapped vault key can be checked against."""
    if len(key) != SECRET_KEY_BYTES:
        raise ValueError("a Secret Key is 16 bytes")
    return DerivedKeys(
        _hkdf(keys.authentication_key, key, _AUTH_INFO), _hkdf(keys.wrapping_key, key, _WRAP_INFO)
    )


def kit_text(key: bytes, username: str, database: str, created: str) -> str:
    """The Emergency Kit as a printable text file."""
    return (
        "STRONGROOM EMERGENCY KIT\n"
        "========================\n\n"
        f"Created:    {created}\n"
        f"Username:   {username}\n"
        f"Database:   {database}\n"
        f"Secret Key: {printable(key)}\n\n"
        "Master password: ______________________________ (write it here, or keep it in mind)\n\n"
        "What it is for: logging in on a new device (or after this device's copy of the key\n"
        "is gone) needs this Secret Key as well as your master password. A copy of the database\n"
        "alone cannot be used to guess your master password.\n\n"
        "Keep this kit on paper, somewhere safe. If you lose the Secret Key and this kit, and\n"
        "no device still holds the key, your vault is lost: Strongroom cannot recover it.\n"
    )


NEEDED = (
    "This account has a Secret Key. Enter it from your Emergency Kit: this device does not "
    "hold it yet."
)


class SecretKeyNeeded(LoginFailed):
    """The account has a Secret Key this device does not hold (or one was typed that is not
    this account's): said before any password is checked, so no guess is spent."""

    def __init__(self, message: str = NEEDED) -> None:
        UserError.__init__(self, message, "secret_key")
