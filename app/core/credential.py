"""Git's credential-helper protocol: what git asks, which items answer it, what to reply.

Git writes ``key=value`` lines (``protocol``, ``host``, ``path``, ``username``, ``password``,
and keys this helper need not know: ``wwwauth[]``, ``capability[]``, ``password_expiry_utc``,
``oauth_refresh_token``…, which are ignored and never repeated) ending with a blank line or end
of input; a ``get`` is answered with ``username=`` and ``password=`` lines. See
git-credential(1). A line without ``=``, a key given twice, or a protocol, host or port that
cannot be one is refused whole.

An item answers a request as git's own store (git-credential-store) matches, one URL at a time:

- the protocol is the same: an https item never answers http (nor ftp, smtp…); a URL saved
  without a scheme (``git.corp.test``) is https, and only https;
- the host is the same, compared case-insensitively in its ASCII (IDNA) form; a name whose
  ASCII form would not read back as the same name (``ß``, ``ς``, joiners: IDNA's two editions
  disagree on where those go) answers nothing;
- the port is the same, a missing port being the protocol's own (https 443, http 80, ftp 21):
  ``https://h`` is ``https://h:443``, never ``https://h:8443``. Git puts the port in ``host``;
- the path, only when git sends one (``credential.useHttpPath``): then the URL's path must be
  it, leading and trailing slashes aside;
- the username, when git names one: the item's username must be it.

The user and password part of an item's URL (``https://bob@host``) names no host and is
ignored; a URL that cannot be read (a bad port, a backslash or space before the host) answers
nothing.

What git stores becomes an item marked as git's (:data:`GIT_MARK`, a custom field): only such
an item is ever changed or trashed for git, and only one that matches exactly (:func:`exact`:
the path and username too, none matching only none); an item the person made is only read.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from app.core.items import CustomField, Item, ItemDraft

DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21}
KNOWN = ("protocol", "host", "path", "username", "password", "url")
LONGEST = 1 << 20  # a request is a few lines; this is already absurd

# The custom field that `git credential approve` (the helper's store) puts on the items it
# makes: what git stored, and may change or trash. Anything else is the person's.
GIT_MARK = CustomField("git-credential", "stored by git")

_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")
_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?")
_IPV6 = re.compile(r"\[[0-9a-f:.]+\]")
_UNREADABLE = re.compile(r"[\s\\\x00-\x1f\x7f]")


def stored_by_git(item: Item) -> bool:
    """Whether ``item`` is one that git stored (it carries :data:`GIT_MARK`)."""
    return any(f.name == GIT_MARK.name and f.value == GIT_MARK.value for f in item.fields)


def unmarked(draft: ItemDraft) -> ItemDraft:
    """``draft`` as an import adds it: a field named as :data:`GIT_MARK` is kept under
    ``git-credential (imported)`` (then ``(imported 2)``…), so that a file cannot make an item
    git's own, to be answered ahead of the person's and changed for git."""
    if all(f.name.strip() != GIT_MARK.name for f in draft.fields):
        return draft
    from dataclasses import replace

    taken = {f.name.strip() for f in draft.fields}
    fields = []
    for custom in draft.fields:
        if custom.name.strip() == GIT_MARK.name:
            name, number = f"{GIT_MARK.name} (imported)", 2
            while name in taken:
                name, number = f"{GIT_MARK.name} (imported {number})", number + 1
            taken.add(name)
            custom = replace(custom, name=name)
        fields.append(custom)
    return replace(draft, fields=tuple(fields))


class CredentialError(ValueError):
    """A request that cannot be answered: the message says why (never a secret)."""


@dataclass(frozen=True)
class Place:
    """Where a credential goes: a protocol, an ASCII host, a port, and a path ("" for none)."""

    protocol: str
    host: str
    port: int | None
    path: str = ""


@dataclass(frozen=True)
class Request:
    protocol: str
    host: str  # as git sent it, lower-cased, with ":port" when git gave one
    username: str = ""
    password: str = ""
    path: str = ""  # only with credential.useHttpPath

    @property
    def place(self) -> Place:
        place = _place(self.protocol, self.host, self.path)
        assert place is not None  # parse_request made sure
        return place

    @property
    def where(self) -> str:
        """The request as a URL, for messages and for the item git stores."""
        path = f"/{quote(self.path, safe='/:@!$&()*+,;=-._~')}" if self.path else ""
        return f"{self.protocol}://{self.host}{path}"


def parse_request(data: bytes | str) -> Request:
    """The attributes git sent; CredentialError, saying which line, when they cannot be."""
    if len(data) > LONGEST:
        raise CredentialError("git's request is over 1 MiB; nothing was done.")
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise CredentialError("git's request is not UTF-8; nothing was done.") from None
    values: dict[str, str] = {}
    for number, line in enumerate(data.split("\n"), start=1):
        if not line:
            break
        key, separator, value = line.partition("=")
        if not separator or not key or "\0" in line:
            raise CredentialError(
                f"git's request line {number} is not key=value; nothing was done."
            )
        if key not in KNOWN:
            continue  # wwwauth[], capability[], password_expiry_utc…: not this helper's
        if key in values:
            raise CredentialError(f"git's request names {key} twice; nothing was done.")
        values[key] = value
    if "url" in values:
        _from_url(values)
    protocol = values.get("protocol", "").lower()
    if not protocol:
        raise CredentialError("git sent no protocol; nothing was done.")
    if not _SCHEME.fullmatch(protocol):
        raise CredentialError("git sent a protocol that is not one; nothing was done.")
    host = values.get("host", "").lower()
    if not host:
        raise CredentialError("git sent no host; nothing was done.")
    path = values.get("path", "").strip("/")
    if "@" in host or _place(protocol, host, path) is None:
        raise CredentialError("git sent a host or port that is not one; nothing was done.")
    return Request(protocol, host, values.get("username", ""), values.get("password", ""), path)


def _from_url(values: dict[str, str]) -> None:
    """``url=`` (which `git credential` takes from a person, never from git itself) read as
    the protocol, host, path and username it holds; a key also given on its own is refused."""
    try:
        parts = urlsplit(values.pop("url"))
    except ValueError:  # an IPv6 bracket left open, or one where none goes
        raise CredentialError("git sent a url that is not one; nothing was done.") from None
    userinfo, _, host = parts.netloc.rpartition("@")
    found = {
        "protocol": parts.scheme,
        "host": host,
        "path": unquote(parts.path),
        "username": unquote(userinfo.partition(":")[0]),
    }
    for key, value in found.items():
        if value and key in values:
            raise CredentialError(f"git's request names {key} twice; nothing was done.")
        if value:
            values[key] = value


def ascii_host(name: str) -> str | None:
    """``name`` lower-cased in its ASCII form, or None when it is not a host name (or its IDNA
    form is one the two editions of IDNA could send to different places)."""
    name = unicodedata.normalize("NFC", name.lower())
    if _IPV6.fullmatch(name):
        return name
    if not name.isascii():
        try:
            encoded = name.encode("idna").decode("ascii")
            if encoded.encode("ascii").decode("idna") != name:
                return None  # ß → ss and the like: not surely the host curl would reach
        except UnicodeError:
            return None
        name = encoded.lower()
    return name if _NAME.fullmatch(name) else None


def _place(protocol: str, netloc: str, path: str) -> Place | None:
    """The place a URL's parts name, or None when they cannot be one."""
    if _UNREADABLE.search(netloc) or "/" in netloc:
        return None
    hostport = netloc.rpartition("@")[2]
    if hostport.startswith("["):
        host, bracket, rest = hostport.partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return None
        host, port = host + bracket, rest[1:]
    else:
        host, _, port = hostport.partition(":")
    name = ascii_host(host)
    if name is None:
        return None
    if not port:
        number = DEFAULT_PORTS.get(protocol)
    elif port.isascii() and port.isdigit() and 0 < int(port) < 65536:
        number = int(port)
    else:
        return None
    return Place(protocol, name, number, path.strip("/"))


def places(item: Item) -> list[Place]:
    """Where each of ``item``'s URLs points (one saved without a scheme is https); a URL that
    cannot be read is left out."""
    found = []
    for url in item.urls:
        text = url.strip()
        if "://" not in text:
            text = "https://" + text.removeprefix("//")
        try:
            parts = urlsplit(text)
        except ValueError:
            continue
        place = _place(parts.scheme, parts.netloc, unquote(parts.path))
        if place is not None:
            found.append(place)
    return found


def serves(item: Item, request: Request) -> bool:
    """Whether ``item`` may answer git's request: one of its URLs has the request's protocol,
    host and port (and path, when git sent one), and its username is git's, when git names one."""
    if request.username and item.username != request.username:
        return False
    wanted = request.place
    for place in places(item):
        if (place.protocol, place.host, place.port) != (wanted.protocol, wanted.host, wanted.port):
            continue
        if not wanted.path or place.path == wanted.path:
            return True
    return False


def exact(item: Item, request: Request) -> bool:
    """Whether ``item`` is the very one git names for a ``store`` or an ``erase``: one of its
    URLs has the request's protocol, host, port and path (none when git sent none), and its
    username is git's (none when git names none)."""
    if item.username != request.username:
        return False
    wanted = request.place
    return any(place == wanted for place in places(item))


def reply(username: str, password: str) -> str:
    """The answer to a ``get``; CredentialError when a value cannot cross the protocol."""
    for name, value in (("username", username), ("password", password)):
        if "\n" in value or "\0" in value:
            raise CredentialError(f"The item's {name} holds a line break, which git cannot take.")
    lines = [f"username={username}"] if username else []
    return "\n".join([*lines, f"password={password}"]) + "\n"
