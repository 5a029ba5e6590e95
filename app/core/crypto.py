"""The key hierarchy, built only from vetted primitives.

    master password --NFKC--> Argon2id(salt, params) --> master key (32 bytes)
    master key --HKDF-SHA256--> authentication key  --> bcrypt verifier (stored)
               --HKDF-SHA256--> key-wrapping key     --> AES-256-GCM(vault key) (stored)
    session token (32 random bytes) --SHA-256--> token hash (stored)
                                    --HKDF-SHA256--> session key --> AES-256-GCM(vault key) (stored)

bcrypt only ever sees the 44-character base64 of the authentication key, so its 72-byte input
limit never truncates a password and it never raises on a long one. The vault key is random and
never derived from the password, so a password change re-wraps one key instead of re-encrypting
the vault.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import bcrypt
from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.core.accounts import TOKEN_BYTES
from app.core.config import (
    ARGON2_MAX_ITERATIONS,
    ARGON2_MAX_MEMORY_KIB,
    ARGON2_MAX_PARALLELISM,
    ARGON2_MIN_ITERATIONS,
    ARGON2_MIN_MEMORY_KIB,
    BCRYPT_MAX_COST,
    BCRYPT_MIN_COST,
)
from app.core.padding import pad, unpad_text

ARGON2ID = "argon2id"
KEY_FORMAT_VERSION = 1
AES_GCM = "aes-256-gcm"
KEY_BYTES = 32
SALT_BYTES = 16
# Argon2 refuses a salt shorter than 8 bytes; the users column holds at most 32.
SALT_MIN_BYTES = 8
SALT_MAX_BYTES = 32
NONCE_BYTES = 12
WRAPPED_KEY_BYTES = NONCE_BYTES + KEY_BYTES + 16

_AUTH_INFO = b"strongroom/v1/authentication"
_WRAP_INFO = b"strongroom/v1/key-wrapping"
_SESSION_INFO = b"strongroom/v1/session-wrapping"
_KEY_CHECK_INFO = b"strongroom/v1/vault-key-check"
_BCRYPT_ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
# $2b$, a two-digit cost, then 22 characters of salt and 31 of hash: the only shape bcrypt reads
# the cost from exactly as verifier_cost does.
_VERIFIER = re.compile(r"\$2b\$([0-9]{2})\$[./A-Za-z0-9]{53}")


class CryptoError(Exception):
    """Stored key material is damaged, tampered with, or in a format this version cannot read."""


@dataclass(frozen=True)
class KdfParams:
    """Argon2id parameters, stored beside every wrapped key."""

    algorithm: str
    memory_kib: int
    iterations: int
    parallelism: int

    def check_floors(self) -> None:
        """Refuse parameters weaker than Strongroom allows (a tampered row, say)."""
        numbers = (self.memory_kib, self.iterations, self.parallelism)
        # SQLite keeps whatever type was written: a tampered row can hold text or a real here.
        if any(type(number) is not int for number in numbers):
            raise CryptoError("The stored key derivation settings are not whole numbers.")
        if self.algorithm != ARGON2ID:
            # (not quoted: what a raw write put there is not for the terminal)
            raise CryptoError(f"The stored key derivation algorithm is not {ARGON2ID}.")
        if (
            self.memory_kib < ARGON2_MIN_MEMORY_KIB
            or self.iterations < ARGON2_MIN_ITERATIONS
            or self.parallelism < 1
        ):
            raise CryptoError("The stored key derivation settings are weaker than allowed.")
        if (
            self.memory_kib > ARGON2_MAX_MEMORY_KIB
            or self.iterations > ARGON2_MAX_ITERATIONS
            or self.parallelism > ARGON2_MAX_PARALLELISM
        ):
            raise CryptoError("The stored key derivation settings are beyond what is allowed.")


@dataclass(frozen=True)
class DerivedKeys:
    authentication_key: bytes
    wrapping_key: bytes

    def __repr__(self) -> str:
        return "DerivedKeys(<redacted>)"


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


def new_vault_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def new_session_token() -> bytes:
    return secrets.token_bytes(TOKEN_BYTES)


def _hkdf(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(secret)


def check_salt(salt: object) -> None:
    """Refuse a stored salt Argon2 cannot take (a tampered row, say)."""
    if not isinstance(salt, bytes) or not SALT_MIN_BYTES <= len(salt) <= SALT_MAX_BYTES:
        raise CryptoError("The stored key derivation salt is damaged.")


def derive_keys(password: str, salt: bytes, params: KdfParams) -> DerivedKeys:
    """Argon2id over the (already NFKC-normalised) password, split by HKDF."""
    params.check_floors()
    check_salt(salt)
    master = hash_secret_raw(
        # Registration refuses lone surrogates; "surrogatepass" lets a login that types one fail
        # as a wrong password (after the same work) instead of as an encoding error.
        secret=password.encode("utf-8", "surrogatepass"),
        salt=salt,
        time_cost=params.iterations,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=KEY_BYTES,
        type=Type.ID,
    )
    return DerivedKeys(_hkdf(master, _AUTH_INFO), _hkdf(master, _WRAP_INFO))


def _bcrypt_input(authentication_key: bytes) -> bytes:
    return base64.b64encode(authentication_key)


def make_verifier(authentication_key: bytes, cost: int) -> str:
    return bcrypt.hashpw(_bcrypt_input(authentication_key), bcrypt.gensalt(cost)).decode("ascii")


def check_verifier(authentication_key: bytes, verifier: str) -> bool:
    """True when the key matches; a malformed stored verifier is a mismatch, never an exception."""
    try:
        return bcrypt.checkpw(_bcrypt_input(authentication_key), verifier.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return False


def verifier_cost(verifier: str) -> int:
    """The bcrypt cost recorded in a ``$2b$NN$`` verifier (0 when unreadable)."""
    parts = verifier.split("$")
    if len(parts) != 4 or not parts[2].isdigit():
        return 0
    return int(parts[2])


def verifier_is_acceptable(verifier: str) -> bool:
    """Whether a stored verifier may be checked at all: well formed, and its cost between the
    floor and the ceiling the settings allow. Each step of cost doubles bcrypt's work, so a
    tampered ``$2b$31$`` would take hours of CPU; it is refused before any hashing instead,
    as Argon2id parameters past their ceilings are."""
    shape = _VERIFIER.fullmatch(verifier)
    return shape is not None and BCRYPT_MIN_COST <= int(shape.group(1)) <= BCRYPT_MAX_COST


def dummy_verifier(cost: int) -> str:
    """A well-formed verifier that matches nothing, for equal work on an unknown username."""
    digest = "".join(secrets.choice(_BCRYPT_ALPHABET) for _ in range(31))
    return bcrypt.gensalt(cost).decode("ascii") + digest


def wrap_key(wrapping_key: bytes, key: bytes, associated_data: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(wrapping_key).encrypt(nonce, key, associated_data)


def unwrap_key(wrapping_key: bytes, blob: bytes, associated_data: bytes) -> bytes:
    if len(blob) != WRAPPED_KEY_BYTES:
        raise CryptoError("The stored key is truncated or has the wrong size.")
    try:
        key = AESGCM(wrapping_key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], associated_data)
    except InvalidTag:
        raise CryptoError("The stored key does not match its password or owner.") from None
    if len(key) != KEY_BYTES:
        raise CryptoError("The stored key has the wrong size.")
    return key


def account_key_aad(user_id: int, version: int = KEY_FORMAT_VERSION) -> bytes:
    return f"strongroom/vault-key/v{version}/user/{user_id}".encode()


def session_key_aad(user_id: int, token_hash: str, version: int = KEY_FORMAT_VERSION) -> bytes:
    return f"strongroom/session-key/v{version}/user/{user_id}/token/{token_hash}".encode()


def session_wrapping_key(token: bytes) -> bytes:
    return _hkdf(token, _SESSION_INFO)


def hash_token(token: bytes) -> str:
    return hashlib.sha256(token).hexdigest()


def content_digest(data: bytes) -> str:
    """SHA-256 of ``data``: to tell later whether something still holds it (a clipboard that
    may be cleared) without keeping it."""
    return hashlib.sha256(data).hexdigest()


def breach_digest(password: str) -> bytes:
    """SHA-1 of a password's UTF-8 as Have I Been Pwned lists it (40 uppercase hex digits), to
    look it up in a downloaded breach list: held in memory for the lookup, never stored."""
    return (
        hashlib.sha1(password.encode("utf-8"), usedforsecurity=False).hexdigest().upper().encode()
    )


def key_check(vault_key: bytes) -> bytes:
    """A short value that names a vault key without revealing it: a device whose key was
    replaced (rotated elsewhere) sees the mismatch before it writes anything under the old one."""
    return _hkdf(vault_key, _KEY_CHECK_INFO)[:16]


def totp_digest(algorithm: str) -> Callable[[], Any]:
    """The hash an otpauth:// link names, for TOTP's HMAC (SHA1, SHA256 or SHA512)."""
    return {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}[algorithm]


def name_hash(key: bytes, name: str) -> str:
    """HMAC-SHA256 of a name tried at login (hex): countable, but not readable, in the database."""
    mac = hmac.HMAC(key, hashes.SHA256())
    mac.update(name.encode("utf-8"))
    return mac.finalize().hex()


# -- the health report's cache (app.services.health_cache) ------------------------------------
def health_cache_aad(user_id: int, item_id: int) -> bytes:
    """A cache row's associated data: a row copied to another item or user does not open."""
    return f"strongroom/health-cache/v1/user/{user_id}/item/{item_id}".encode()


# -- vault fields ------------------------------------------------------------------------------
# A stored field is  format byte || 96-bit nonce || AES-256-GCM(ciphertext || tag).  The format
# byte names the algorithm and version; the associated data names the user, the item and the
# field, so a ciphertext copied to another row, user or column is refused, never misread.

FIELD_FORMAT_AES_GCM_V1 = 1
FIELD_FORMAT_AES_GCM_PADDED_V2 = 2  # padded, its format byte authenticated (app.core.padding)


def field_aad(user_id: int, item_id: int, field: str) -> bytes:
    return f"strongroom/item/v1/user/{user_id}/item/{item_id}/field/{field}".encode()


class FieldCipher:
    """Seals and opens vault fields under one vault key (one AES-GCM context for many fields)."""

    def __init__(self, vault_key: bytes) -> None:
        self._aead = AESGCM(vault_key)

    def seal(self, plaintext: str, associated_data: bytes) -> bytes:
        nonce, mark = secrets.token_bytes(NONCE_BYTES), bytes([FIELD_FORMAT_AES_GCM_PADDED_V2])
        sealed = self._aead.encrypt(nonce, pad(plaintext.encode("utf-8")), mark + associated_data)
        return mark + nonce + sealed

    def open(self, blob: bytes, associated_data: bytes) -> str:
        if len(blob) < 1 + NONCE_BYTES + 16:
            raise CryptoError("The stored field is empty or truncated.")
        if blob[0] not in (FIELD_FORMAT_AES_GCM_V1, FIELD_FORMAT_AES_GCM_PADDED_V2):
            raise CryptoError(f"The stored field uses format {blob[0]}, unknown to this version.")
        padded = blob[0] == FIELD_FORMAT_AES_GCM_PADDED_V2
        aad = blob[:1] + associated_data if padded else associated_data
        try:
            plaintext = self._aead.decrypt(blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :], aad)
            return unpad_text(plaintext) if padded else plaintext.decode("utf-8")
        except InvalidTag:
            raise CryptoError("The stored field was altered or belongs elsewhere.") from None
        except ValueError:  # a padding this version would not write, or not UTF-8
            raise CryptoError("The stored field's padding or text is damaged.") from None


class MacMismatch(CryptoError):
    """The MAC does not match: the key is wrong or the data was changed."""


# -- Bitwarden's password-protected exports --------------------------------------------------
#
# Not Strongroom's own scheme: Bitwarden's, so that its exports can be read and written. A key
# from the password (PBKDF2-SHA256 over the salt, or Argon2id over the salt's SHA-256), stretched
# by HKDF-Expand into an encryption key ("enc") and a MAC key ("mac"); values are AES-256-CBC
# (PKCS#7) with HMAC-SHA256 over IV and ciphertext, and the MAC is checked before decrypting.


def bitwarden_keys(
    password: str,
    salt: str,
    *,
    argon2: bool,
    iterations: int,
    memory_mib: int = 64,
    parallelism: int = 4,
) -> tuple[bytes, bytes]:
    """(encryption key, MAC key) for a Bitwarden export; the caller has bounded the costs."""
    from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand
    from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

    secret, salt_bytes = password.encode("utf-8"), salt.encode("utf-8")
    if argon2:
        digest = hashes.Hash(hashes.SHA256())
        digest.update(salt_bytes)
        master = hash_secret_raw(
            secret=secret,
            salt=digest.finalize(),
            time_cost=iterations,
            memory_cost=memory_mib * 1024,
            parallelism=parallelism,
            hash_len=32,
            type=Type.ID,
        )
    else:
        pbkdf2 = PBKDF2HMAC(
            algorithm=hashes.SHA256(), length=32, salt=salt_bytes, iterations=iterations
        )
        master = pbkdf2.derive(secret)

    def expand(info: bytes) -> bytes:
        return HKDFExpand(algorithm=hashes.SHA256(), length=32, info=info).derive(master)

    return expand(b"enc"), expand(b"mac")


def cbc_hmac_seal(plain: bytes, keys: tuple[bytes, bytes]) -> tuple[bytes, bytes, bytes]:
    """(iv, ciphertext, mac) of ``plain``, as Bitwarden's type 2 values hold them."""
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    iv = secrets.token_bytes(16)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(keys[0]), modes.CBC(iv)).encryptor()
    body = encryptor.update(padded) + encryptor.finalize()
    mac = hmac.HMAC(keys[1], hashes.SHA256())
    mac.update(iv + body)
    return iv, body, mac.finalize()


def cbc_hmac_open(iv: bytes, body: bytes, mac: bytes, keys: tuple[bytes, bytes]) -> bytes:
    """The plaintext; CryptoError when the MAC does not match (checked first, in constant
    time) or the padding is damaged."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    check = hmac.HMAC(keys[1], hashes.SHA256())
    check.update(iv + body)
    try:
        check.verify(mac)
    except InvalidSignature:
        raise MacMismatch("wrong key or changed data") from None
    try:
        decryptor = Cipher(algorithms.AES(keys[0]), modes.CBC(iv)).decryptor()
        padded = decryptor.update(body) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise CryptoError("damaged data") from None
