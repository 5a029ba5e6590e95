"""Vault health for the app and the command line: the items, the dates their passwords were
set, the breach list and the 2FA list, handed to the analysis (:mod:`app.core.health`).

The report lives in memory for the caller to show; what scoring each item cost (zxcvbn, the
breach lookup) is kept sealed in the health cache (:mod:`.health_cache`), written once the
whole report is made, so a second run only decrypts. The breach list is read in place and
closed when the report is made; SHA-1 digests of passwords exist only during it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from app.core.accounts import ActiveSession, Clock, utc_now
from app.core.breach_index import open_breach_source
from app.core.config import Settings
from app.core.health import KINDS, Checks, Progress, Report, analyze
from app.core.items import Item
from app.core.memory import collector_paused
from app.core.twofactor import TotpSites, read_totp_sites
from app.services.health_cache import HealthCacheStore
from app.services.vault import VaultService

NO_BREACH_LIST = "Breach list: not set: common-password check only"


@dataclass(frozen=True)
class HealthResult:
    """The report, and a line per source naming it and its state (for the header)."""

    report: Report
    sources: tuple[str, ...]
    # The items looked at, by id: for the app to open one from the report.
    items: dict[int, Item] = field(default_factory=dict, repr=False)


def health_report(
    vault: VaultService,
    active: ActiveSession,
    settings: Settings,
    *,
    breach_list: Path | None = None,
    two_factor_list: Path | None = None,
    kinds: frozenset[str] = frozenset(KINDS),
    now: Clock = utc_now,
    progress: Progress | None = None,
) -> HealthResult:
    """Check every live item. ``breach_list``: this list instead of the configured one.
    SourceError when the breach list or the 2FA list cannot be used (nothing is checked)."""
    path = breach_list or settings.breach_list
    max_age = timedelta(days=settings.health_max_age_days)
    sites: TotpSites | None = None
    sources = []
    if "breached" not in kinds:
        sources.append("Breach list: not asked for")
    elif path is None:
        sources.append(NO_BREACH_LIST)
    if two_factor_list is not None and "no-2fa" in kinds:
        sites = read_totp_sites(two_factor_list)
        count = len(sites.domains)
        site = "site" if count == 1 else "sites"
        sources.append(f"2FA list: {two_factor_list} ({count:,} {site} with TOTP)")
    elif "no-2fa" in kinds:
        sources.append("2FA list: not given (--2fa-list): no 2FA check")
    if "old" in kinds:
        sources.append(
            f"Old: a password unchanged for over {settings.health_max_age_days} days "
            "(health_max_age_days)"
        )
    source = open_breach_source(path) if path is not None and "breached" in kinds else None
    try:
        if source is not None:
            sources.insert(0, f"Breach list: {source.describe()}")
        items = vault.list_items(active)
        dates = vault.password_dates(active) if "old" in kinds else {}
        cache = HealthCacheStore(vault, active, source.identity() if source else None)
        # Opening every field of 10,000 items makes some 100,000 objects: without the pause,
        # the collector walks every object in the process every few thousand of them (as
        # list_items, which pauses it for the same reason).
        with collector_paused():
            known = cache.load(items)
        checks = Checks(
            now(),
            kinds=kinds,
            breaches=source.counts if source is not None else None,
            totp_sites=sites,
            max_age=max_age,
        )
        with collector_paused():
            report = analyze(items, dates, checks, progress, known)
        cache.save(report.learned)
    finally:
        if source is not None:
            source.close()
    return HealthResult(report, tuple(sources), {item.id: item for item in items})
