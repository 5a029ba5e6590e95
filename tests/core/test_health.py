"""Vault health's analysis on crafted items: every finding an item earns, worst first, a reused
group listed together, an ignored item left out, a damaged one "could not check"."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.core.crypto import breach_digest
from app.core.health import (
    DAMAGED,
    Checks,
    analyze,
    is_unsecured,
    parse_kinds,
    reuse_groups,
    user_inputs,
)
from app.core.items import Item, SecretFields
from app.core.twofactor import SourceError, TotpSites, read_totp_sites

NOW = datetime(2026, 6, 1, tzinfo=UTC)
STRONG = "vivid-otter-quarry-lantern-9041"
CANARY = "Canary-Breached-Pass-7731"


def item(
    item_id: int,
    title: str,
    password: str = STRONG,
    *,
    username: str = "",
    urls: tuple[str, ...] = (),
    tags: tuple[str, ...] = (),
    totp: str = "",
    damage: str | None = None,
) -> Item:
    return Item(
        item_id,
        1,
        title,
        username,
        urls,
        tags,
        damage=damage,
        secrets=SecretFields(password, "", totp),
    )


def labels(report_items: Sequence[object]) -> dict[str, list[str]]:
    return {h.title: h.labels for h in report_items}  # type: ignore[attr-defined]


def lookup(known: Mapping[str, int]):  # type: ignore[no-untyped-def]
    table = {breach_digest(password): count for password, count in known.items()}

    def counts(digests: Sequence[bytes]) -> dict[bytes, int]:
        return {d: table[d] for d in digests if d in table}

    return counts


def test_every_finding_of_an_item_is_listed_worst_first() -> None:
    items = [
        item(1, "Forum", "password1", urls=("http://forum.example",)),
        item(2, "Shop", "password1", urls=("https://shop.example",)),
        item(3, "Fine", STRONG, urls=("https://fine.example",)),
    ]
    report = analyze(items, {}, Checks(NOW, breaches=lookup({"password1": 2_418_984})))
    found = labels(report.items)
    assert found["Forum"] == ["breached (2,418,984)", "reused (2 items)", "weak", "common",
                              "unsecured"]  # fmt: skip
    assert found["Shop"] == ["breached (2,418,984)", "reused (2 items)", "weak", "common"]
    assert "Fine" not in found
    assert report.checked == 3


def test_a_reused_group_is_listed_together_and_counts_its_members() -> None:
    items = [
        item(1, "A one", "shared-horse-battery-91"),
        item(2, "B two", "other-shared-cable-77"),
        item(3, "C three", "shared-horse-battery-91"),
        item(4, "D four", "other-shared-cable-77"),
        item(5, "E five", "other-shared-cable-77"),
    ]
    report = analyze(items, {}, Checks(NOW, kinds=frozenset({"reused"})))
    order = [h.title for h in report.items]
    # The bigger group first, then each group's members next to each other.
    assert order == ["B two", "D four", "E five", "A one", "C three"]
    assert labels(report.items)["A one"] == ["reused (2 items)"]
    assert labels(report.items)["E five"] == ["reused (3 items)"]
    groups = reuse_groups(items)
    assert groups[1][0] == groups[3][0] != groups[2][0]


def test_weak_is_judged_with_the_username_title_and_site() -> None:
    # Strong on its own; built from the item's own words, it is not.
    password = "Kettlewhistle42!"
    alone = item(1, "Notes", password)
    own = item(2, "Kettle", password, username="kettlewhistle")
    site = item(3, "Shop", password, urls=("https://kettlewhistle.example/login",))
    assert "kettlewhistle" in user_inputs(site)
    weak = Checks(NOW, kinds=frozenset({"weak"}))
    found = labels(analyze([alone, own, site], {}, weak).items)
    assert found == {"Kettle": ["weak"], "Shop": ["weak"]}


def test_common_needs_no_download_and_is_case_blind() -> None:
    items = [item(1, "Old", "Dragon"), item(2, "New", STRONG)]
    report = analyze(items, {}, Checks(NOW, kinds=frozenset({"common"})))
    assert labels(report.items) == {"Old": ["common"]}


def test_a_password_over_zxcvbns_limit_is_judged_by_its_first_72_characters() -> None:
    long = "a" * 200
    report = analyze([item(1, "Long", long)], {}, Checks(NOW, kinds=frozenset({"weak"})))
    assert labels(report.items) == {"Long": ["weak"]}


@pytest.mark.parametrize(
    ("url", "unsecured"),
    [
        ("http://example.com/login", True),
        ("HTTP://Example.com", True),
        ("http://10.0.0.1:8080", True),
        ("https://example.com", False),
        ("http://localhost:8000", False),
        ("http://app.localhost", False),
        ("http://127.0.0.5/", False),
        ("http://[::1]:3000/", False),
        ("ftp://example.com", False),
        ("example.com", False),
    ],
)
def test_unsecured_is_http_anywhere_but_this_machine(url: str, unsecured: bool) -> None:
    assert is_unsecured(url) is unsecured


def test_no_2fa_where_the_site_offers_totp_and_the_item_has_none() -> None:
    sites = TotpSites(frozenset({"github.com"}))
    items = [
        item(1, "GitHub", urls=("https://github.com/login",)),
        item(2, "GitHub gist", urls=("https://gist.github.com",), totp="JBSWY3DPEHPK3PXP"),
        item(3, "Subdomain", urls=("https://api.github.com",)),
        item(4, "Elsewhere", urls=("https://notgithub.com",)),
    ]
    report = analyze(items, {}, Checks(NOW, totp_sites=sites, kinds=frozenset({"no-2fa"})))
    assert labels(report.items) == {"GitHub": ["no 2FA"], "Subdomain": ["no 2FA"]}
    # Without the list, nothing is claimed.
    assert analyze(items, {}, Checks(NOW, kinds=frozenset({"no-2fa"}))).items == ()


def test_a_totp_secret_that_does_not_open_stops_only_the_2fa_check() -> None:
    def sealed_totp() -> Item:
        # The password opens; the notes and TOTP secret (opened together) do not.
        secrets = SecretFields(
            opener=lambda: ((STRONG,), None),
            rest=lambda: (("", ""), "This item cannot be opened: damaged"),
        )
        return Item(1, 1, "GitHub", "al", ("https://github.com/login",), secrets=secrets)

    sites = TotpSites(frozenset({"github.com"}))
    report = analyze([sealed_totp()], {}, Checks(NOW, totp_sites=sites))
    assert labels(report.items) == {"GitHub": [DAMAGED]}
    # Without the 2FA list the secret is never read: the password is checked.
    report = analyze([sealed_totp()], {}, Checks(NOW))
    assert (report.items, report.checked) == ((), 1)


def test_old_counts_days_since_the_password_last_changed() -> None:
    items = [item(1, "Stale"), item(2, "Fresh"), item(3, "Unknown")]
    changed = {1: NOW - timedelta(days=400), 2: NOW - timedelta(days=365)}
    checks = Checks(NOW, kinds=frozenset({"old"}), max_age=timedelta(days=365))
    assert labels(analyze(items, changed, checks).items) == {"Stale": ["old (400 days)"]}


def test_an_item_tagged_health_ignore_is_left_out_but_its_password_still_counts() -> None:
    items = [
        item(1, "Kept", "password1"),
        item(2, "Left out", "password1", tags=("work", "Health:Ignore")),
    ]
    report = analyze(items, {}, Checks(NOW))
    assert [h.title for h in report.items] == ["Kept"]
    assert "reused (2 items)" in report.items[0].labels
    assert (report.checked, report.ignored) == (1, 1)


def test_a_damaged_item_could_not_be_checked_and_comes_first() -> None:
    items = [item(1, "Weak one", "password1"), item(2, "Broken", damage="tampered")]
    report = analyze(items, {}, Checks(NOW))
    assert [h.labels for h in report.items] == [[DAMAGED], ["weak", "common"]]
    assert report.items[0].title == "Broken"


def test_only_the_kinds_asked_for_are_checked() -> None:
    items = [item(1, "Forum", "password1", urls=("http://forum.example",))]
    report = analyze(items, {}, Checks(NOW, kinds=parse_kinds("unsecured, common")))
    assert labels(report.items) == {"Forum": ["common", "unsecured"]}
    with pytest.raises(ValueError, match="unknown kind bogus"):
        parse_kinds("weak,bogus")


def test_the_breach_lookup_is_asked_with_digests_only_once_per_password() -> None:
    asked: list[bytes] = []

    def counts(digests: Sequence[bytes]) -> dict[bytes, int]:
        asked.extend(digests)
        return {}

    items = [item(1, "A", CANARY), item(2, "B", CANARY), item(3, "C", STRONG)]
    analyze(items, {}, Checks(NOW, breaches=counts, kinds=frozenset({"breached"})))
    assert sorted(asked) == sorted({breach_digest(CANARY), breach_digest(STRONG)})
    assert all(len(d) == 40 and d == d.upper() for d in asked)


def test_a_2fa_directory_totp_json_is_read_and_bad_ones_refused(tmp_path: Path) -> None:
    good = tmp_path / "totp.json"
    good.write_text(
        '[["GitHub", {"domain": "github.com", "tfa": ["totp", "u2f"]}],'
        ' ["Mail", {"domain": "mail.example", "additional-domains": ["mx.example"]}],'
        ' ["SMS only", {"domain": "sms.example", "tfa": ["sms"]}]]'
    )
    sites = read_totp_sites(good)
    assert sites.domains == {"github.com", "mail.example", "mx.example"}
    bad = tmp_path / "bad.json"
    bad.write_text("not json")
    with pytest.raises(SourceError, match="not JSON"):
        read_totp_sites(bad)
    with pytest.raises(SourceError, match="cannot be read"):
        read_totp_sites(tmp_path / "missing.json")


def write_config(tmp_path: Path, text: str) -> Path:
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "config.toml").write_text(text)
    return config_dir


def test_the_breach_list_and_the_age_limit_are_settings(tmp_path: Path) -> None:
    from app.core.config import load_settings

    default = load_settings(tmp_path / "none", tmp_path / "d", environ={})
    assert (default.breach_list, default.health_max_age_days) == (None, 365)
    config_dir = write_config(
        tmp_path, 'breach_list = "~/hibp/pwned.txt"\nhealth_max_age_days = 90\n'
    )
    settings = load_settings(config_dir, tmp_path / "d", environ={})
    assert settings.breach_list == Path.home() / "hibp" / "pwned.txt"
    assert settings.health_max_age_days == 90


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("health_max_age_days = 0", "between 1 and 3650"),
        ("health_max_age_days = 99999", "between 1 and 3650"),
        ("health_max_age_days = 'old'", "whole number"),
        ("breach_list = 3", "path of Have I Been Pwned"),
        ("breach_list = ''", "path of Have I Been Pwned"),
    ],
)
def test_bad_health_settings_are_explained(tmp_path: Path, text: str, message: str) -> None:
    from app.core.config import ConfigError, load_settings

    with pytest.raises(ConfigError, match=message):
        load_settings(write_config(tmp_path, text + "\n"), tmp_path / "d", environ={})
