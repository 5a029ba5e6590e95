"""The sites that offer TOTP, from a 2fa.directory ``totp.json`` the person downloaded.

2fa.directory publishes ``https://api.2fa.directory/v3/totp.json``: a list of
``[name, {"domain": ..., "additional-domains": [...], "tfa": [...]}]`` pairs, one per site
that takes a TOTP code. The file is data from elsewhere: it is size-capped, read as JSON
only, and an entry without a usable domain is passed over.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from app.core.errors import UserError

MAX_BYTES = 64 * 1024 * 1024  # the real file is a few MB


class SourceError(UserError):
    """A breach list or a 2FA list that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class TotpSites:
    """Domains whose sites take a TOTP code (a subdomain counts as its domain's)."""

    domains: frozenset[str]

    def offers_totp(self, host: str) -> bool:
        labels = host.lower().rstrip(".").split(".")
        return any(".".join(labels[i:]) in self.domains for i in range(len(labels) - 1))


def read_totp_sites(path: Path) -> TotpSites:
    """The sites in a 2fa.directory ``totp.json``; SourceError when it cannot be read."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)
    except OSError as error:
        raise SourceError(f"The 2FA list {path} cannot be read: {error.strerror}.") from None
    if len(data) > MAX_BYTES:
        raise SourceError(f"The 2FA list {path} is over {MAX_BYTES // 2**20} MB.")
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise SourceError(
            f"The 2FA list {path} is not JSON: download 2fa.directory's "
            "https://api.2fa.directory/v3/totp.json."
        ) from None
    entries = document.values() if isinstance(document, dict) else document
    if not isinstance(entries, Iterable) or isinstance(entries, str | bytes):
        raise SourceError(f"The 2FA list {path} is not 2fa.directory's totp.json.")
    domains: set[str] = set()
    for entry in entries:
        details = entry[1] if isinstance(entry, list) and len(entry) == 2 else entry
        if not isinstance(details, dict):
            continue
        methods = details.get("tfa")
        if isinstance(methods, list) and "totp" not in methods:
            continue
        named = [details.get("domain"), *(details.get("additional-domains") or [])]
        domains.update(d.strip().lower().rstrip(".") for d in named if isinstance(d, str) and d)
    if not domains:
        raise SourceError(
            f"The 2FA list {path} names no site: it should be 2fa.directory's totp.json."
        )
    return TotpSites(frozenset(domains))
