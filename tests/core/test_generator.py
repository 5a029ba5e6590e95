"""The password generator: lengths, classes, look-alikes, passphrases."""

from __future__ import annotations

import string

import pytest

from app.core.generator import (
    LOOK_ALIKES,
    SYMBOLS,
    GeneratorError,
    PassphraseOptions,
    PasswordOptions,
    generate_passphrase,
    generate_password,
    wordlist,
)


@pytest.mark.parametrize("length", [8, 20, 128])
def test_length_and_every_class_present(length: int) -> None:
    for _ in range(200):
        password = generate_password(PasswordOptions(length=length))
        assert len(password) == length
        assert any(c in string.ascii_lowercase for c in password)
        assert any(c in string.ascii_uppercase for c in password)
        assert any(c in string.digits for c in password)
        assert any(c in SYMBOLS for c in password)


def test_only_chosen_classes_and_no_look_alikes() -> None:
    options = PasswordOptions(length=64, symbols=False, uppercase=False, avoid_look_alikes=True)
    for _ in range(100):
        password = generate_password(options)
        assert set(password) <= set(string.ascii_lowercase + string.digits)
        assert not set(password) & LOOK_ALIKES


def test_passwords_differ() -> None:
    assert len({generate_password(PasswordOptions()) for _ in range(1000)}) == 1000


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (PasswordOptions(length=7), "between 8 and 128"),
        (PasswordOptions(length=129), "between 8 and 128"),
        (
            PasswordOptions(lowercase=False, uppercase=False, digits=False, symbols=False),
            "at least one",
        ),
    ],
)
def test_impossible_options_are_explained(options: PasswordOptions, message: str) -> None:
    with pytest.raises(GeneratorError, match=message):
        generate_password(options)


def test_wordlist_is_the_eff_large_list() -> None:
    words = wordlist()
    assert len(words) == len(set(words)) == 7776
    assert words[0] == "abacus"


def test_passphrase_shape() -> None:
    phrase = generate_passphrase(PassphraseOptions(words=6, separator=".", capitalize=True))
    parts = phrase.split(".")
    assert len(parts) == 6
    assert all(part[0].isupper() for part in parts)
    assert {p.lower() for p in parts} <= set(wordlist())
    with_digit = generate_passphrase(PassphraseOptions(words=4, include_digit=True))
    assert sum(c.isdigit() for c in with_digit) == 1
    with pytest.raises(GeneratorError):
        generate_passphrase(PassphraseOptions(words=2))
