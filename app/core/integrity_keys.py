"""The keys and MACs of the vault's integrity record (see app.services.integrity), from
`cryptography` alone: HKDF-SHA256 for the keys, HMAC-SHA256 for the MACs.

    vault key        --HKDF-SHA256("strongroom/v1/vault-integrity")-->   item tags, head MAC
    key-wrapping key --HKDF-SHA256("strongroom/v1/account-integrity")--> account row MAC

The account's key comes from the key-wrapping key, which only the master password yields.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAC_BYTES = 32
_VAULT_INFO = b"strongroom/v1/vault-integrity"
_ACCOUNT_INFO = b"strongroom/v1/account-integrity"

Keyed = hmac.HMAC  # an HMAC keyed once, copied for each message


def _hkdf(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=MAC_BYTES, salt=None, info=info).derive(secret)


def vault_integrity_key(vault_key: bytes) -> bytes:
    return _hkdf(vault_key, _VAULT_INFO)


def account_integrity_key(wrapping_key: bytes) -> bytes:
    return _hkdf(wrapping_key, _ACCOUNT_INFO)


def keyed(key: bytes) -> Keyed:
    """An HMAC-SHA256 keyed with ``key``: keying once spares a read of the whole vault that
    work for every item (:func:`mac` copies it). On OpenSSL 3.0 a copy costs a fraction of
    the stdlib's one-shot ``hmac.digest``, which sets OpenSSL's HMAC up anew on every call."""
    return hmac.HMAC(key, hashes.SHA256())


def mac(key: bytes | Keyed, data: bytes) -> bytes:
    """HMAC-SHA256 of ``data`` under ``key`` (or an HMAC :func:`keyed` made, left unused)."""
    made = key.copy() if isinstance(key, hmac.HMAC) else keyed(key)
    made.update(data)
    return made.finalize()
