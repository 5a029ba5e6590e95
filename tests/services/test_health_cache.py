"""The health report's sealed cache: a second run scores nothing again, a change to a password,
its words or the breach list is a miss, a rotation drops it, a tampered row is never trusted,
and the table holds nothing readable."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from app.core.accounts import ActiveSession
from app.core.breach import BreachFile
from app.core.config import Settings
from app.core.items import ItemDraft
from app.models import HealthCache, VaultItem
from app.services.backend import Backend
from app.services.health import health_report
from tests.core.test_breach import generated_lines
from tests.helpers import STRONG_PASSWORD, rows, sql

CANARY = "Canary-Breached-Pass-7731"  # in the generated list 7 times
SHARED = "password1"  # in it 2,418,984 times
STRONG = "vivid-otter-quarry-lantern-9041"
TOTP = "JBSWY3DPEHPK3PXP"


class Spy:
    """Counts zxcvbn's scorings and the digests looked up in the breach list."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import zxcvbn

        self.scored = 0
        self.looked_up = 0
        real_score, real_counts = zxcvbn.zxcvbn, BreachFile.counts

        def score(password: str, user_inputs: list[str] | None = None) -> dict[str, Any]:
            self.scored += 1
            scored: dict[str, Any] = real_score(password, user_inputs=user_inputs)
            return scored

        def counts(source: BreachFile, digests: Sequence[bytes]) -> dict[bytes, int]:
            self.looked_up += len(digests)
            return real_counts(source, digests)

        monkeypatch.setattr(zxcvbn, "zxcvbn", score)
        monkeypatch.setattr(BreachFile, "counts", counts)

    def reset(self) -> None:
        self.scored = self.looked_up = 0


@pytest.fixture(scope="module")
def breach_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hibp") / "pwnedpasswords.txt"
    path.write_bytes(b"\r\n".join(generated_lines(20_000)) + b"\r\n")
    return path


@pytest.fixture
def backend(settings: Settings) -> Iterator[Backend]:
    backend = Backend(settings, device_label="test")
    yield backend
    backend.close()


@pytest.fixture
def alice(backend: Backend) -> ActiveSession:
    accounts = backend.accounts()
    accounts.register("alice", STRONG_PASSWORD, STRONG_PASSWORD)
    active = accounts.login("alice", STRONG_PASSWORD, remember=False)
    vault = backend.vault()
    for draft in (
        ItemDraft("Forum", "al", SHARED, ("http://forum.example",)),
        ItemDraft("Shop", "al", SHARED, ("https://shop.example",)),
        ItemDraft("Mail", "al", CANARY, ("https://mail.example",)),
        ItemDraft("Bank", "al", STRONG, ("https://bank.example",)),
    ):
        vault.add(active, draft)
    return active


def findings(backend: Backend, active: ActiveSession, breach: Path | None) -> dict[str, str]:
    result = health_report(backend.vault(), active, backend.settings, breach_list=breach)
    return {item.title: ", ".join(item.labels) for item in result.report.items}


EXPECTED = {
    "Forum": "breached (2,418,984), reused (2 items), weak, common, unsecured",
    "Shop": "breached (2,418,984), reused (2 items), weak, common",
    "Mail": "breached (7)",
}


def cached_blob(settings: Settings, item: int) -> bytes:
    [(blob,)] = rows(settings, f"SELECT sealed FROM health_cache WHERE item_id={item:d}")  # noqa: S608
    assert isinstance(blob, bytes)
    return blob


def item_id(backend: Backend, active: ActiveSession, title: str) -> int:
    return next(item.id for item in backend.vault().list_items(active) if item.title == title)


def test_a_second_run_scores_and_looks_up_nothing(
    backend: Backend, alice: ActiveSession, breach_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = Spy(monkeypatch)
    assert findings(backend, alice, breach_file) == EXPECTED
    assert spy.scored == 4  # each item's password judged with its own words
    assert spy.looked_up == 3  # three distinct passwords
    assert len(rows(backend.settings, "SELECT item_id FROM health_cache")) == 4
    spy.reset()
    assert findings(backend, alice, breach_file) == EXPECTED
    assert (spy.scored, spy.looked_up) == (0, 0)


def test_a_changed_password_or_title_is_scored_again_alone(
    backend: Backend, alice: ActiveSession, breach_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    findings(backend, alice, breach_file)
    spy = Spy(monkeypatch)
    vault = backend.vault()
    [bank] = [item for item in vault.list_items(alice) if item.title == "Bank"]
    vault.update(alice, bank.id, bank.version, ItemDraft("Bank", "al", "dragon"))
    assert findings(backend, alice, breach_file)["Bank"] == "weak, common"
    assert (spy.scored, spy.looked_up) == (1, 1)
    spy.reset()
    [mail] = [item for item in vault.list_items(alice) if item.title == "Mail"]
    # The same password judged with other words (a title is one): that item alone again.
    draft = ItemDraft("Mail at work", "al", CANARY, ("https://mail.example",))
    vault.update(alice, mail.id, mail.version, draft)
    assert findings(backend, alice, breach_file)["Mail at work"] == "breached (7)"
    assert (spy.scored, spy.looked_up) == (1, 1)


def test_touching_or_changing_the_breach_list_looks_every_password_up_again(
    backend: Backend,
    alice: ActiveSession,
    breach_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    findings(backend, alice, breach_file)
    spy = Spy(monkeypatch)
    copy = tmp_path / "copy.txt"
    copy.write_bytes(breach_file.read_bytes())
    assert findings(backend, alice, copy) == EXPECTED  # another list: every count again
    assert (spy.scored, spy.looked_up) == (0, 3)
    spy.reset()
    stat = copy.stat()
    os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert findings(backend, alice, copy) == EXPECTED
    assert (spy.scored, spy.looked_up) == (0, 3)
    spy.reset()
    # Without a list no count is used, and none is lost: the same list again needs no lookup.
    assert "breached" not in str(findings(backend, alice, None))
    assert (spy.scored, spy.looked_up) == (0, 0)
    assert findings(backend, alice, copy) == EXPECTED
    assert (spy.scored, spy.looked_up) == (0, 0)


def test_a_rotation_drops_the_cache(
    backend: Backend, alice: ActiveSession, breach_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    findings(backend, alice, breach_file)
    assert rows(backend.settings, "SELECT COUNT(*) FROM health_cache") == [(4,)]
    rotated, _ = backend.accounts().rotate_vault_key(alice, STRONG_PASSWORD)
    assert rows(backend.settings, "SELECT COUNT(*) FROM health_cache") == [(0,)]
    spy = Spy(monkeypatch)
    assert findings(backend, rotated, breach_file) == EXPECTED
    assert spy.looked_up == 3


@pytest.mark.parametrize(
    "damage",
    ["moved", "flipped", "empty", "garbage"],
)
def test_a_tampered_row_is_a_miss_never_trusted(
    backend: Backend,
    alice: ActiveSession,
    breach_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    damage: str,
) -> None:
    findings(backend, alice, breach_file)
    forum, bank = item_id(backend, alice, "Forum"), item_id(backend, alice, "Bank")
    forum_blob = cached_blob(backend.settings, forum)
    forged = {
        "moved": forum_blob,  # breached, weak and common: the strong item's if trusted
        "flipped": forum_blob[:-1] + bytes([forum_blob[-1] ^ 1]),
        "empty": b"",
        "garbage": b"\x09" + os.urandom(60),
    }[damage]
    target = bank if damage == "moved" else forum
    sql(
        backend.settings,
        update(HealthCache).where(HealthCache.item_id == target).values(sealed=forged),
    )
    spy = Spy(monkeypatch)
    assert findings(backend, alice, breach_file) == EXPECTED
    # That item only, computed again (Forum's count is known from Shop, which shares it).
    assert (spy.scored, spy.looked_up) == (1, 1 if damage == "moved" else 0)
    spy.reset()
    assert findings(backend, alice, breach_file) == EXPECTED
    assert (spy.scored, spy.looked_up) == (0, 0)  # and written over


def test_a_row_from_another_account_does_not_open(
    backend: Backend, alice: ActiveSession, breach_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    findings(backend, alice, breach_file)
    accounts = backend.accounts()
    accounts.register("bob", STRONG_PASSWORD, STRONG_PASSWORD)
    bob = accounts.login("bob", STRONG_PASSWORD, remember=False)
    backend.vault().add(bob, ItemDraft("Bank", "bo", STRONG, ("https://bank.example",)))
    findings(backend, bob, breach_file)
    bobs = item_id(backend, bob, "Bank")
    forum = item_id(backend, alice, "Forum")
    blob = cached_blob(backend.settings, forum)
    sql(
        backend.settings, update(HealthCache).where(HealthCache.item_id == bobs).values(sealed=blob)
    )
    assert findings(backend, bob, breach_file) == {}


def test_the_table_holds_no_password_hash_or_finding_and_no_length_tells(
    backend: Backend, alice: ActiveSession, breach_file: Path
) -> None:
    findings(backend, alice, breach_file)
    cached = rows(backend.settings, "SELECT item_id, user_id, sealed FROM health_cache")
    blobs = [blob for _, _, blob in cached]
    assert all(isinstance(blob, bytes) for blob in blobs)
    # Breached or not, weak or strong: every row the same length.
    assert len({len(blob) for blob in blobs}) == 1  # type: ignore[arg-type]
    dump = b"\n".join(blobs)  # type: ignore[arg-type]
    for password in (SHARED, CANARY, STRONG):
        raw = password.encode()
        sha1 = hashlib.sha1(raw, usedforsecurity=False)
        for form in (raw, sha1.hexdigest().encode(), sha1.hexdigest().upper().encode()):
            assert form not in dump
        assert sha1.digest() not in dump
    for word in (b"breached", b"weak", b"common", b"reused", b"2418984", b"2,418,984"):
        assert word not in dump
    columns = rows(backend.settings, "SELECT * FROM health_cache LIMIT 1")[0]
    assert len(columns) == 3  # item, user and the sealed blob: no tag, hash or group beside it


def test_deleting_an_item_for_good_deletes_its_row(
    backend: Backend, alice: ActiveSession, breach_file: Path
) -> None:
    findings(backend, alice, breach_file)
    vault = backend.vault()
    bank = item_id(backend, alice, "Bank")
    vault.trash(alice, bank)
    vault.purge(alice, bank)
    left = rows(backend.settings, "SELECT item_id FROM health_cache")
    assert len(left) == 3
    assert (bank,) not in left


def test_a_lock_mid_run_writes_nothing(
    backend: Backend, alice: ActiveSession, breach_file: Path
) -> None:
    from app.core.errors import VaultLocked

    def stop(done: int, total: int) -> None:
        raise VaultLocked

    with pytest.raises(VaultLocked):
        health_report(
            backend.vault(), alice, backend.settings, breach_list=breach_file, progress=stop
        )
    assert rows(backend.settings, "SELECT COUNT(*) FROM health_cache") == [(0,)]


def test_the_report_opens_no_note_totp_secret_or_custom_field(
    backend: Backend, alice: ActiveSession, breach_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.core import crypto
    from app.core.items import CustomField

    secret = CustomField("PIN", "4921", secret=True)
    draft = ItemDraft("Notes", "al", STRONG, notes="the notes", totp=TOTP, fields=(secret,))
    backend.vault().add(alice, draft)
    opened: list[str] = []
    real_open = crypto.FieldCipher.open

    def spy(cipher: crypto.FieldCipher, blob: bytes, associated_data: bytes) -> str:
        opened.append(associated_data.decode().rsplit("/", 1)[-1])
        return real_open(cipher, blob, associated_data)

    monkeypatch.setattr(crypto.FieldCipher, "open", spy)
    for _ in range(2):  # scored, then from the cache
        opened.clear()
        result = health_report(backend.vault(), alice, backend.settings, breach_list=breach_file)
        assert {"title", "username", "urls", "tags", "password"} <= set(opened)
        assert not {"notes", "totp", "fields"} & set(opened)
    # They stay sealed, not lost: the item opens them when they are read.
    [item] = [item for item in result.items.values() if item.title == "Notes"]
    assert (item.notes, item.totp, item.fields) == ("the notes", TOTP, (secret,))


def test_an_item_whose_notes_do_not_open_is_still_checked_on_its_password(
    backend: Backend, alice: ActiveSession, breach_file: Path
) -> None:
    forum = item_id(backend, alice, "Forum")
    sql(
        backend.settings,
        update(VaultItem).where(VaultItem.id == forum).values(notes_sealed=b"\x01" * 40),
    )
    backend.vault().accept_restore(alice)  # the record takes the row: the field is damaged
    [item] = [item for item in backend.vault().list_items(alice) if item.id == forum]
    assert item.error is not None  # shown damaged wherever its notes are read
    assert findings(backend, alice, breach_file) == EXPECTED
