"""Every import reader, fed near-valid files that hypothesis builds: each one is read into
items or refused with the readers' own one-line ImportFailed, never an exception the dispatch
has to catch for them (ReaderFailed), and never a line of more than a few hundred characters.

The strategies build what each format's files are made of (JSON trees whose fields have the
wrong types, CSV with odd quoting, BOMs and encodings, KeePass XML with odd nesting, zips with
odd members), so most examples get past the first check and reach the readers' field code."""

from __future__ import annotations

import codecs
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.formats import ImportFailed, Parsed, ReaderFailed, read
from app.core.formats.simple_csv import BITWARDEN, CHROME, FIREFOX, KEEPASSXC, LASTPASS

FUZZ = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI is deterministic
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
BITWARDEN_KEYS = ["name", "type", "login", "username", "password", "uris", "uri", "totp",
                  "notes", "fields", "value", "folderId", "id", "favorite", "card", "number",
                  "identity", "sshKey", "privateKey", "passwordHistory", "lastUsedDate",
                  "creationDate", "revisionDate", "deletedDate", "folders", "items"]  # fmt: skip
ONEPASSWORD_KEYS = ["item", "overview", "details", "title", "url", "urls", "tags",
                    "loginFields", "designation", "value", "fieldType", "sections", "fields",
                    "totp", "date", "monthYear", "address", "street", "email", "email_address",
                    "sshKey", "privateKey", "passwordHistory", "time", "notesPlain", "password",
                    "categoryUuid", "state", "trashed", "favIndex", "createdAt", "updatedAt",
                    "attrs", "name", "vaults", "items", "accounts"]  # fmt: skip


def no_password(prompt: str) -> str:
    return ""


def scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=30),
        st.sampled_from(
            [
                "",
                "2",
                "otpauth://totp/x?secret=JBSWY3DP",
                "https://a.example",
                "2024-01-01T00:00:00Z",
                "\x1b[2J",
                "username",
                "password",
            ]
        ),
    )


def trees(keys: list[str]) -> st.SearchStrategy[Any]:
    """JSON values whose objects use the format's own field names: wrong types where each is."""
    return st.recursive(
        scalars(),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.sampled_from(keys) | st.text(max_size=5), inner, max_size=6),
        ),
        max_leaves=25,
    )


def outcome(path: Path, format_name: str | None) -> Parsed | None:
    """The reader's answer; an exception other than its own one-line refusal fails the test."""
    try:
        return read(path, no_password, format_name)
    except ReaderFailed as crash:
        raise AssertionError(f"a reader crashed: {crash.message}") from None
    except ImportFailed as refused:
        assert "\n" not in refused.message
        assert len(refused.message) < 600, refused.message
        return None


@FUZZ
@given(
    items=st.lists(trees(BITWARDEN_KEYS), max_size=4),
    folders=trees(BITWARDEN_KEYS),
    top=st.dictionaries(st.sampled_from(["encrypted", "passwordProtected"]), scalars()),
)
def test_bitwarden_json(
    tmp_path: Path, items: list[Any], folders: Any, top: dict[str, Any]
) -> None:
    path = tmp_path / "bitwarden.json"
    path.write_text(json.dumps({**top, "folders": folders, "items": items}))
    outcome(path, "bitwarden-json")


def _zip(members: list[tuple[str, bytes]], deflate: bool) -> bytes:
    buffer = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


@FUZZ
@given(
    document=st.fixed_dictionaries(
        {
            "accounts": st.lists(
                st.fixed_dictionaries(
                    {
                        "vaults": st.lists(
                            st.fixed_dictionaries(
                                {
                                    "attrs": trees(ONEPASSWORD_KEYS),
                                    "items": st.lists(trees(ONEPASSWORD_KEYS), max_size=3),
                                }
                            ),
                            max_size=2,
                        )
                    }
                )
                | trees(ONEPASSWORD_KEYS),
                max_size=2,
            )
        }
    )
    | trees(ONEPASSWORD_KEYS),
    others=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "export.attributes",
                    "files/a.pdf",
                    "export.data",
                    "../x",
                    "/etc/x",
                    "C:\\x",
                    "a/../../b",
                    "files/",
                ]
            ),
            st.binary(max_size=50),
        ),
        max_size=3,
    ),
    deflate=st.booleans(),
    raw=st.booleans(),
)
def test_1pux(
    tmp_path: Path, document: Any, others: list[tuple[str, bytes]], deflate: bool, raw: bool
) -> None:
    data = json.dumps(document).encode()
    if raw:  # not quite JSON: cut, or with a byte that is not UTF-8
        data = data[: len(data) // 2] + b"\xff"
    path = tmp_path / "export.1pux"
    path.write_bytes(_zip([("export.data", data), *others], deflate))
    outcome(path, "1pux")


CSV_HEADERS = [(*BITWARDEN, "notes", "fields", "login_password", "login_totp"),
               KEEPASSXC, (*KEEPASSXC, "totp", "icon", "last modified", "created"),
               LASTPASS, CHROME, (*FIREFOX, "timecreated"),
               ("title", "url", "username", "password", "tags", "archived", "otpauth"),
               ("title", "website", "username", "password")]  # fmt: skip
CELLS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            '"',
            '""',
            ",",
            "\n",
            "\r",
            "\r\n",
            '"a"b',
            "Root/Recycle Bin/x",
            "1",
            "true",
            "1700000000000",
            "http://sn",
            "a: b\nc",
            "\x00",
            "\ufeff",
            "=cmd|' /C calc'!A0",
            "otpauth://totp/x?secret=A",
        ]
    ),
)


@FUZZ
@given(
    header=st.sampled_from(CSV_HEADERS),
    rows=st.lists(st.lists(CELLS, max_size=12), max_size=5),
    quote=st.sampled_from(["minimal", "all", "none"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"]),
    ending=st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_csv(
    tmp_path: Path,
    header: tuple[str, ...],
    rows: list[list[str]],
    quote: str,
    encoding: str,
    ending: str,
) -> None:
    def cell(text: str) -> str:
        if quote == "all" or (quote == "minimal" and any(c in text for c in ',"\r\n')):
            return '"' + text.replace('"', '""') + '"'
        return text

    lines = [",".join(header), *(",".join(cell(text) for text in row) for row in rows)]
    text = ending.join(lines) + ending
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode(encoding, "replace"))
    outcome(path, None)  # the format found from the header, as the command line does


XML_TAGS = ["KeePassFile", "Meta", "RecycleBinUUID", "Root", "Group", "Name", "UUID", "Entry",
            "String", "Key", "Value", "Tags", "Times", "CreationTime", "LastModificationTime",
            "History"]  # fmt: skip


@st.composite
def elements(draw: st.DrawFn, depth: int = 0) -> str:
    tag = draw(st.sampled_from(XML_TAGS))
    attributes = draw(
        st.sampled_from(["", ' Protected="True"', ' ProtectInMemory="True"', ' a="&lt;"'])
    )
    text = draw(st.sampled_from(["", "x", "Title", "Password", "AAAAAAAAAAA=", "&amp;",
                                 "2024-01-01T00:00:00Z", "<![CDATA[y]]>", "&#27;"]))  # fmt: skip
    children = draw(st.lists(elements(depth + 1), max_size=3)) if depth < 5 else []
    return f"<{tag}{attributes}>{text}{''.join(children)}</{tag}>"


@FUZZ
@given(
    groups=st.lists(elements(), max_size=4),
    prolog=st.sampled_from(
        [
            "",
            '<?xml version="1.0" encoding="utf-8"?>\n',
            "\ufeff",
            '<!DOCTYPE x [<!ENTITY e "e">]>',
            '<!DOCTYPE x SYSTEM "/etc/x">',
        ]
    ),
)
def test_keepass_xml(tmp_path: Path, groups: list[str], prolog: str) -> None:
    body = "".join(groups)
    text = f"{prolog}<KeePassFile><Meta/><Root><Group><Name>R</Name>{body}</Group></Root>"
    path = tmp_path / "export.xml"
    path.write_text(text + "</KeePassFile>", encoding="utf-8")
    outcome(path, "keepass-xml")


@FUZZ
@given(
    content=st.binary(max_size=200),
    bom=st.sampled_from([b"", codecs.BOM_UTF8, b"PK\x03\x04", b"{", b"<", b"\x03\xd9\xa2\x9a"]),
)
def test_any_bytes_to_the_format_finder(tmp_path: Path, content: bytes, bom: bytes) -> None:
    path = tmp_path / "export"
    path.write_bytes(bom + content)
    outcome(path, None)
