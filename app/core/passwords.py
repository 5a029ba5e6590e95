"""What makes a username and a master password acceptable.

No composition rules: a password is judged by its length and by zxcvbn's estimate of how
guessable it is, and refused when it is built from the username or the app's name. Every refusal
carries a sentence the user can act on.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from app.core.errors import AccountDataError, ValidationError

USERNAME_MIN = 3
USERNAME_MAX = 32
_USERNAME_PATTERN = re.compile(r"[A-Za-z0-9._-]+")
MIN_SCORE = 3
# zxcvbn refuses inputs over 72 characters; judging the first 72 is a lower bound on the whole.
_ZXCVBN_MAX = 72
_STRENGTH_LABELS = ("Very weak", "Weak", "Fair", "Strong", "Very strong")


def normalize_password(password: str) -> str:
    """NFKC, so the composed and decomposed forms of the same text are one password."""
    return unicodedata.normalize("NFKC", password)


def clean_username(raw: str) -> str:
    """The username as it will be stored and shown, or a ValidationError saying what is wrong."""
    name = raw.strip()
    if not name:
        raise ValidationError("Please enter a username.", "username")
    if not _USERNAME_PATTERN.fullmatch(name):
        raise ValidationError(
            "A username may contain only letters A-Z, digits, '.', '_' and '-'.", "username"
        )
    if not USERNAME_MIN <= len(name) <= USERNAME_MAX:
        raise ValidationError(
            f"A username must be {USERNAME_MIN} to {USERNAME_MAX} characters long.", "username"
        )
    return name


def stored_username(name: str, key: str | None = None) -> str:
    """A username read back from the database, held to the rules a typed one meets: anyone who
    can write the database could otherwise put terminal escapes in the name the app shows.
    ``key``: the row's username key, which the account's MAC covers; the name must be its own
    (a name changed alone, outside Strongroom, would greet one person by another's name)."""
    try:
        cleaned = clean_username(name)
    except ValidationError:
        raise AccountDataError(
            "This account's stored username is not a valid name; the database may have been "
            "tampered with."
        ) from None
    if key is not None and username_key(cleaned) != key:
        raise AccountDataError(
            "This account's stored username is not the one it was registered under; the "
            "database has been tampered with."
        )
    return cleaned


def username_key(name: str) -> str:
    """The case-insensitive identity of a username: ``Alice`` and ``alice`` are one account."""
    return name.lower()


@dataclass(frozen=True)
class Assessment:
    """How strong a candidate master password is, and what stands in the way of accepting it."""

    score: int
    label: str
    problems: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)

    @property
    def acceptable(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 12
    max_length: int = 1024

    def assess(self, password: str, username: str = "") -> Assessment:
        """Judge a password as typed; cheap enough to run on every keystroke (a few ms)."""
        from zxcvbn import zxcvbn  # heavy word lists: load on first use, not at start-up

        normalized = normalize_password(password)
        problems: list[str] = []
        if not _is_encodable(normalized):
            problems.append("The password contains characters that cannot be stored.")
            return Assessment(0, _STRENGTH_LABELS[0], problems)
        length = len(normalized)
        if length < self.min_length:
            problems.append(
                f"Use at least {self.min_length} characters ({length} so far). "
                "A few unrelated words make a strong, memorable password."
            )
        if length > self.max_length:
            problems.append(f"Use at most {self.max_length} characters (this has {length}).")

        lowered = normalized.casefold()
        name = username.strip().casefold()
        if len(name) >= USERNAME_MIN and name in lowered:
            problems.append("The password must not contain your username.")
        if "strongroom" in lowered:
            problems.append("The password must not contain the name Strongroom.")

        if not normalized:
            return Assessment(0, _STRENGTH_LABELS[0], problems)
        inputs = [value for value in (username.strip(), "strongroom") if value]
        result = zxcvbn(normalized[:_ZXCVBN_MAX], user_inputs=inputs)
        score = int(result["score"])
        feedback = result["feedback"]
        suggestions = [str(s) for s in feedback.get("suggestions", [])]
        if score < MIN_SCORE and not problems:
            warning = str(feedback.get("warning") or "")
            reason = warning or "This password would be easy to guess."
            problems.append(f"Too easy to guess: {reason}".rstrip())
        return Assessment(score, _STRENGTH_LABELS[score], problems, suggestions)


def _is_encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
