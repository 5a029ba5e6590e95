"""SSH keys: read, made, written and used, with ``cryptography`` only (as app.core.crypto
does the vault's cryptography; app.core.ssh speaks the agent protocol around these).

Private keys are read from OpenSSH's format or PEM, made as Ed25519, RSA of RSA_BITS bits or
ECDSA on P-256, written in OpenSSH's format, and sign as the agent protocol asks: ECDSA's r and
s as two mpints, RSA with SHA-256 or SHA-512 as the request's flags say (SHA-1 only when it
names neither). Host keys' signatures are verified for ``session-bind@openssh.com``, and
hashed known_hosts names are HMAC-SHA1, as OpenSSH makes them.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from cryptography.hazmat.primitives import hashes, hmac

from app.core.crypto import CryptoError

RSA_BITS = 3072
CURVES = {  # OpenSSH's curve name: (cryptography's, the hash ECDSA signs with)
    "nistp256": ("secp256r1", "sha256"),
    "nistp384": ("secp384r1", "sha384"),
    "nistp521": ("secp521r1", "sha512"),
}
RSA_SHA2_256 = 2  # the agent protocol's signature flags
RSA_SHA2_512 = 4


class SshKeyUnreadable(CryptoError):
    """A private key that cannot be used; the message says why, in one line."""


class SshKeyEncrypted(SshKeyUnreadable):
    """An encrypted private key, and no passphrase (or not its passphrase)."""


def _hash(name: str) -> hashes.HashAlgorithm:
    return {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}[name]


def _mpint(value: int) -> bytes:
    raw = value.to_bytes((value.bit_length() + 8) // 8, "big") if value else b""
    return len(raw).to_bytes(4, "big") + raw


def _string(raw: bytes) -> bytes:
    return len(raw).to_bytes(4, "big") + raw


def load_private_key(text: str, passphrase: bytes | None = None) -> Any:
    """An Ed25519, ECDSA (P-256/384/521) or RSA (2048 bits and up) private key from OpenSSH's
    format or PEM; SshKeyEncrypted when it is encrypted and ``passphrase`` does not open it,
    SshKeyUnreadable for anything else."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from cryptography.hazmat.primitives.serialization import (
        load_pem_private_key,
        load_ssh_private_key,
    )

    raw = text.strip().encode("utf-8", "replace") + b"\n"
    try:
        if b"-----BEGIN OPENSSH PRIVATE KEY-----" in raw:
            key: Any = load_ssh_private_key(raw, passphrase)
        elif b"PRIVATE KEY-----" in raw:
            key = load_pem_private_key(raw, passphrase)
        else:
            raise SshKeyUnreadable("it is not a private key in OpenSSH's format or PEM")
    except TypeError:
        if passphrase is None:
            raise SshKeyEncrypted("the key is encrypted: its passphrase is needed") from None
        raise SshKeyUnreadable("the key is not encrypted, but a passphrase was given") from None
    except ValueError:
        if passphrase is not None and (b"ENCRYPTED" in raw or _openssh_encrypted(raw)):
            raise SshKeyEncrypted("the passphrase does not open the key") from None
        raise SshKeyUnreadable("the key is damaged or not a private key") from None
    except UnsupportedAlgorithm:
        raise SshKeyUnreadable("the key's type or cipher is not supported") from None
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if key.curve.name not in {curve for curve, _ in CURVES.values()}:
            raise SshKeyUnreadable(f"the curve {key.curve.name} is not one SSH uses")
    elif isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < 2048:
            raise SshKeyUnreadable(f"an RSA key of {key.key_size} bits is too weak (2048 at least)")
    elif not isinstance(key, ed25519.Ed25519PrivateKey):
        raise SshKeyUnreadable("only Ed25519, ECDSA and RSA keys are supported")
    return key


def _openssh_encrypted(raw: bytes) -> bool:
    """Whether a key in OpenSSH's format names a cipher (it is encrypted), not ``none``."""
    lines = [line.strip() for line in raw.splitlines() if line and not line.startswith(b"-----")]
    try:
        decoded = base64.b64decode(b"".join(lines))
    except ValueError:
        return False
    magic = b"openssh-key-v1\0"
    if not decoded.startswith(magic) or len(decoded) < len(magic) + 4:
        return False
    size = int.from_bytes(decoded[len(magic) : len(magic) + 4], "big")
    return decoded[len(magic) + 4 : len(magic) + 4 + size] != b"none"


def generate(kind: str) -> Any:
    """A new key: ``ed25519``, ``rsa`` (RSA_BITS) or ``ecdsa`` (P-256)."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    if kind == "ecdsa":
        return ec.generate_private_key(ec.SECP256R1())
    raise SshKeyUnreadable(f"no key type {kind!r}")


def private_text(key: Any) -> str:
    """The key in OpenSSH's format, unencrypted (the vault encrypts it)."""
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    text: bytes = key.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption())
    return text.decode("ascii")


def public_line(key: Any) -> str:
    """``TYPE BASE64`` (no comment), as ``ssh-keygen -y`` prints it."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    line: bytes = key.public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH)
    return line.decode("ascii")


def key_bits(key: Any) -> int:
    return int(getattr(key, "key_size", 256))


def fingerprint(blob: bytes) -> str:
    """``SHA256:...`` of a public key blob, as ``ssh-keygen -lf`` prints it."""
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode("ascii").rstrip("=")
    return f"SHA256:{digest}"


def sign(key: Any, data: bytes, flags: int = 0) -> bytes:
    """The signature blob (``string algorithm, string signature``) of ``data``. ECDSA: r and s
    as two mpints, the hash its curve's. RSA: SHA-256 when ``flags`` asks for it, else SHA-512
    when that is asked for (ssh-agent's order), and SHA-1 (``ssh-rsa``) only when neither is."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    if isinstance(key, ed25519.Ed25519PrivateKey):
        return _string(b"ssh-ed25519") + _string(key.sign(data))
    if isinstance(key, ec.EllipticCurvePrivateKey):
        curve, (_, hash_name) = next(
            (name, pair) for name, pair in CURVES.items() if pair[0] == key.curve.name
        )
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(_hash(hash_name))))
        return _string(f"ecdsa-sha2-{curve}".encode()) + _string(_mpint(r) + _mpint(s))
    if isinstance(key, rsa.RSAPrivateKey):
        if flags & RSA_SHA2_256:
            name, chosen = b"rsa-sha2-256", _hash("sha256")
        elif flags & RSA_SHA2_512:
            name, chosen = b"rsa-sha2-512", _hash("sha512")
        else:
            name, chosen = b"ssh-rsa", hashes.SHA1()  # noqa: S303 (an old client asked for it)
        return _string(name) + _string(key.sign(data, padding.PKCS1v15(), chosen))
    raise SshKeyUnreadable("only Ed25519, ECDSA and RSA keys are supported")


def verify_ed25519(public: bytes, signature: bytes, data: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ed25519

    try:
        ed25519.Ed25519PublicKey.from_public_bytes(public).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


def verify_ecdsa(curve: str, point: bytes, r: int, s: int, data: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    if curve not in CURVES:
        return False
    curve_name, hash_name = CURVES[curve]
    curve_class = {"secp256r1": ec.SECP256R1, "secp384r1": ec.SECP384R1}.get(
        curve_name, ec.SECP521R1
    )
    try:
        public = ec.EllipticCurvePublicKey.from_encoded_point(curve_class(), point)
        public.verify(encode_dss_signature(r, s), data, ec.ECDSA(_hash(hash_name)))
    except (InvalidSignature, ValueError):
        return False
    return True


def verify_rsa(exponent: int, modulus: int, sha: str, signature: bytes, data: bytes) -> bool:
    """RSA with SHA-256 or SHA-512 only (``sha``: "sha256" or "sha512")."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    if sha not in ("sha256", "sha512") or modulus.bit_length() < 2048:
        return False
    try:
        public = rsa.RSAPublicNumbers(exponent, modulus).public_key()
        public.verify(signature, data, padding.PKCS1v15(), _hash(sha))
    except (InvalidSignature, ValueError):
        return False
    return True


def hashed_host(salt: bytes, name: str) -> bytes:
    """HMAC-SHA1 of a host name under a salt: a hashed known_hosts entry (HashKnownHosts)."""
    mac = hmac.HMAC(salt, hashes.SHA1())  # noqa: S303 (OpenSSH's, to look a name up)
    mac.update(name.encode("utf-8"))
    return mac.finalize()
