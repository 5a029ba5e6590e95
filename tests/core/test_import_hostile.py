"""Hostile import files, each one that once crashed a reader or cost far more than its size:
every one now gets one line (ImportFailed, never the dispatch's ReaderFailed for a crash) and
costs at most a few times the file's own size in memory, measured with tracemalloc."""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import app.core.formats as formats
from app.core.formats import (
    MAX_ENTRIES,
    MAX_FILE_BYTES,
    Format,
    ImportFailed,
    Parsed,
    ReaderFailed,
    read,
)
from app.core.formats.keepass import MAX_GROUP_DEPTH
from app.core.formats.shapes import MAX_JSON_VALUES, MAX_XML_TAGS, MAX_ZIP_MEMBERS
from app.core.items import CustomField, ImportedItem, ItemDraft
from app.core.rules import MAX_FIELDS


def no_password(prompt: str) -> str:
    return ""


def refused(path: Path, format_name: str | None = None) -> str:
    """The one line a hostile file gets, from the reader itself."""
    with pytest.raises(ImportFailed) as failure:
        read(path, no_password, format_name)
    assert not isinstance(failure.value, ReaderFailed), failure.value.message
    assert "\n" not in failure.value.message
    assert len(failure.value.message) < 400
    return failure.value.message


def peak_while(work: Callable[[], object]) -> int:
    """The most memory Python held while ``work`` ran, in bytes."""
    tracemalloc.start()
    try:
        work()
    except ImportFailed:
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def pux(document: Any, *more: tuple[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        archive.writestr("export.data", json.dumps(document))
        for name, data in more:
            archive.writestr(name, data)
    return buffer.getvalue()


def vault_of(*items: Any) -> dict[str, Any]:
    return {"accounts": [{"vaults": [{"attrs": {"name": "V"}, "items": list(items)}]}]}


WRONG_TYPES = [
    # The three that printed a traceback: deep JSON, a folder named by a list, an account
    # that is a number.
    ("deep.json", b'{"items":' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nests"),
    (
        "folder.json",
        json.dumps(
            {"folders": [{"id": "f", "name": ["Work"]}], "items": [{"name": "a", "folderId": "f"}]}
        ),
        "folders[1].name is a list, not text",
    ),
    ("account.1pux", pux({"accounts": [7]}), "accounts[1] is a number, not an object"),
    # Found the same way: each field where another type was expected.
    ("folders.json", json.dumps({"folders": 5, "items": []}), "folders is a number"),
    (
        "folder-id.json",
        json.dumps({"items": [{"name": "a", "folderId": ["f"]}]}),
        "item 1 ('a'): field folderId is a list, not text",
    ),
    (
        "uris.json",
        json.dumps({"items": [{"name": "a", "login": {"uris": {"u": 1}}}]}),
        "field login.uris is an object, not a list",
    ),
    (
        "uri.json",
        json.dumps({"items": [{"name": "a", "login": {"uris": [{"uri": {}}]}}]}),
        "field login.uris[1].uri is an object, not text",
    ),
    ("digits.json", b'{"items":[{"name":"a","type":' + b"9" * 5000 + b"}]}", "number"),
    ("vaults.1pux", pux({"accounts": [{"vaults": [None, 3]}]}), "vaults[2] is a number"),
    ("items.1pux", pux({"accounts": [{"vaults": [{"items": 5}]}]}), "items is a number"),
    (
        "title.1pux",
        pux(vault_of({"overview": {"title": ["x"]}})),
        "item 1 of vault 'V': field overview.title is a list, not text",
    ),
    (
        "vault-name.1pux",
        pux({"accounts": [{"vaults": [{"attrs": {"name": {}}}]}]}),
        "attrs.name is an object",
    ),
    (
        "tags.1pux",
        pux(vault_of({"overview": {"title": "x", "tags": [["a"]]}})),
        "overview.tags[1] is a list, not text",
    ),
]


@pytest.mark.parametrize(
    ("name", "content", "says"), [pytest.param(*case, id=case[0]) for case in WRONG_TYPES]
)
def test_a_wrong_type_anywhere_is_one_line_naming_entry_and_field(
    tmp_path: Path, name: str, content: str | bytes, says: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    assert says in refused(path)


def test_a_1password_date_no_calendar_holds_is_kept_as_written(tmp_path: Path) -> None:
    path = tmp_path / "date.1pux"
    field = {"title": "Born", "value": {"date": 10**20}}
    path.write_bytes(pux(vault_of({"overview": {"title": "x"},
                                   "details": {"sections": [{"fields": [field]}]}})))  # fmt: skip
    parsed = read(path, no_password)
    assert parsed.items[0].draft.fields == (CustomField("Born", str(10**20)),)


def test_millions_of_empty_items_are_refused_before_they_are_built(tmp_path: Path) -> None:
    # 24 MB of these once took two minutes and 2 GB, and printed a line for each.
    path = tmp_path / "empty.json"
    path.write_text('{"items":[' + "{}," * (MAX_JSON_VALUES // 2) + "{}]}")
    size = path.stat().st_size
    message: list[str] = []
    peak = peak_while(lambda: message.append(refused(path)))
    assert "JSON values" in message[0]
    assert peak < 3 * size  # the bytes and the text, and no object for any value


def test_more_entries_than_an_import_takes_are_refused_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bitwarden = tmp_path / "many.json"
    bitwarden.write_text(json.dumps({"items": [{"name": "a"}] * (MAX_ENTRIES + 1)}))
    assert f"{MAX_ENTRIES + 1:,} entries" in refused(bitwarden)
    monkeypatch.setattr(formats, "MAX_ENTRIES", 10)  # every reader's count, kept as it adds
    chrome = tmp_path / "many.csv"
    chrome.write_text("name,url,username,password\n" + "a,,,p\n" * 11)
    assert "at most 10 at once" in refused(chrome)
    chrome.write_text("name,url,username,password\n" + "a,,,p\n" * 10)
    assert len(read(chrome, no_password).items) == 10


def test_a_zip_bomb_is_refused_by_its_ratio_as_it_expands(tmp_path: Path) -> None:
    path = tmp_path / "bomb.1pux"
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("export.data", "w") as member,
    ):
        for _ in range(48):
            member.write(b" " * (1024 * 1024))  # 48 MB of spaces: valid JSON around it
    path.write_bytes(buffer.getvalue())
    assert path.stat().st_size < 256 * 1024
    peak: list[int] = []
    message: list[str] = []
    peak.append(peak_while(lambda: message.append(refused(path))))
    assert "expands" in message[0]
    assert peak[0] < 8 * 1024 * 1024  # refused at its stated size: nothing expanded


def test_a_zip_that_lies_about_its_size_is_stopped_where_it_says(tmp_path: Path) -> None:
    data = bytearray(pux(vault_of({"overview": {"title": "x" * 5000}})))
    # The member's stated size, in its local header and its central directory entry, made small.
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.index(signature) + offset
        data[at : at + 4] = (100).to_bytes(4, "little")
    path = tmp_path / "liar.1pux"
    path.write_bytes(bytes(data))
    assert "zip" in refused(path)


@pytest.mark.parametrize("member", ["../escape", "/etc/passwd", "files/../../x", "C:\\x"])
def test_a_zip_member_outside_the_archive_is_refused(tmp_path: Path, member: str) -> None:
    path = tmp_path / "paths.1pux"
    path.write_bytes(pux(vault_of({"overview": {"title": "x"}}), (member, b"x")))
    assert "outside the archive" in refused(path)


def test_a_zip_of_more_members_than_an_export_has_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "members.1pux"
    path.write_bytes(
        pux(vault_of(), *((f"files/{n}", b"") for n in range(MAX_ZIP_MEMBERS)), method=0)
    )
    assert "files" in refused(path)


def test_keepass_xml_of_more_tags_than_an_export_has_is_refused_unparsed(tmp_path: Path) -> None:
    path = tmp_path / "tags.xml"
    path.write_text("<KeePassFile><Root><Group>" + "<a/>" * MAX_XML_TAGS + "</Group></Root>")
    size = path.stat().st_size
    message: list[str] = []
    peak = peak_while(lambda: message.append(refused(path)))
    assert "XML tags" in message[0]
    assert peak < 3 * size


@pytest.mark.parametrize(
    "content",
    [
        '<!DOCTYPE k [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><KeePassFile>&c;</KeePassFile>',
        '<!DOCTYPE k [<!ENTITY x SYSTEM "file:///etc/passwd">]><KeePassFile>&x;</KeePassFile>',
        '<!DOCTYPE k SYSTEM "http://127.0.0.1:9/k.dtd"><KeePassFile/>',
    ],
)
def test_keepass_xml_entities_are_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "entities.xml"
    path.write_text(content)
    assert "DTD" in refused(path)


def nested_groups(depth: int) -> str:
    """A KeePass export with ``depth`` groups nested below its root group, an entry at the
    bottom and one at the top."""
    return (
        "<KeePassFile><Root><Group>"
        + "<Group><Name>g</Name>" * depth
        + "<Entry><String><Key>Title</Key><Value>Deep</Value></String></Entry>"
        + "</Group>" * depth
        + "<Entry><String><Key>Title</Key><Value>Top</Value></String></Entry>"
        + "</Group></Root></KeePassFile>"
    )


def test_keepass_groups_nested_as_deep_as_the_limit_are_read(tmp_path: Path) -> None:
    path = tmp_path / "deep.xml"
    path.write_text(nested_groups(MAX_GROUP_DEPTH))
    parsed = read(path, no_password)
    assert [item.draft.title for item in parsed.items] == ["Top", "Deep"]
    assert parsed.items[1].draft.tags[0].startswith("g/g/")  # its group's path (cut to a tag)


@pytest.mark.parametrize("depth", [MAX_GROUP_DEPTH + 1, 5000, 200_000])
def test_keepass_groups_nested_deeper_are_refused_naming_the_limit(
    tmp_path: Path, depth: int
) -> None:
    """One level past it, past Python's recursion, and a 200,000-deep file (whose paths, each
    group's copied from its parent's, took half a minute to build)."""
    path = tmp_path / "deep.xml"
    path.write_text(nested_groups(depth))
    assert refused(path) == (
        f"deep.xml nests its groups more than {MAX_GROUP_DEPTH} levels deep; "
        "a KeePass database nests far fewer. Is this the right file?"
    )


def test_a_crash_in_a_reader_is_one_line_naming_the_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(path: Path, ask: object) -> Parsed:
        raise KeyError("a bug")

    every = formats.formats()
    chrome = every["chrome-csv"]
    every["chrome-csv"] = Format(chrome.name, chrome.label, broken)
    monkeypatch.setattr(formats, "formats", lambda: every)
    path = tmp_path / "chrome.csv"
    path.write_text("name,url,username,password\na,b,c,d\n")
    with pytest.raises(ReaderFailed) as failure:
        read(path, no_password)
    assert "Chrome" in failure.value.message
    assert "KeyError" in failure.value.message
    assert "\n" not in failure.value.message


def test_the_callers_own_exception_from_ask_passes_through(tmp_path: Path) -> None:
    class Cancelled(Exception):
        pass

    def ask(prompt: str) -> str:
        raise Cancelled

    path = tmp_path / "encrypted.json"
    path.write_text(json.dumps({"encrypted": True, "passwordProtected": True, "salt": "s",
                                "kdfType": 0, "kdfIterations": 600000, "items": []}))  # fmt: skip
    with pytest.raises(Cancelled):
        read(path, ask)


def test_fields_past_the_limit_cost_one_pass_each(monkeypatch: pytest.MonkeyPatch) -> None:
    # Naming each of many same-named fields "a (2)", "a (3)"… once took quadratic time.
    names: list[str] = []
    real = formats._free_name

    def counted(name: str, taken: set[str]) -> str:
        names.append(name)
        return real(name, taken)

    monkeypatch.setattr(formats, "_free_name", counted)
    fields = tuple(CustomField("a", "v") for _ in range(5000))
    parsed = Parsed("test")
    formats.add(parsed, ImportedItem(ItemDraft("t", fields=fields)), "item 1")
    assert len(parsed.items[0].draft.fields) == MAX_FIELDS
    assert len(names) <= MAX_FIELDS + 1
    assert parsed.items[0].draft.notes.count("a: v") == 5000 - MAX_FIELDS


def test_the_file_limit_is_the_one_stated(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    with path.open("wb") as handle:
        handle.write(b'{"items": []}')
        handle.truncate(MAX_FILE_BYTES + 1)
    assert "at most 64 MB" in refused(path)


def test_a_csv_header_of_a_million_columns_is_refused_before_any_row(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    header = "name,url,username,password," + ",".join(f"c{i}" for i in range(1_000_000))
    path.write_text(header + "\n" + "a,b,c,d\n" * 120)  # each row a dict of every column
    assert "1,000,004 columns" in refused(path)


def test_keepass_xml_of_more_attributes_than_an_export_has_is_refused_unparsed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "attributes.xml"
    attributes = " ".join(f'a{i}="x"' for i in range(1_000_001))
    path.write_text(
        "<KeePassFile><Root><Group><Name>g</Name>"
        f"<Entry {attributes}><String><Key>Title</Key><Value>t</Value></String></Entry>"
        "</Group></Root></KeePassFile>"
    )
    tracemalloc.start()
    try:
        assert "attributes" in refused(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * path.stat().st_size  # never parsed into a dict of a million
