"""The vault controller, on SQLite and MariaDB: sealing, tampering, conflicts, trash, history."""

from __future__ import annotations

import base64
import itertools
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text, update

from app.core.accounts import ActiveSession
from app.core.errors import EditConflict, ItemNotFound, ValidationError
from app.core.items import CustomField, ItemDraft
from app.core.rules import normalize_totp, validate
from app.models import VaultItem
from app.services.accounts import AccountService
from app.services.database import Database
from app.services.vault import VaultService
from tests.helpers import STRONG_PASSWORD, FakeClock

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DP"


@pytest.fixture
def vault(database: Database, clock: FakeClock) -> VaultService:
    return VaultService(database.sessions, target=database.target, clock=clock)


def tamper(database: Database, item_id: int, **values: object) -> None:
    """A raw write to an item's row, as anyone with the database's credentials can make
    (the version stays as it is)."""
    with database.sessions.begin() as db:
        db.execute(update(VaultItem).where(VaultItem.id == item_id).values(**values))


def draft(title: str = "Example", **kwargs: object) -> ItemDraft:
    return ItemDraft(title=title, **kwargs)  # type: ignore[arg-type]


def test_add_and_list_round_trip(vault: VaultService, alice: ActiveSession) -> None:
    added = vault.add(
        alice,
        ItemDraft(
            title="  Bank  ",
            username="alice@example.org",
            password="pa55 word",
            urls=("https://bank.example", " ", "https://m.bank.example"),
            notes="line one\nline two",
            tags=("money", "money", "work"),
            totp=TOTP_SECRET.lower(),
            favourite=False,
        ),
    )
    (listed,) = vault.list_items(alice)
    assert listed == added
    assert listed.title == "Bank"
    assert listed.urls == ("https://bank.example", "https://m.bank.example")
    assert listed.tags == ("money", "work")
    assert listed.totp == TOTP_SECRET
    assert listed.notes == "line one\nline two"
    assert listed.error is None
    assert "pa55" not in repr(listed)


def test_favourites_first_then_by_title(vault: VaultService, alice: ActiveSession) -> None:
    for title, favourite in (
        ("zebra", False),
        ("Apple", False),
        ("mango", True),
        ("banana", False),
    ):
        vault.add(alice, draft(title, favourite=favourite))
    assert [i.title for i in vault.list_items(alice)] == ["mango", "Apple", "banana", "zebra"]


def test_listing_opens_titles_and_the_rest_on_first_use(
    vault: VaultService,
    alice: ActiveSession,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.core import crypto

    for title in ("kiwi", "Apple", "fig"):
        vault.add(alice, draft(title, username=f"{title}@example.org", password=f"{title}-pw"))
    spoiled = vault.add(alice, draft("Spoiled", username="lost"))
    with database.sessions.begin() as db:  # a username that no longer opens
        sealed = db.get_one(VaultItem, spoiled.id).username_sealed
    tamper(database, spoiled.id, username_sealed=sealed[:-1] + bytes([sealed[-1] ^ 1]))
    # The integrity record would refuse the whole listing (see test_integrity): taken as it is.
    vault.accept_restore(alice)
    opened: list[bytes] = []
    original = crypto.FieldCipher.open

    def counting(self: crypto.FieldCipher, blob: bytes, associated_data: bytes) -> str:
        opened.append(associated_data)
        return original(self, blob, associated_data)

    monkeypatch.setattr(crypto.FieldCipher, "open", counting)
    items = vault.list_items(alice)
    assert [i.title for i in items] == ["Apple", "fig", "kiwi", "Spoiled"]
    assert all(aad.endswith(b"/field/title") for aad in opened)  # the titles only
    assert len(opened) == 4
    assert items[1].username == "fig@example.org"
    assert items[1].password == "fig-pw"
    assert len(opened) == 4 + 3 + 1  # that item's shown fields, then its password alone
    assert items[1].notes == ""
    assert len(opened) == 4 + 3 + 1 + 2  # its notes and TOTP secret, together
    # A damaged field is found when it is read, and spoils only its item.
    assert items[3].title == "Spoiled"
    assert items[3].username == ""
    assert items[3].error is not None
    assert "altered or belongs elsewhere" in items[3].error
    assert items[0].error is None


def _dump(database: Database) -> bytes:
    """Every byte of every row of every table, as the database hands them out."""
    chunks: list[bytes] = []
    with database.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f"SELECT * FROM {table}")):  # noqa: S608
                for value in row:
                    chunks.append(value if isinstance(value, bytes) else str(value).encode())
    return b"\n".join(chunks)


def test_canary_secrets_appear_nowhere_in_the_database(
    vault: VaultService, alice: ActiveSession, database: Database
) -> None:
    canaries = {
        "title": "CanaryTitle-7f3a",
        "username": "canary-user-91b2",
        "password": "canary-pass-c0ffee",
        "urls": ("https://canary-url-55d1.example",),
        "notes": "canary-notes-e4e4",
        "tags": ("canarytag8a8a",),
        "totp": "KRUGS4ZANFZSAYLOEBSXQYLNOBWGK",
        "fields": (CustomField("canary-field-name-3b3b", "canary-field-value-9d9d", True),),
    }
    item = vault.add(alice, ItemDraft(**canaries))  # type: ignore[arg-type]
    renewed = ItemDraft(**{**canaries, "password": "canary-newpass-d00d"})  # type: ignore[arg-type]
    vault.update(alice, item.id, item.version, renewed)
    dump = _dump(database)
    url = database.engine.url
    if url.get_backend_name() == "sqlite" and url.database:
        dump += Path(url.database).read_bytes()
    needles: list[str] = ["canary-pass-c0ffee", "canary-newpass-d00d", STRONG_PASSWORD]
    needles += ["canary-field-name-3b3b", "canary-field-value-9d9d"]
    for value in canaries.values():
        if value and isinstance(value[0], str):
            needles.extend(value if isinstance(value, tuple) else [str(value)])
    for needle in needles:
        raw = needle.encode()
        for form in (raw, raw.hex().encode(), base64.b64encode(raw), base64.b64encode(raw)[:-4]):
            assert form not in dump, needle
        assert raw.lower() not in dump.lower()


def test_flipped_byte_spoils_only_that_item(
    vault: VaultService, alice: ActiveSession, database: Database
) -> None:
    good = vault.add(alice, draft("Good", password="fine"))
    bad = vault.add(alice, draft("Bad", password="spoiled"))
    with database.sessions.begin() as db:
        blob = bytearray(db.get_one(VaultItem, bad.id).password_sealed)
    blob[-3] ^= 0x01
    tamper(database, bad.id, password_sealed=bytes(blob))
    vault.accept_restore(alice)  # past the integrity record (see test_integrity): the AEAD
    items = {i.id: i for i in vault.list_items(alice)}
    assert items[good.id].password == "fine"
    error = items[bad.id].error
    assert error is not None
    assert "altered or belongs elsewhere" in error
    assert items[bad.id].password == ""


def test_ciphertext_moved_between_items_or_fields_is_refused(
    vault: VaultService, alice: ActiveSession, database: Database
) -> None:
    one = vault.add(alice, draft("One", password="first secret"))
    two = vault.add(alice, draft("Two", password="second secret"))
    with database.sessions.begin() as db:
        sealed = db.get_one(VaultItem, one.id).password_sealed
    tamper(database, two.id, password_sealed=sealed)  # same user, other item
    tamper(database, one.id, username_sealed=sealed)  # same item, other field
    vault.accept_restore(alice)  # past the integrity record (see test_integrity): the AEAD
    items = {i.id: i for i in vault.list_items(alice)}
    assert items[one.id].error is not None
    assert items[two.id].error is not None


def test_custom_fields_moved_between_items_are_refused(
    vault: VaultService, alice: ActiveSession, database: Database
) -> None:
    """Someone who can write the database copies one item's sealed custom fields onto
    another: they do not open there, and the item says it is damaged."""
    pin = CustomField("PIN", "1234", secret=True)
    one = vault.add(alice, draft("One", fields=(pin,)))
    two = vault.add(alice, draft("Two"))
    with database.sessions.begin() as db:
        sealed = db.get_one(VaultItem, one.id).fields_sealed
    tamper(database, two.id, fields_sealed=sealed)
    vault.accept_restore(alice)  # past the integrity record (see test_integrity): the AEAD
    items = {i.id: i for i in vault.list_items(alice)}
    assert items[one.id].fields == (pin,)
    assert items[two.id].fields == ()
    assert items[two.id].error is not None


def test_unknown_field_format_is_refused(
    vault: VaultService, alice: ActiveSession, database: Database
) -> None:
    item = vault.add(alice, draft("Future"))
    with database.sessions.begin() as db:
        sealed = db.get_one(VaultItem, item.id).notes_sealed
    tamper(database, item.id, notes_sealed=b"\x09" + sealed[1:])
    vault.accept_restore(alice)  # past the integrity record (see test_integrity): the AEAD
    (listed,) = vault.list_items(alice)
    assert listed.error is not None
    assert "format 9" in listed.error


def test_items_of_another_user_are_out_of_reach(
    vault: VaultService, alice: ActiveSession, accounts: AccountService, database: Database
) -> None:
    item = vault.add(alice, draft("Alice's", password="hers"))
    accounts.register("mallory", "a different strong passphrase", "a different strong passphrase")
    mallory = accounts.login("mallory", "a different strong passphrase", remember=False)
    assert vault.list_items(mallory) == []
    with pytest.raises(ItemNotFound):
        vault.update(mallory, item.id, item.version, draft("mine now"))
    with pytest.raises(ItemNotFound):
        vault.trash(mallory, item.id)
    tamper(database, item.id, user_id=mallory.user_id)
    vault.accept_restore(mallory)  # past the integrity record (see test_integrity): the AEAD
    (stolen,) = vault.list_items(mallory)
    assert stolen.error is not None  # her key cannot open it, and its AAD names Alice


def test_edit_conflict_between_two_devices(
    database: Database, alice: ActiveSession, clock: FakeClock
) -> None:
    laptop = VaultService(database.sessions, clock=clock)
    desktop = VaultService(database.sessions, clock=clock)
    item = laptop.add(alice, draft("Shared", password="v1"))
    opened_on_desktop = desktop.list_items(alice)[0]
    saved = laptop.update(alice, item.id, item.version, draft("Shared", password="from laptop"))
    with pytest.raises(EditConflict) as raised:
        desktop.update(
            alice, item.id, opened_on_desktop.version, draft("Shared", password="from desktop")
        )
    assert raised.value.current is not None
    assert raised.value.current.password == "from laptop"
    assert raised.value.current.version == saved.version
    # The person chooses; saving against the current version then works.
    final = desktop.update(alice, item.id, saved.version, draft("Shared", password="from desktop"))
    assert final.password == "from desktop"


def test_password_history_keeps_the_last_ten(
    vault: VaultService, alice: ActiveSession, clock: FakeClock
) -> None:
    item = vault.add(alice, draft("Rotating", password="pw-0"))
    for number in range(1, 13):
        clock.advance(days=1)
        item = vault.update(
            alice, item.id, item.version, draft("Rotating", password=f"pw-{number}")
        )
    vault.update(alice, item.id, item.version, draft("Renamed", password="pw-12"))  # no change
    history = vault.history(alice, item.id)
    assert [h.password for h in history] == [f"pw-{n}" for n in range(11, 1, -1)]
    assert history[0].replaced_at > history[-1].replaced_at


def test_trash_restore_purge_and_expiry(
    vault: VaultService, alice: ActiveSession, clock: FakeClock
) -> None:
    keep = vault.add(alice, draft("Keep"))
    old = vault.add(alice, draft("Old"))
    vault.trash(alice, keep.id)
    vault.trash(alice, old.id)
    assert vault.list_items(alice) == []
    assert {i.title for i in vault.list_items(alice, trash=True)} == {"Keep", "Old"}
    vault.restore(alice, keep.id)
    assert [i.title for i in vault.list_items(alice)] == ["Keep"]
    with pytest.raises(ValidationError, match="Only items in the trash"):
        vault.purge(alice, keep.id)
    clock.advance(days=29)
    assert vault.purge_expired(alice) == 0
    clock.advance(days=1, seconds=1)
    assert vault.purge_expired(alice) == 1
    assert vault.list_items(alice, trash=True) == []
    vault.trash(alice, keep.id)
    vault.purge(alice, keep.id)
    assert vault.list_items(alice, trash=True) == vault.list_items(alice) == []


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (draft("   "), "give the item a title"),
        (draft("x" * 201), "Title is too long"),
        (draft("ok", username="a\x00b"), "control character"),
        (draft("ok", password="\x1b[31mred"), "control character"),
        (draft("ok", notes="\ud800"), "cannot be stored"),
        (draft("ok", totp="not base32!"), "base32"),
        (draft("ok", totp="JBSWY3DP"), "too short"),
        (draft("ok", totp="otpauth://totp/x?secret="), "otpauth"),
        (draft("ok", urls=tuple(f"https://{n}.example" for n in range(21))), "At most 20 URLs"),
    ],
)
def test_bad_drafts_get_clear_messages(bad: ItemDraft, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        validate(bad)


def test_odd_but_valid_text_is_kept_exactly(vault: VaultService, alice: ActiveSession) -> None:
    odd = "[bold]x[/bold] [@click=app.quit]q[/] ' OR '1'='1' -- \u202eevil 🙂 e\u0301"
    item = vault.add(alice, draft(odd, username=odd, password=odd, notes=odd + "\n\tmore"))
    (listed,) = vault.list_items(alice)
    assert listed.title == listed.username == listed.password == odd.strip()
    assert listed.notes == odd + "\n\tmore"
    assert listed.id == item.id


def test_totp_from_an_otpauth_link() -> None:
    plain = f"otpauth://totp/alice?secret={TOTP_SECRET}"
    assert normalize_totp(plain) == TOTP_SECRET  # the defaults: the bare secret is enough
    link = f"otpauth://totp/Example:alice?secret={TOTP_SECRET}&issuer=Example"
    assert normalize_totp(link).startswith("otpauth://totp/")  # the issuer is kept
    assert normalize_totp(" jbsw y3dp ehpk 3pxp ") == "JBSWY3DPEHPK3PXP"
    assert normalize_totp("") == ""


def test_deleting_the_account_removes_its_items(
    vault: VaultService, alice: ActiveSession, database: Database
) -> None:
    vault.add(alice, draft("Gone soon"))
    from app.models import User

    with database.sessions.begin() as db:
        db.delete(db.get_one(User, alice.user_id))
    with database.sessions() as db:
        assert db.scalars(select(VaultItem)).all() == []


def test_add_many_seals_like_add(vault: VaultService, alice: ActiveSession) -> None:
    drafts = [draft(f"Item {n:03}", username=f"user{n}", password=f"pw{n}") for n in range(50)]
    assert vault.add_many(alice, drafts) == 50
    items = vault.list_items(alice)
    assert [i.title for i in items] == [f"Item {n:03}" for n in range(50)]
    assert all(i.error is None and i.password == f"pw{n}" for n, i in enumerate(items))
    with pytest.raises(ValidationError):
        vault.add_many(alice, [draft("fine"), draft("  ")])
    assert len(vault.list_items(alice)) == 50  # all or nothing


def test_fingerprint_moves_with_every_change(vault: VaultService, alice: ActiveSession) -> None:
    """And a listing (of the vault or of the trash) counts the same fingerprint from the rows
    it read, which the app keeps to poll against."""

    def fingerprint(active: ActiveSession) -> tuple[int, int, int]:
        queried = vault.fingerprint(active)
        assert vault.list_checked(active).fingerprint == queried
        assert vault.list_checked(active, trash=True).fingerprint == queried
        return queried

    seen = [fingerprint(alice)]
    item = vault.add(alice, draft("One"))
    seen.append(fingerprint(alice))
    item = vault.update(alice, item.id, item.version, draft("One", password="changed"))
    seen.append(fingerprint(alice))
    vault.trash(alice, item.id)
    seen.append(fingerprint(alice))
    vault.restore(alice, item.id)
    seen.append(fingerprint(alice))
    vault.trash(alice, item.id)
    vault.purge(alice, item.id)
    seen.append(fingerprint(alice))
    # Each change moves it away from what the device saw last.
    assert all(before != after for before, after in itertools.pairwise(seen))
    assert fingerprint(alice) == seen[-1]  # and it stays put when nothing changes


def test_warming_up_reads_nothing_and_writes_nothing(
    vault: VaultService, alice: ActiveSession, accounts: AccountService, database: Database
) -> None:
    vault.add(alice, draft("Untouched"))
    before = _dump(database)
    accounts.warm_up()
    vault.warm_up()
    assert _dump(database) == before
    assert [i.title for i in vault.list_items(alice)] == ["Untouched"]
