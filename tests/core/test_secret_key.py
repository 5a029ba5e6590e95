"""The Secret Key's printed form: read back as typed, and a typo caught before any slow work."""

from __future__ import annotations

import pytest

from app.core import secret_key
from app.core.crypto import DerivedKeys

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def test_the_printed_form_reads_back_however_it_is_typed() -> None:
    key = secret_key.new_secret_key()
    printed = secret_key.printable(key)
    assert printed.startswith("S1-")
    assert [len(group) for group in printed.split("-")] == [2, 6, 6, 6, 6, 6]
    assert not set(printed) & set("ILOU")
    assert secret_key.parse(printed) == key
    assert secret_key.parse(" " + printed.lower().replace("-", " ") + "\n") == key
    assert secret_key.parse(printed.replace("0", "O").replace("1", "l")) == key


def test_every_one_character_typo_is_caught() -> None:
    key = secret_key.new_secret_key()
    body = secret_key.printable(key).replace("-", "")[2:]
    for place, character in enumerate(body):
        for other in ALPHABET.replace(character, ""):
            typo = "S1" + body[:place] + other + body[place + 1 :]
            with pytest.raises(secret_key.SecretKeyFormatError, match="typo"):
                secret_key.parse(typo)


@pytest.mark.parametrize(
    ("typed", "said"),
    [("", "Please enter"), ("A3-ABCDEF", "starts with S1-"), ("S1-ABC", "incomplete")],
)
def test_what_is_not_a_key_says_why(typed: str, said: str) -> None:
    with pytest.raises(secret_key.SecretKeyFormatError, match=said):
        secret_key.parse(typed)


def test_the_key_changes_both_keys_and_its_id_names_it() -> None:
    keys = DerivedKeys(b"a" * 32, b"b" * 32)
    one, two = secret_key.new_secret_key(), secret_key.new_secret_key()
    mixed = secret_key.combine(keys, one)
    assert mixed.authentication_key != keys.authentication_key
    assert mixed.wrapping_key != keys.wrapping_key
    assert mixed != secret_key.combine(keys, two)
    assert mixed == secret_key.combine(keys, one)
    assert secret_key.key_id(one) != secret_key.key_id(two)
    assert len(secret_key.key_id(one)) == secret_key.ID_LENGTH


def test_the_kit_says_what_is_lost_with_it() -> None:
    key = secret_key.new_secret_key()
    kit = secret_key.kit_text(key, "alice", "sqlite:///vault.db", "2026-12-07 05:00 UTC")
    assert secret_key.printable(key) in kit
    assert "alice" in kit
    assert "sqlite:///vault.db" in kit
    assert "Strongroom cannot recover it" in kit
