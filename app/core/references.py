"""Secret references: ``sr://ITEM/FIELD`` in an environment value or a template.

ITEM names an item as ``strongroom get``'s query does (a title, words to search for, or
``id:N``); FIELD is a built-in field (password, username, url, notes, totp, title) or a custom
field's name. A ``/``, a ``%`` or a space inside either is written percent-encoded (``%2F``,
``%25``, ``%20``), as in a URL. In the environment, a value is a reference only when the whole
value is one; in a template, each ``{{ sr://ITEM/FIELD }}`` is. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SCHEME = "sr://"
MAX_REFERENCE = 4096  # characters of one reference: an item's title is far shorter
MAX_REFERENCES = 1000  # distinct references one environment or template may hold

_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_TEMPLATE = re.compile(r"\{\{[ \t]*(sr://[^\s{}]*)[ \t]*\}\}")
_OPENING = re.compile(r"\{\{[ \t]*sr://")


class ReferenceError(ValueError):
    """A value that starts like a reference but is not one, said in one line."""


@dataclass(frozen=True)
class Reference:
    item: str  # the query, decoded
    field: str  # the field's name, decoded
    text: str  # as written: what an error names

    def __str__(self) -> str:
        """As an error names it (a long one shortened)."""
        return self.text if len(self.text) <= 80 else self.text[:77] + "..."


def _decode(part: str, what: str, text: str) -> str:
    from urllib.parse import unquote

    if _ESCAPE.search(part):
        raise ReferenceError(f"{text}: a % in the {what} is not followed by two hex digits.")
    try:
        decoded = unquote(part, errors="strict")
    except UnicodeDecodeError:
        raise ReferenceError(f"{text}: the {what}'s percent-encoding is not UTF-8.") from None
    if not decoded.strip():
        raise ReferenceError(f"{text}: the {what} is empty.")
    if "\0" in decoded:
        raise ReferenceError(f"{text}: the {what} holds a NUL character.")
    return decoded


def parse(text: str) -> Reference | None:
    """The reference ``text`` is, or None when it is not one (it does not start with
    ``sr://``); ReferenceError when it starts so but is malformed."""
    if not text.startswith(SCHEME):
        return None
    shown = text if len(text) <= 80 else text[:77] + "..."
    if len(text) > MAX_REFERENCE:
        raise ReferenceError(f"{shown}: over {MAX_REFERENCE} characters.")
    path = text[len(SCHEME) :]
    item, slash, field = path.partition("/")
    if not slash or "/" in field:
        raise ReferenceError(
            f"{shown}: not sr://ITEM/FIELD (a / inside ITEM or FIELD is written %2F)."
        )
    return Reference(_decode(item, "item", shown), _decode(field, "field", shown), text)


def in_environment(environment: dict[str, str]) -> dict[str, Reference]:
    """Each variable whose whole value is a reference, and that reference."""
    found = {}
    for name, value in environment.items():
        reference = parse(value)
        if reference is not None:
            found[name] = reference
    _count({(r.item, r.field) for r in found.values()})
    return found


def in_template(template: str) -> list[Reference]:
    """Every ``{{ sr://ITEM/FIELD }}`` of ``template``, in order (repeats included). A
    ``{{ sr://`` that does not close as one is an error, never left for a reader to find."""
    found = [parse(match.group(1)) for match in _TEMPLATE.finditer(template)]
    references = [reference for reference in found if reference is not None]
    opened = len(_OPENING.findall(template))
    if opened != len(references):
        line = next(
            template.count("\n", 0, match.start()) + 1
            for match in _OPENING.finditer(template)
            if not _TEMPLATE.match(template, match.start())
        )
        raise ReferenceError(f"line {line}: a {{{{ sr:// that is not {{{{ sr://ITEM/FIELD }}}}.")
    _count({(r.item, r.field) for r in references})
    return references


def fill(template: str, values: dict[str, str]) -> str:
    """``template`` with each ``{{ sr://... }}`` replaced by ``values[reference text]``: one
    pass, so a value that itself looks like ``{{ sr://... }}`` is left as it is."""
    return _TEMPLATE.sub(lambda match: values[match.group(1)], template)


def _count(distinct: set[tuple[str, str]]) -> None:
    if len(distinct) > MAX_REFERENCES:
        raise ReferenceError(f"{len(distinct)} different references: at most {MAX_REFERENCES}.")


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse_env_file(text: str, name: str) -> dict[str, str]:
    """A ``.env`` file's variables: ``NAME=VALUE`` a line (``export`` in front allowed), blank
    lines and ``#`` comments skipped, a value in matching single or double quotes taken as it
    is between them, an unquoted one up to a `` #`` comment. ReferenceError names the first
    line that is none of these (by number: a line may hold a secret, so it is not shown)."""
    found = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export ") or line.startswith("export\t"):
            line = line[7:].lstrip()
        variable, equals, value = line.partition("=")
        variable, value = variable.strip(), value.strip()
        if not equals or not _NAME.fullmatch(variable):
            raise ReferenceError(f"{name} line {number}: not NAME=VALUE.")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif value[:1] in ("'", '"'):
            raise ReferenceError(f"{name} line {number}: a quote that does not close.")
        else:
            value = value.split(" #", 1)[0].rstrip()
        found[variable] = value
    return found
