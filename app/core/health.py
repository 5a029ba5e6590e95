"""Vault health: every reason to change an item's password, worst first.

Pure functions over decrypted items: nothing here reads the database or writes anywhere. The
kinds, worst first: *breached* (the password is in a downloaded breach list, with how often),
*reused* (another item has the same password, with how many share it), *weak* (zxcvbn scores it
2 or less, judged with the item's username, title and sites as words an attacker would try),
*common* (in zxcvbn's bundled list of common passwords: the check that needs no download),
*unsecured* (an ``http://`` address that is not this machine), *no-2fa* (the site offers TOTP
and the item has no TOTP secret), *old* (the password unchanged for longer than the limit).

Which items share a password is itself a secret: the groups are found by comparing the
passwords in memory, numbered for this report only, and never written anywhere. An item tagged
``health:ignore`` is left out of the report (a visible tag: no hidden state); its password
still counts when another item reuses it.

What scoring a password costs (zxcvbn, the breach lookup) can be handed in as ``known``, from
an earlier run's cache, and what this run worked out comes back as ``Report.learned``: per item,
never per password, and never which items share one (that is found again every run).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from app.core.items import Item
    from app.core.twofactor import TotpSites

KINDS = ("breached", "reused", "weak", "common", "unsecured", "no-2fa", "old")
PASSWORD_KINDS = frozenset({"breached", "reused", "weak", "common", "no-2fa", "old"})
IGNORE_TAG = "health:ignore"
WEAK_SCORE = 2  # zxcvbn's score (0-4) at or below which a password is weak
ZXCVBN_MAX = 72  # zxcvbn refuses longer input; the first 72 characters bound the whole
DAMAGED = "could not check"

# A breach lookup: the SHA-1 digests (uppercase hex) asked about -> how often each was seen.
BreachLookup = Callable[[Sequence[bytes]], Mapping[bytes, int]]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Finding:
    """One reason to change an item's password; ``count``: times breached, items sharing the
    password, or days since it changed (0 for the other kinds)."""

    kind: str
    count: int = 0

    @property
    def label(self) -> str:
        if self.kind == "breached":
            return f"breached ({self.count:,})"
        if self.kind == "reused":
            return f"reused ({self.count} items)"
        if self.kind == "old":
            return f"old ({self.count} days)"
        if self.kind == "no-2fa":
            return "no 2FA"
        return self.kind


@dataclass(frozen=True)
class ItemHealth:
    """An item's findings, worst first; ``damaged`` when it could not be opened to check.

    ``group`` numbers the items that share one password for this report only (0: none), so
    that they are listed together; it is never printed or written."""

    id: int
    title: str
    findings: tuple[Finding, ...] = ()
    damaged: bool = False
    group: int = field(default=0, repr=False, compare=False)

    @property
    def labels(self) -> list[str]:
        return [DAMAGED] if self.damaged else [finding.label for finding in self.findings]

    @property
    def flagged(self) -> bool:
        return self.damaged or bool(self.findings)


@dataclass(frozen=True)
class Known:
    """What an earlier run found for an item's current password (None: not known): its zxcvbn
    score, whether it is a common password, and how often the current breach list has it."""

    score: int | None = None
    common: bool | None = None
    breached: int | None = None


@dataclass(frozen=True)
class Report:
    """The items with findings, worst first (a reused group together), and what was checked."""

    items: tuple[ItemHealth, ...]
    checked: int  # items looked at (not counting those left out)
    ignored: int  # items tagged health:ignore, left out
    # What this run knows of each item it scored, by id: for the caller's cache.
    learned: Mapping[int, Known] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Checks:
    """What to check, and with what: ``kinds`` (a subset of KINDS), the breach list's lookup
    (None: not set), the sites that offer TOTP (None: not given), the oldest a password may be,
    and now."""

    now: datetime
    kinds: frozenset[str] = frozenset(KINDS)
    breaches: BreachLookup | None = None
    totp_sites: TotpSites | None = None
    max_age: timedelta = timedelta(days=365)


def parse_kinds(text: str) -> frozenset[str]:
    """``--only``'s comma-separated kinds; ValueError naming the unknown ones."""
    wanted = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [kind for kind in wanted if kind not in KINDS]
    if unknown or not wanted:
        raise ValueError(f"unknown kind {', '.join(unknown) or '(none)'}: use {', '.join(KINDS)}")
    return frozenset(wanted)


def is_ignored(item: Item) -> bool:
    return any(tag.casefold() == IGNORE_TAG for tag in item.tags)


def opens(item: Item, *, totp: bool = False) -> bool:
    """Whether every field the report reads opens: the title, username, sites, tags and
    password, and the TOTP secret when ``totp`` (the 2FA check). Notes and custom fields are
    never read here, so they stay sealed."""
    if item.damage or item.shown.error or item.secrets.password_error:
        return False
    return not (totp and item.secrets.error)


def analyze(
    items: Sequence[Item],
    changed: Mapping[int, datetime],
    checks: Checks,
    progress: Progress | None = None,
    known: Mapping[int, Known] | None = None,
) -> Report:
    """Every live item's findings. ``changed``: when each item's password was last set (its
    newest history entry, else its creation), by id. ``known``: what an earlier run found for
    an item's current password and words, by id, so that it is not worked out again."""
    known = known or {}
    found: list[ItemHealth] = []
    # Each item's password and tag read once (a property of a sealed field each time):
    # (item, password, left out), the readable items only.
    readable: list[tuple[Item, str, bool]] = []
    totp = "no-2fa" in checks.kinds and checks.totp_sites is not None
    for item in items:
        if not opens(item, totp=totp):
            found.append(ItemHealth(item.id, item.title, damaged=True))
        else:
            readable.append((item, item.password, is_ignored(item)))
    groups = _groups(readable) if "reused" in checks.kinds else {}
    breaches = _breach_counts(readable, checks, known)
    strength = _Strength(checks.kinds)
    learned: dict[int, Known] = {}
    looked_up = checks.breaches is not None and "breached" in checks.kinds
    ignored = 0
    total = len(readable)
    for done, (item, password, left_out) in enumerate(readable, 1):
        if left_out:
            ignored += 1
        else:
            group, size = groups.get(item.id, (0, 0))
            before = strength.known = known.get(item.id, _UNKNOWN)
            findings = _findings(
                item, password, checks, breaches, size, strength, changed.get(item.id)
            )
            if password:
                now = strength.known
                count = breaches.get(password, 0) if looked_up else now.breached
                if now is before and count == before.breached:
                    learned[item.id] = before  # nothing new: the same object, for the cache
                else:
                    learned[item.id] = Known(now.score, now.common, count)
            if findings:
                found.append(ItemHealth(item.id, item.title, findings, group=group))
        if progress is not None and (done % 100 == 0 or done == total):
            progress(done, total)
    found.sort(key=_worst_first)
    return Report(tuple(found), len(items) - ignored, ignored, learned)


def reuse_groups(items: Iterable[Item]) -> dict[int, tuple[int, int]]:
    """Item id -> (group number, group size) for every item whose password another item has:
    found by comparing the passwords themselves, in memory; numbers are for this run only."""
    return _groups((item, item.password, False) for item in items)


def _groups(items: Iterable[tuple[Item, str, bool]]) -> dict[int, tuple[int, int]]:
    by_password: dict[str, list[int]] = {}
    for item, password, _ in items:
        if password:
            by_password.setdefault(password, []).append(item.id)
    groups: dict[int, tuple[int, int]] = {}
    shared = (ids for ids in by_password.values() if len(ids) > 1)
    for number, ids in enumerate(sorted(shared, key=min), 1):
        for item_id in ids:
            groups[item_id] = (number, len(ids))
    return groups


def _worst_first(health: ItemHealth) -> tuple[object, ...]:
    if health.damaged:
        return (-1, 0, 0, health.title.casefold(), health.id)
    worst = health.findings[0]
    rank = KINDS.index(worst.kind)
    count = -worst.count if worst.kind in ("breached", "reused", "old") else 0
    return (rank, count, health.group, health.title.casefold(), health.id)


def _breach_counts(
    items: Sequence[tuple[Item, str, bool]], checks: Checks, known: Mapping[int, Known]
) -> dict[str, int]:
    """Password -> times breached, for the passwords in the list (SHA-1 in memory only). A
    password whose count ``known`` gives for one of its items is not looked up again."""
    if checks.breaches is None or "breached" not in checks.kinds:
        return {}
    from app.core.crypto import breach_digest

    counts: dict[str, int] = {}
    unknown: set[str] = set()
    for item, password, left_out in items:
        if not password or left_out:
            continue
        count = known.get(item.id, _UNKNOWN).breached
        if count is None:
            unknown.add(password)
        else:
            counts[password] = count
    passwords = sorted(unknown - counts.keys())
    digests = [breach_digest(password) for password in passwords]
    found = checks.breaches(digests) if digests else {}
    counts.update(
        (password, found.get(digest, 0))
        for password, digest in zip(passwords, digests, strict=True)
    )
    return {password: count for password, count in counts.items() if count}


def _findings(
    item: Item,
    password: str,
    checks: Checks,
    breaches: Mapping[str, int],
    shared_by: int,
    strength: _Strength,
    changed_at: datetime | None,
) -> tuple[Finding, ...]:
    kinds = checks.kinds
    found: list[Finding] = []
    if password:
        if password in breaches:
            found.append(Finding("breached", breaches[password]))
        if shared_by:
            found.append(Finding("reused", shared_by))
        if "weak" in kinds and strength.score(password, item) <= WEAK_SCORE:
            found.append(_WEAK)
        if "common" in kinds and strength.is_common(password):
            found.append(_COMMON)
    if "unsecured" in kinds and any(is_unsecured(url) for url in item.urls):
        found.append(_UNSECURED)
    if password and "no-2fa" in kinds and checks.totp_sites is not None and not item.totp:
        sites = checks.totp_sites
        if any(sites.offers_totp(host) for host in hosts(item.urls)):
            found.append(_NO_2FA)
    if password and "old" in kinds and changed_at is not None:
        days = (checks.now - changed_at).days
        if days > checks.max_age.days:
            found.append(Finding("old", days))
    return tuple(found)


_UNKNOWN = Known()
# The findings that carry no count, made once (frozen: one each serves every item).
_WEAK, _COMMON, _UNSECURED, _NO_2FA = (
    Finding(k) for k in ("weak", "common", "unsecured", "no-2fa")
)


class _Strength:
    """zxcvbn's score and its common-password list, each password judged once per run.
    ``known``: what is already known of the item being judged (set before each item; it
    gathers what is worked out, for Report.learned)."""

    def __init__(self, kinds: frozenset[str]) -> None:
        self._scores: dict[tuple[str, tuple[str, ...]], int] = {}
        self._common: Mapping[str, int] | None = None
        self._needed = bool(kinds & {"weak", "common"})
        self.known = _UNKNOWN

    def score(self, password: str, item: Item) -> int:
        """zxcvbn's score of ``password``, judged with ``item``'s words (user_inputs)."""
        if self.known.score is not None:
            return self.known.score
        inputs = user_inputs(item)
        key = (password, inputs)
        score = self._scores.get(key)
        if score is None:
            from zxcvbn import zxcvbn  # its word lists load on first use

            score = int(zxcvbn(password[:ZXCVBN_MAX], user_inputs=list(inputs))["score"])
            self._scores[key] = score
        self.known = replace(self.known, score=score)
        return score

    def is_common(self, password: str) -> bool:
        if self.known.common is not None:
            return self.known.common
        if self._common is None:
            from zxcvbn.matching import RANKED_DICTIONARIES

            self._common = RANKED_DICTIONARIES["passwords"]
        common = password.lower() in self._common
        self.known = replace(self.known, common=common)
        return common


def user_inputs(item: Item) -> tuple[str, ...]:
    """The words an attacker of this item would try first: its username, title and sites."""
    words = [item.username, item.title]
    for host in hosts(item.urls):
        words.append(host)
        words.extend(label for label in host.split(".")[:-1] if len(label) > 2)
    return tuple(word for word in dict.fromkeys(w.strip().lower() for w in words) if word)


def hosts(urls: Iterable[str]) -> list[str]:
    """The host names of ``urls`` (a bare ``example.com`` counts as one), lower case."""
    found = []
    for url in urls:
        text = url.strip()
        if "://" not in text:
            text = "//" + text
        try:
            host = urlsplit(text).hostname
        except ValueError:
            continue
        if host:
            found.append(host.rstrip("."))
    return found


def is_unsecured(url: str) -> bool:
    """An ``http://`` address anywhere but this machine (localhost, 127.0.0.0/8, ::1)."""
    text = url.strip()
    if not text.lower().startswith("http://"):
        return False
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:
        return True
    if host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True
