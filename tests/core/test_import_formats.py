"""Every import format's reader, on files written the way each manager writes them (column
order, quoting, line endings, dates), and on hostile files: each gets a clear result and
never a traceback. These read files only; tests/cli/test_import.py writes them into vaults."""

from __future__ import annotations

import codecs
import json
import zipfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.exports import ENCRYPTED_FORMATS, FORMATS, Exported, bitwarden_encrypted_json
from app.core.format_names import EXPORT_FORMATS, IMPORT_FORMATS
from app.core.formats import ImportFailed, Parsed, detect, formats, read
from app.core.formats.bitwarden import ARGON2ID, PBKDF2, Kdf, WrongPassword, encrypt_export
from app.core.items import (
    CustomField,
    CustomFields,
    HistoryEntry,
    Item,
    ItemDraft,
    SecretFields,
)
from app.core.rules import validate
from tests.transfer import BITWARDEN_JSON

ESC = "\x1b"
TOTP_EIGHT_DIGITS = "otpauth://totp/Bank:al?secret=JBSWY3DPEHPK3PXP&digits=8&period=60"
# Names KeePass gives its own strings: a custom field of one of these names cannot be written.
KEEPASS_NAMES = {"Title", "UserName", "Password", "URL", "Notes", "otp", "TOTP Seed",
                 "TOTP Settings", "Strongroom tags"}  # fmt: skip


def no_password(prompt: str) -> str:
    raise AssertionError(f"asked for a password: {prompt}")


def parse(
    tmp_path: Path, name: str, content: str | bytes, format_name: str | None = None
) -> Parsed:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return read(path, no_password, format_name)


def test_the_format_names_the_parser_offers_are_the_formats_there_are() -> None:
    assert set(IMPORT_FORMATS) == set(formats())
    assert set(EXPORT_FORMATS) == {*ENCRYPTED_FORMATS, *FORMATS}


def test_bitwarden_json_carries_every_kind_of_item(tmp_path: Path) -> None:
    parsed = parse(tmp_path, "bitwarden_export.json", json.dumps(BITWARDEN_JSON, indent=2))
    assert parsed.format == "bitwarden-json"
    assert [(s.where, s.reason) for s in parsed.skipped] == [
        ("item 5 ('')", "it holds nothing (no title, login or notes)")
    ]
    items = {item.draft.title: item for item in parsed.items}
    router = items["Router"]
    draft = router.draft
    assert (draft.username, draft.password, draft.notes) == ("admin", "now", "line one\nline two")
    assert draft.urls == ("https://r.example", "http://10.0.0.1")
    assert draft.tags == ("Work/Servers",)
    assert draft.favourite
    assert draft.fields == (
        CustomField("PIN", "1234", True),
        CustomField("Colour", "blue"),
        CustomField("Colour (2)", "red"),
    )
    assert "digits=8" in draft.totp
    assert "period=60" in draft.totp
    assert [entry.password for entry in router.history] == ["old", "older"]  # newest first
    assert router.created_at == datetime(2020, 6, 1, 10, tzinfo=UTC)
    assert router.updated_at == datetime(2025, 6, 1, 10, tzinfo=UTC)
    visa = items["Visa"]
    assert visa.trashed_at is not None
    assert CustomField("Number", "4111111111111111", True) in visa.draft.fields
    assert CustomField("Security code", "123", True) in visa.draft.fields
    assert "Card" in visa.draft.tags
    assert CustomField("Social security number", "123-45", True) in items["Me"].draft.fields
    assert items["Note"].draft.notes == "just text"
    assert CustomField("Private key", "-----BEGIN", True) in items["Key"].draft.fields


@pytest.mark.parametrize(
    "kdf", [Kdf(PBKDF2, 5000), Kdf(ARGON2ID, 2, memory_mib=16, parallelism=1)], ids=str
)
def test_bitwarden_encrypted_json_opens_with_its_password_only(tmp_path: Path, kdf: Kdf) -> None:
    document = json.dumps(BITWARDEN_JSON)
    path = tmp_path / "encrypted.json"
    path.write_text(encrypt_export(document, "export password", kdf))
    wrapper = json.loads(path.read_text())
    assert wrapper["passwordProtected"] is True
    assert wrapper["kdfType"] == kdf.type
    assert wrapper["data"].startswith("2.")
    assert "Router" not in path.read_text()
    parsed = read(path, lambda prompt: "export password")
    assert parsed.format == "bitwarden-encrypted-json"
    assert {item.draft.title for item in parsed.items} == {"Router", "Visa", "Me", "Note", "Key"}
    with pytest.raises(WrongPassword):
        read(path, lambda prompt: "not it")
    # A changed byte of the ciphertext is found by the MAC before anything is decrypted.
    iv, body, mac = wrapper["data"][2:].split("|")
    flipped = body[:10] + ("A" if body[10] != "A" else "B") + body[11:]
    path.write_text(json.dumps({**wrapper, "data": f"2.{iv}|{flipped}|{mac}"}))
    with pytest.raises(ImportFailed, match="changed after it was written"):
        read(path, lambda prompt: "export password")


def test_an_encrypted_export_that_asks_for_absurd_work_is_refused_before_any(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bomb.json"
    path.write_text(
        json.dumps(
            {
                "encrypted": True,
                "passwordProtected": True,
                "salt": "x",
                "kdfType": 1,
                "kdfIterations": 3,
                "kdfMemory": 1_000_000,
                "kdfParallelism": 4,
                "encKeyValidation_DO_NOT_EDIT": "2.a|b|c",
                "data": "2.a|b|c",
            }
        )
    )
    with pytest.raises(ImportFailed, match="outside"):
        read(path, no_password)


def test_an_account_restricted_bitwarden_export_says_how_to_export_instead(
    tmp_path: Path,
) -> None:
    restricted = {
        "encrypted": True,
        "encKeyValidation_DO_NOT_EDIT": "2.a|b|c",
        "folders": [],
        "items": [{"type": 1, "name": "2.a|b|c", "login": {"password": "2.a|b|c"}}],
    }
    with pytest.raises(ImportFailed, match="locked to the Bitwarden account that made it"):
        parse(tmp_path, "restricted.json", json.dumps(restricted))


def test_bitwarden_csv(tmp_path: Path) -> None:
    text = (
        "folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,"
        "login_password,login_totp\r\n"
        'Social,1,login,Forum,"said ""hi""\nbye","PIN: 42\nColour: blue",0,'
        '"https://f.example,https://m.f.example",al,pw,JBSWY3DPEHPK3PXP\r\n'
        ",,note,Plain note,text,,0,,,,\r\n"
    )
    parsed = parse(tmp_path, "bitwarden.csv", text)
    assert parsed.format == "bitwarden-csv"
    forum = parsed.items[0].draft
    assert forum.notes == 'said "hi"\nbye'
    assert forum.fields == (CustomField("PIN", "42"), CustomField("Colour", "blue"))
    assert forum.urls == ("https://f.example", "https://m.f.example")
    assert forum.favourite
    assert forum.tags == ("Social",)
    assert parsed.items[1].draft.title == "Plain note"


def test_keepassxc_csv_ten_and_six_columns(tmp_path: Path) -> None:
    ten = (
        '"Group","Title","Username","Password","URL","Notes","TOTP","Icon","Last Modified",'
        '"Created"\n'
        '"Root/Work","Mail","al","pw","https://m","a\nb","otpauth://totp/x?secret=JBSWY3DPEHPK3PXP'
        '&period=30&digits=6","0","2024-05-01T10:00:00Z","2023-05-01T10:00:00Z"\n'
        '"Root/Recycle Bin","Gone","x","y","","","","0","2024-05-01T10:00:00Z",'
        '"2023-05-01T10:00:00Z"\n'
    )
    parsed = parse(tmp_path, "kp.csv", ten)
    assert parsed.format == "keepassxc-csv"
    mail, gone = parsed.items
    assert (mail.draft.tags, mail.draft.notes) == (("Work",), "a\nb")
    assert mail.draft.totp == "JBSWY3DPEHPK3PXP"  # the defaults: stored as the bare secret
    assert mail.created_at == datetime(2023, 5, 1, 10, tzinfo=UTC)
    assert gone.trashed_at is not None
    assert gone.draft.tags == ()
    six = '"Group","Title","Username","Password","URL","Notes"\n"Root","Old","u","p","",""\n'
    assert parse(tmp_path, "old.csv", six).items[0].draft.title == "Old"


def test_lastpass_chrome_firefox_and_1password_csv(tmp_path: Path) -> None:
    lastpass = parse(
        tmp_path,
        "lastpass.csv",
        "url,username,password,totp,extra,name,grouping,fav\r\n"
        "https://a.example,al,pw,,note text,Site A,Shopping\\Online,1\r\n"
        'http://sn,,,,"NoteType:Server\nHostname:x",Secret note,,0\r\n',
    )
    site, note = lastpass.items
    assert site.draft.tags == ("Shopping/Online",)
    assert site.draft.favourite
    assert note.draft.urls == ()
    assert note.draft.notes.startswith("NoteType:Server")
    chrome = parse(
        tmp_path,
        "Chrome Passwords.csv",
        "name,url,username,password,note\nexample.com,https://example.com/login,al,pw,hi\n",
    )
    assert chrome.format == "chrome-csv"
    assert chrome.items[0].draft.notes == "hi"
    firefox = parse(
        tmp_path,
        "logins.csv",
        '"url","username","password","httpRealm","formActionOrigin","guid","timeCreated",'
        '"timeLastUsed","timePasswordChanged"\n'
        '"https://www.example.com","al","pw",,"https://www.example.com","{abc}","1700000000000",'
        '"1700000000000","1710000000000"\n',
    )
    assert firefox.format == "firefox-csv"
    item = firefox.items[0]
    assert item.draft.title == "www.example.com"  # Firefox has no titles: the host
    assert item.created_at == datetime.fromtimestamp(1_700_000_000, UTC)
    onepassword = parse(
        tmp_path,
        "1password.csv",
        '"Title","Url","Username","Password","OTPAuth","Favorite","Archived","Tags","Notes"\n'
        '"Bank","https://bank","al","pw","","true","false","money;home","n"\n',
    )
    assert onepassword.format == "1password-csv"
    assert onepassword.items[0].draft.tags == ("money", "home")


def test_1pux(tmp_path: Path) -> None:
    data = {
        "accounts": [
            {
                "attrs": {"name": "Alice"},
                "vaults": [
                    {
                        "attrs": {"name": "Personal"},
                        "items": [
                            {
                                "uuid": "u1",
                                "favIndex": 1,
                                "createdAt": 1600000000,
                                "updatedAt": 1700000000,
                                "state": "active",
                                "categoryUuid": "001",
                                "details": {
                                    "loginFields": [
                                        {
                                            "value": "al",
                                            "designation": "username",
                                            "fieldType": "T",
                                        },
                                        {
                                            "value": "pw",
                                            "designation": "password",
                                            "fieldType": "P",
                                        },
                                    ],
                                    "notesPlain": "notes",
                                    "sections": [
                                        {
                                            "title": "Extra",
                                            "fields": [
                                                {"title": "PIN", "value": {"concealed": "99"}},
                                                {
                                                    "title": "one-time",
                                                    "value": {"totp": "JBSWY3DPEHPK3PXP"},
                                                },
                                            ],
                                        }
                                    ],
                                    "passwordHistory": [{"value": "old", "time": 1650000000}],
                                },
                                "overview": {
                                    "title": "Mail",
                                    "url": "https://mail.example",
                                    "tags": ["inbox"],
                                },
                            },
                            {
                                "item": {
                                    "trashed": True,
                                    "overview": {"title": "Gone"},
                                    "details": {},
                                }
                            },
                        ],
                    }
                ],
            }
        ]
    }
    path = tmp_path / "export.1pux"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export.attributes", "{}")
        archive.writestr("export.data", json.dumps(data))
    parsed = read(path, no_password)
    assert parsed.format == "1pux"
    mail, gone = parsed.items
    assert (mail.draft.username, mail.draft.password, mail.draft.notes) == ("al", "pw", "notes")
    assert mail.draft.tags == ("Personal", "inbox")
    assert mail.draft.fields == (CustomField("Extra: PIN", "99", True),)
    assert mail.draft.totp == "JBSWY3DPEHPK3PXP"
    assert [entry.password for entry in mail.history] == ["old"]
    assert mail.draft.favourite
    assert gone.trashed_at is not None


# -- hostile and broken files --------------------------------------------------------------------


def test_markup_and_escape_sequences_are_data(tmp_path: Path) -> None:
    hostile = f"[b]bold[/b] <script> {ESC}]52;c;ZXZpbA=={ESC}\\ {ESC}[2J"
    parsed = parse(
        tmp_path,
        "chrome.csv",
        f'name,url,username,password\n"{hostile}",https://x,"{hostile}","{hostile}"\n',
    )
    draft = parsed.items[0].draft
    assert "[b]bold[/b] <script>" in draft.title
    assert ESC not in draft.title
    assert "␛]52" in draft.title
    assert parsed.adjusted == 1


def test_a_zip_that_expands_past_the_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.core.formats.onepassword as onepassword

    monkeypatch.setattr(onepassword, "MAX_EXPANDED_BYTES", 1024 * 1024)
    path = tmp_path / "bomb.1pux"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export.data", b"\x00" * (8 * 1024 * 1024))
    assert path.stat().st_size < 64 * 1024
    with pytest.raises(ImportFailed, match="expands"):
        read(path, no_password)


def test_a_200_mb_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.write(b"name,url,username,password\n")
        handle.truncate(200 * 1024 * 1024)
    with pytest.raises(ImportFailed, match="200 MB"):
        read(path, no_password, "chrome-csv")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (bytes(range(256)) * 8, "binary|not UTF-8|not a format"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "binary|not UTF-8|not a format"),
        (b'{"items": [1, 2', "not valid JSON"),
        (b'{"items": ["not an item"]}', "item 1"),
        (b"<KeePassFile><Root><Group><Entry>", "not valid XML"),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><KeePassFile/>', "DTD"),
        (b"just some words\nand more\n", "not a format"),
    ],
)
def test_garbage_gets_one_clear_line(tmp_path: Path, content: bytes, message: str) -> None:
    with pytest.raises(ImportFailed, match=message) as refused:
        parse(tmp_path, "garbage", content)
    assert "\n" not in refused.value.message


def test_a_broken_csv_names_its_line(tmp_path: Path) -> None:
    text = 'name,url,username,password\na,https://a,u,p\nb,https://b,"u,p\n'
    with pytest.raises(ImportFailed, match="line 3"):
        parse(tmp_path, "broken.csv", text)


def test_bom_utf16_and_crlf_from_a_spreadsheet(tmp_path: Path) -> None:
    text = 'name,url,username,password\r\nCafé ☕,https://c,u,"p,""q"""\r\n'
    for encoded in (
        codecs.BOM_UTF8 + text.encode("utf-8"),
        codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
    ):
        parsed = parse(tmp_path, "sheet.csv", encoded)
        assert parsed.format == "chrome-csv"
        assert (parsed.items[0].draft.title, parsed.items[0].draft.password) == ("Café ☕", 'p,"q"')
    with pytest.raises(ImportFailed, match="UTF-8"):
        parse(tmp_path, "latin1.csv", text.replace("☕", "").encode("latin-1"))


def test_values_the_form_refuses_are_kept_not_lost(tmp_path: Path) -> None:
    title = "T" * 300
    parsed = parse(
        tmp_path,
        "chrome.csv",
        f"name,url,username,password\n{title},https://x,u,p\n,https://host.example/login,u,p\n",
    )
    long_one, nameless = parsed.items
    assert len(long_one.draft.title) == 200
    assert title in long_one.draft.notes
    assert nameless.draft.title == "host.example"


def test_a_custom_field_named_like_a_keepass_string_is_kept_under_another_name(
    tmp_path: Path,
) -> None:
    fields = (CustomField("Password", "not the password"), CustomField("otp", "x", True))
    (entry,) = _exported([ItemDraft("Item", password="real", fields=fields)], [False], [[]])
    path = tmp_path / "out.xml"
    path.write_text(FORMATS["keepass-xml"]([entry]))
    (item,) = read(path, no_password).items
    assert item.draft.password == "real"
    assert item.draft.fields == (
        CustomField("Password (field)", "not the password"),
        CustomField("otp (field)", "x", True),
    )


def test_a_kdbx_without_keepassxc_cli_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no keepassxc-cli, no gpg
    path = tmp_path / "vault.kdbx"
    path.write_bytes(b"\x03\xd9\xa2\x9a\x67\xfb\x4b\xb5" + b"\x00" * 100)
    with pytest.raises(ImportFailed, match=r"needs keepassxc-cli.*export from KeePassXC as XML"):
        read(path, no_password)
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / ".gpg-id").write_text("key\n")
    with pytest.raises(ImportFailed, match="needs gpg"):
        read(tmp_path / "store", no_password)


def test_detect_finds_each_format(tmp_path: Path) -> None:
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / ".gpg-id").write_text("key\n")
    assert detect(tmp_path / "store") == "pass"
    (tmp_path / "x.kdbx").write_bytes(b"\x03\xd9\xa2\x9a\x67\xfb\x4b\xb5" + b"\x00" * 100)
    assert detect(tmp_path / "x.kdbx") == "kdbx"


# -- export, then import: nothing lost ------------------------------------------------------------

# Text any field may hold: everything the form accepts but for what XML 1.0 cannot carry at all
# (lone surrogates, U+FFFE, U+FFFF), which no export format can write.
_TEXT = st.text(
    st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufffe\uffff"),
    max_size=30,
)
_NOTES = st.lists(_TEXT, max_size=3).map("\n".join)
_SEGMENT = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zs"), blacklist_characters=",;/\ufffe\uffff"),
    min_size=1,
    max_size=8,
)
_TAG = st.lists(_SEGMENT, min_size=1, max_size=3).map("/".join)
_FIELD_NAME = _SEGMENT.filter(lambda name: name not in KEEPASS_NAMES and name.strip() == name)
_FIELDS = st.lists(
    st.builds(CustomField, _FIELD_NAME, _NOTES, st.booleans()),
    max_size=4,
    unique_by=lambda field: field.name,
)
_TOTP = st.sampled_from(["", "JBSWY3DPEHPK3PXP", TOTP_EIGHT_DIGITS])
_DRAFT = st.builds(
    ItemDraft,
    title=_TEXT.filter(lambda title: title.strip() != ""),
    username=_TEXT,
    password=_TEXT,
    urls=st.lists(_SEGMENT, max_size=3).map(tuple),
    notes=_NOTES,
    tags=st.lists(_TAG, max_size=3, unique=True).map(tuple),
    totp=_TOTP,
    favourite=st.booleans(),
    fields=_FIELDS.map(tuple),
)


def _exported(
    drafts: list[ItemDraft], trashed: list[bool], histories: list[list[str]]
) -> list[Exported]:
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    entries = []
    for number, (draft, in_trash, old) in enumerate(zip(drafts, trashed, histories, strict=True)):
        clean = validate(draft)
        item = Item(
            number + 1,
            1,
            clean.title,
            clean.username,
            clean.urls,
            clean.tags,
            clean.favourite,
            updated_at=now,
            deleted_at=now if in_trash else None,
            secrets=SecretFields(clean.password, clean.notes, clean.totp),
            extra=CustomFields(clean.fields),
        )
        # As the vault keeps it: each earlier password differs from the one after it.
        kept, newer = [], clean.password
        for password in old:
            if password and password != newer:
                kept.append(password)
                newer = password
        history = [HistoryEntry(password, now) for password in kept]
        entries.append(Exported(item, history, created_at=now))
    return entries


def _as_read(entries: list[Exported], *, favourites: bool = True) -> list[tuple[object, ...]]:
    return [
        (
            entry.item.draft() if favourites else replace(entry.item.draft(), favourite=False),
            entry.trashed,
            [old.password for old in entry.history],
        )
        for entry in entries
    ]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    drafts=st.lists(_DRAFT, min_size=1, max_size=4),
    data=st.data(),
    format_name=st.sampled_from(["bitwarden-json", "keepass-xml", "bitwarden-encrypted-json"]),
)
def test_export_then_import_loses_nothing(
    tmp_path_factory: pytest.TempPathFactory,
    drafts: list[ItemDraft],
    data: st.DataObject,
    format_name: str,
) -> None:
    """Any items, written by an export and read back by the import of the same format, come
    back as they were: every field, custom fields, tags, TOTP, history and the trash (KeePass
    has no favourite mark)."""
    trashed = data.draw(st.lists(st.booleans(), min_size=len(drafts), max_size=len(drafts)))
    histories = data.draw(
        st.lists(
            st.lists(_SEGMENT, max_size=2, unique=True), min_size=len(drafts), max_size=len(drafts)
        )
    )
    entries = _exported(drafts, trashed, histories)
    path = tmp_path_factory.mktemp("round") / "export"
    if format_name == "bitwarden-encrypted-json":
        path.write_text(bitwarden_encrypted_json(entries, "the file's password", Kdf(PBKDF2, 5000)))
        parsed = read(path, lambda prompt: "the file's password")
    else:
        path.write_text(FORMATS[format_name](entries))
        parsed = read(path, no_password)
    assert not parsed.skipped
    got = [
        (item.draft, item.trashed_at is not None, [old.password for old in item.history])
        for item in parsed.items
    ]
    expected = _as_read(entries, favourites=format_name != "keepass-xml")
    if format_name == "keepass-xml":  # KeePass writes groups in turn: the order of items is its
        got, expected = sorted(got, key=repr), sorted(expected, key=repr)
    assert got == expected
