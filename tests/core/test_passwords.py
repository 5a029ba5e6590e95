"""Username and master-password rules."""

from __future__ import annotations

import pytest

from app.core.errors import ValidationError
from app.core.passwords import PasswordPolicy, clean_username, username_key


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("alice", "alice"),
        ("  Bob.Smith_2-x ", "Bob.Smith_2-x"),
        ("abc", "abc"),
        ("a" * 32, "a" * 32),
    ],
)
def test_valid_usernames(raw: str, expected: str) -> None:
    assert clean_username(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Please enter a username"),
        ("   ", "Please enter a username"),
        ("ab", "3 to 32"),
        ("a" * 33, "3 to 32"),
        ("has space", "only letters"),
        ("robert'); DROP TABLE users;--", "only letters"),
        ("[bold]x[/bold]", "only letters"),
        ("ali\x00ce", "only letters"),
        ("\u202eecila", "only letters"),
    ],
)
def test_invalid_usernames(raw: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(")):
        clean_username(raw)


def test_username_key_folds_case() -> None:
    assert username_key("Alice") == username_key("ALICE") == "alice"


POLICY = PasswordPolicy(min_length=12, max_length=1024)


def test_strong_passphrase_is_accepted() -> None:
    assessment = POLICY.assess("correct horse battery staple", "alice")
    assert assessment.acceptable
    assert assessment.score >= 3


@pytest.mark.parametrize(
    ("password", "username", "reason"),
    [
        ("password1234", "alice", "very common password"),
        ("short", "alice", "at least 12 characters (5 so far)"),
        ("aaaaaaaaaaaaaaaa", "alice", "Too easy to guess"),
        ("my alice is the best", "alice", "must not contain your username"),
        ("STRONGROOM vault key 99", "alice", "must not contain the name Strongroom"),
        ("x" * 1025, "alice", "at most 1024 characters"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(
    password: str, username: str, reason: str
) -> None:
    assessment = POLICY.assess(password, username)
    assert not assessment.acceptable
    assert any(reason in problem for problem in assessment.problems), assessment.problems


def test_length_counts_code_points_not_bytes() -> None:
    # Twelve varied emoji: 12 code points, 48 bytes; no composition rule applies.
    emoji = "🦊🐙🌵🎻🚲🧭🍉🪐🦉🎲🧩🛶"
    assessment = POLICY.assess(emoji, "alice")
    assert not any("at least" in problem for problem in assessment.problems)


def test_128_characters_of_any_unicode_are_accepted() -> None:
    password = ("Ünïcødé 密码 пароль 🔑 " * 8)[:128]
    assert POLICY.assess(password, "alice").acceptable


def test_unencodable_text_is_refused() -> None:
    assessment = POLICY.assess("lone surrogate \ud800 here ok", "alice")
    assert assessment.problems == ["The password contains characters that cannot be stored."]


def test_minimum_length_is_configurable() -> None:
    assert not PasswordPolicy(min_length=20).assess("correct horse staple", "a").problems
    assert PasswordPolicy(min_length=21).assess("correct horse staple", "a").problems
