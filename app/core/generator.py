"""Password and passphrase generation. All randomness comes from `secrets`."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from app.core.errors import UserError

LOOK_ALIKES = set("Il1|O0o`'\"")
SYMBOLS = "!#$%&()*+,-./:;<=>?@[]^_{}~"
MIN_LENGTH = 8
MAX_LENGTH = 128
MIN_WORDS = 3
MAX_WORDS = 20


class GeneratorError(UserError):
    """Options that cannot produce a password; the message says which."""


@dataclass(frozen=True)
class PasswordOptions:
    length: int = 20
    lowercase: bool = True
    uppercase: bool = True
    digits: bool = True
    symbols: bool = True
    avoid_look_alikes: bool = False


@dataclass(frozen=True)
class PassphraseOptions:
    words: int = 5
    separator: str = "-"
    capitalize: bool = False
    include_digit: bool = False


@cache
def wordlist() -> tuple[str, ...]:
    """The EFF large wordlist (7,776 words; see app/data/README.md)."""
    path = Path(__file__).resolve().parent.parent / "data" / "eff_large_wordlist.txt"
    return tuple(word for word in path.read_text(encoding="utf-8").split() if word)


def generate_password(options: PasswordOptions) -> str:
    """A random password with at least one character from each chosen class."""
    if not MIN_LENGTH <= options.length <= MAX_LENGTH:
        raise GeneratorError(f"Length must be between {MIN_LENGTH} and {MAX_LENGTH}.")
    chosen = [
        alphabet
        for alphabet, wanted in (
            (string.ascii_lowercase, options.lowercase),
            (string.ascii_uppercase, options.uppercase),
            (string.digits, options.digits),
            (SYMBOLS, options.symbols),
        )
        if wanted
    ]
    if options.avoid_look_alikes:
        chosen = ["".join(c for c in alphabet if c not in LOOK_ALIKES) for alphabet in chosen]
    if not chosen:
        raise GeneratorError("Choose at least one kind of character.")
    everything = "".join(chosen)
    # One from each class, the rest from all of them, then a secure shuffle.
    characters = [secrets.choice(alphabet) for alphabet in chosen]
    characters += [secrets.choice(everything) for _ in range(options.length - len(characters))]
    for index in range(len(characters) - 1, 0, -1):
        swap = secrets.randbelow(index + 1)
        characters[index], characters[swap] = characters[swap], characters[index]
    return "".join(characters)


def generate_passphrase(options: PassphraseOptions) -> str:
    if not MIN_WORDS <= options.words <= MAX_WORDS:
        raise GeneratorError(f"Use between {MIN_WORDS} and {MAX_WORDS} words.")
    if len(options.separator) > 3 or any(not c.isprintable() for c in options.separator):
        raise GeneratorError("The separator must be up to 3 printable characters.")
    words = wordlist()
    chosen = [secrets.choice(words) for _ in range(options.words)]
    if options.capitalize:
        chosen = [word.capitalize() for word in chosen]
    if options.include_digit:
        index = secrets.randbelow(len(chosen))
        chosen[index] += str(secrets.randbelow(10))
    return options.separator.join(chosen)
