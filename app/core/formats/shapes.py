"""Reading a hostile file's structure: JSON within bounds, each value of the type expected,
and a zip's one member without trusting what the archive says of itself.

An export is data made by someone else. Its JSON may nest without end, hold millions of empty
objects, a list where a name belongs, or a number with thousands of digits; its zip may state
one size and expand to another, or name a member ``../../x``. Each of these is refused with one
line that says where, before it costs more than the file's own size several times over.
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from typing import Any

from app.core.formats import MAX_ENTRIES, MAX_FILE_BYTES, ImportFailed

# Every JSON value but the first follows a comma or opens an object or list: counting those
# characters (strings' own commas too, so never fewer) bounds the objects a parse would build
# before it builds any. A Bitwarden or 1Password item is a few dozen values: 80 per entry.
MAX_JSON_VALUES = 80 * MAX_ENTRIES
# Each element of a KeePass export is an object of its own: a KeePass entry is some sixty tags.
MAX_XML_TAGS = 60 * MAX_ENTRIES
# A KeePass export has a few attributes an entry (Protected="True" on a value); the parser
# builds a dict of every one, so they are counted too: each "=" is at most one attribute.
MAX_XML_ATTRIBUTES = 20 * MAX_ENTRIES
MAX_ZIP_MEMBERS = 10_000  # a .1pux holds export.data, export.attributes and its attachments
MAX_ZIP_RATIO = 200  # JSON deflates ten or twenty times; a bomb a thousand
_RATIO_FROM = 1024 * 1024  # a small member may be all one byte: ratios count past a megabyte
_CHUNK = 1024 * 1024
_SHOWN = 60  # characters of a name quoted in a message


def quoted(name: str) -> str:
    """A name from the file, quoted for a message and cut to a length a line can hold."""
    return repr(name if len(name) <= _SHOWN else name[: _SHOWN - 1] + "…")


def load_json(text: str, name: str) -> Any:
    """The JSON document ``text``, or ImportFailed when it is not JSON or holds more values,
    or nests deeper, than any export does."""
    values = text.count(",") + text.count("{") + text.count("[")
    if values > MAX_JSON_VALUES:
        raise ImportFailed(
            f"{name} holds more than {MAX_JSON_VALUES:,} JSON values; an export of "
            f"{MAX_ENTRIES:,} items holds fewer. Is this the right file?"
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportFailed(
            f"{name} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."
        ) from None
    except RecursionError:
        raise ImportFailed(f"{name} nests its JSON deeper than any export does.") from None
    except ValueError:  # a number of more digits than Python converts
        raise ImportFailed(f"{name} holds a number too long to be an export's.") from None


def check_markup(text: str, name: str) -> None:
    """ImportFailed when the XML ``text`` has more tags, or more attributes, than an export of
    MAX_ENTRIES entries, before a parser builds an object for each."""
    if text.count("<") > MAX_XML_TAGS:
        raise ImportFailed(
            f"{name} holds more than {MAX_XML_TAGS:,} XML tags; an export of {MAX_ENTRIES:,} "
            "entries holds fewer. Is this the right file?"
        )
    if text.count("=") > MAX_XML_ATTRIBUTES:
        raise ImportFailed(
            f"{name} holds more than {MAX_XML_ATTRIBUTES:,} XML attributes (or = signs); an "
            f"export of {MAX_ENTRIES:,} entries holds fewer. Is this the right file?"
        )


def _kind(value: object) -> str:
    kinds = {dict: "an object", list: "a list", str: "text", bool: "true or false"}
    return kinds.get(type(value), "a number")


class Node:
    """One JSON object of the file, read field by field with the type each must have: a wrong
    type is ImportFailed naming the entry and the field, never a TypeError."""

    def __init__(self, raw: object, where: str, path: str = "") -> None:
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            what = f"field {path.rstrip('.')}" if path else "it"
            raise ImportFailed(f"{where}: {what} is {_kind(raw)}, not an object.")
        self.raw: dict[str, Any] = raw
        self.where = where
        self.path = path

    def _wrong(self, key: str, value: object, expected: str) -> ImportFailed:
        return ImportFailed(
            f"{self.where}: field {self.path}{key} is {_kind(value)}, not {expected}."
        )

    def get(self, key: str, default: object = None) -> object:
        return self.raw.get(key, default)

    def text(self, key: str) -> str:
        """The field as text: a number or flag as it reads, nothing as ''."""
        value = self.raw.get(key)
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        raise self._wrong(key, value, "text")

    def node(self, key: str) -> Node:
        return Node(self.raw.get(key), self.where, f"{self.path}{key}.")

    def listed(self, key: str) -> list[Any]:
        value = self.raw.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._wrong(key, value, "a list")
        return value

    def nodes(self, key: str) -> list[Node]:
        """The field's list of objects (a null among them is an empty one)."""
        return [
            Node(entry, self.where, f"{self.path}{key}[{number}].")
            for number, entry in enumerate(self.listed(key), 1)
        ]

    def texts(self, key: str) -> list[str]:
        return [
            Node({"": value}, self.where, f"{self.path}{key}[{number}]").text("")
            for number, value in enumerate(self.listed(key), 1)
        ]


def _unsafe(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return (
        name.startswith(("/", "\\"))
        or (len(name) > 1 and name[1] == ":")  # C:\…
        or ".." in parts
    )


def zip_member(data: bytes, member: str, name: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The expanded bytes of ``member`` in the zip ``data``, counted as they expand: refused
    when the archive has too many members or one with an absolute or ``..`` path, when the
    member states or reaches more than ``limit`` bytes, or expands past MAX_ZIP_RATIO."""
    # The central directory is read whole when the zip is opened: its entries are counted first.
    if data.count(b"PK\x01\x02") > MAX_ZIP_MEMBERS:
        raise ImportFailed(f"{name} holds more than {MAX_ZIP_MEMBERS:,} files: not an export.")
    too_big = ImportFailed(f"{name} expands to more than an import takes at once.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            for info in infos:
                if _unsafe(info.filename):
                    raise ImportFailed(
                        f"{name} holds a file named {quoted(info.filename)}, outside the "
                        "archive: not an export."
                    )
            found = [info for info in infos if info.filename == member]
            if not found:
                raise ImportFailed(f"{name} is a zip without {member}.")
            info = found[-1]  # as zipfile itself reads a name given twice
            if info.file_size > limit or info.file_size > max(
                _RATIO_FROM, info.compress_size * MAX_ZIP_RATIO
            ):
                raise too_big
            expanded = bytearray()
            with archive.open(info) as stream:
                while chunk := stream.read(_CHUNK):
                    expanded += chunk
                    if len(expanded) > limit or len(expanded) > max(
                        _RATIO_FROM, info.compress_size * MAX_ZIP_RATIO
                    ):
                        raise too_big
            return bytes(expanded)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        EOFError,
        RuntimeError,  # a member encrypted
        NotImplementedError,  # a compression this Python does not have
        ValueError,
        zlib.error,
    ) as error:
        reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise ImportFailed(f"{name} is not a readable zip: {reason}.") from None
