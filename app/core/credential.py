"""Git's credential-helper protocol: what git asks, which items answer it, what to reply.

Git writes ``key=value`` lines (``protocol``, ``host``, ``username``, ``password``, ``path``,
``url``, and newer keys this helper need not know) ending with a blank line or end of input; a
``get`` is answered with ``username=`` and ``password=`` lines. See git-credential(1).

An item answers a request when one of its URLs has the request's host (and port, when the
request names one): a URL saved without a scheme (``github.com``) counts as https. When git
names a username, only items with that username answer.

What git stores becomes an item marked as git's (:data:`GIT_MARK`, a custom field): only such
an item is ever changed or trashed for git; an item the person made is only read.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from app.core.items import CustomField, Item

DEFAULT_PORTS = {"http": 80, "https": 443}

# The custom field that `git credential approve` (the helper's store) puts on the items it
# makes: what git stored, and may change or trash. Anything else is the person's.
GIT_MARK = CustomField("git-credential", "stored by git")


def stored_by_git(item: Item) -> bool:
    """Whether ``item`` is one that git stored (it carries :data:`GIT_MARK`)."""
    return any(f.name == GIT_MARK.name and f.value == GIT_MARK.value for f in item.fields)


class CredentialError(ValueError):
    """A request that cannot be answered: the message says why (never a secret)."""


@dataclass(frozen=True)
class Request:
    protocol: str
    host: str  # lower-cased, with ":port" when git gave one
    username: str = ""
    password: str = ""

    @property
    def url(self) -> str:
        return f"{self.protocol}://{self.host}"


def parse_request(text: str) -> Request:
    """The attributes git sent; CredentialError without a host."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        if not line:
            break
        key, separator, value = line.partition("=")
        if separator and key not in values:
            values[key] = value
    if "url" in values and "host" not in values:
        parts = urlsplit(values["url"])
        values.setdefault("protocol", parts.scheme)
        values["host"] = parts.netloc.rpartition("@")[2]
    host = values.get("host", "").strip().lower()
    if not host:
        raise CredentialError("git sent no host.")
    return Request(
        values.get("protocol", "https").lower(),
        host,
        values.get("username", ""),
        values.get("password", ""),
    )


def _host_and_port(netloc: str, scheme: str) -> tuple[str, int | None]:
    host, _, port = netloc.rpartition("@")[2].partition(":")
    if port.isdigit():
        return host.lower(), int(port)
    return host.lower(), DEFAULT_PORTS.get(scheme)


def serves(item: Item, request: Request) -> bool:
    """Whether one of ``item``'s URLs is for the request's host (and its username, if any)."""
    if request.username and item.username != request.username:
        return False
    wanted_host, wanted_port = _host_and_port(request.host, request.protocol)
    for url in item.urls:
        parts = urlsplit(url if "://" in url else f"https://{url}")
        host, port = _host_and_port(parts.netloc, parts.scheme)
        if host == wanted_host and (port == wanted_port or ":" not in request.host):
            return True
    return False


def reply(username: str, password: str) -> str:
    """The answer to a ``get``; CredentialError when a value cannot cross the protocol."""
    for name, value in (("username", username), ("password", password)):
        if "\n" in value or "\0" in value:
            raise CredentialError(f"The item's {name} holds a line break, which git cannot take.")
    lines = [f"username={username}"] if username else []
    return "\n".join([*lines, f"password={password}"]) + "\n"
