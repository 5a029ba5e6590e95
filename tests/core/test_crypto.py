"""The key hierarchy's primitives: derivation, verifier, wrapping."""

from __future__ import annotations

import pytest

from app.core import crypto

PARAMS = crypto.KdfParams(crypto.ARGON2ID, 19 * 1024, 2, 1)


def test_derived_keys_are_distinct_and_deterministic() -> None:
    salt = crypto.new_salt()
    one = crypto.derive_keys("a passphrase", salt, PARAMS)
    two = crypto.derive_keys("a passphrase", salt, PARAMS)
    assert one == two
    assert one.authentication_key != one.wrapping_key
    assert crypto.derive_keys("a passphrase", crypto.new_salt(), PARAMS) != one
    assert "redacted" in repr(one)


def test_verifier_accepts_only_the_right_key() -> None:
    keys = crypto.derive_keys("a passphrase", crypto.new_salt(), PARAMS)
    verifier = crypto.make_verifier(keys.authentication_key, 10)
    assert verifier.startswith("$2b$10$")
    assert crypto.check_verifier(keys.authentication_key, verifier)
    assert not crypto.check_verifier(keys.wrapping_key, verifier)


@pytest.mark.parametrize("garbage", ["", "not a hash", "$2b$10$short", "ünïcode"])
def test_malformed_verifier_is_a_mismatch_not_an_exception(garbage: str) -> None:
    assert not crypto.check_verifier(b"k" * 32, garbage)


def test_dummy_verifier_is_well_formed_and_matches_nothing() -> None:
    dummy = crypto.dummy_verifier(10)
    assert crypto.verifier_cost(dummy) == 10
    assert crypto.verifier_is_acceptable(dummy)
    assert not crypto.check_verifier(b"k" * 32, dummy)


def test_verifier_costs_are_bounded_before_any_hashing() -> None:
    """A verifier is checked only between the floor (10) and the ceiling the settings allow
    (16): a stored ``$2b$31$`` would cost bcrypt hours, so it is refused unread."""
    from app.core.config import BCRYPT_MAX_COST, BCRYPT_MIN_COST

    body = crypto.make_verifier(b"k" * 32, 10).removeprefix("$2b$10$")
    for cost in (BCRYPT_MIN_COST, 12, BCRYPT_MAX_COST):
        assert crypto.verifier_is_acceptable(f"$2b${cost:02d}${body}")
    for cost in (4, BCRYPT_MIN_COST - 1, BCRYPT_MAX_COST + 1, 31, 99):
        assert not crypto.verifier_is_acceptable(f"$2b${cost:02d}${body}"), cost
    for shape in (f"$2b$031${body}", f"$2b$1${body}", f"$2b$12${body}x", f"$2a$12${body}"):
        assert not crypto.verifier_is_acceptable(shape), shape


@pytest.mark.parametrize(
    "params",
    [
        crypto.KdfParams("argon2i", 65536, 3, 4),
        crypto.KdfParams(crypto.ARGON2ID, 1024, 3, 4),
        crypto.KdfParams(crypto.ARGON2ID, 65536, 1, 4),
        crypto.KdfParams(crypto.ARGON2ID, 65536, 3, 0),
    ],
)
def test_weak_or_unknown_kdf_parameters_are_refused(params: crypto.KdfParams) -> None:
    with pytest.raises(crypto.CryptoError):
        crypto.derive_keys("x", crypto.new_salt(), params)


def test_wrap_round_trip_and_tamper_detection() -> None:
    kek, key = crypto.new_vault_key(), crypto.new_vault_key()
    aad = crypto.account_key_aad(7)
    blob = crypto.wrap_key(kek, key, aad)
    assert len(blob) == crypto.WRAPPED_KEY_BYTES
    assert crypto.unwrap_key(kek, blob, aad) == key
    assert crypto.wrap_key(kek, key, aad) != blob  # a fresh nonce every time
    with pytest.raises(crypto.CryptoError):
        crypto.unwrap_key(kek, blob, crypto.account_key_aad(8))
    with pytest.raises(crypto.CryptoError):
        crypto.unwrap_key(crypto.new_vault_key(), blob, aad)
    for index in range(len(blob)):
        flipped = bytearray(blob)
        flipped[index] ^= 0x01
        with pytest.raises(crypto.CryptoError):
            crypto.unwrap_key(kek, bytes(flipped), aad)
    with pytest.raises(crypto.CryptoError, match="truncated"):
        crypto.unwrap_key(kek, blob[:-1], aad)


def test_token_hash_is_sha256_hex() -> None:
    token = crypto.new_session_token()
    assert len(token) == 32
    digest = crypto.hash_token(token)
    assert len(digest) == 64
    assert bytes.fromhex(digest) != token
