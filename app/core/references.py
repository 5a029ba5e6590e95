"""Secret references: ``sr://ITEM/FIELD`` in an environment value or a template.

ITEM names an item as ``strongroom get``'s query does (a title, words to search for, or
``id:N``); FIELD is a built-in field (password, username, url, notes, totp, title) or a custom
field's name. A ``/``, a ``%`` or a space inside either is written percent-encoded (``%2F``,
``%25``, ``%20``), as in a URL. In the environment, a value is a reference only when the whole
value is one; in a template, each ``{{ sr://ITEM/FIELD }}`` is. Pure: no I/O.
"""

from __future__ import annotations

SCHEME = "sr://"
MAX_REFERENCE = 4096  # characters of one reference: an item's title is far shorter
MAX_REFERENCES = 1000  # distinct references one environment or template may hold

# No module-level regular expression, dataclass or typing: a warm `strongroom run` imports
# this before anything else (see app/cli/commands/run.py), and `re` alone would cost it 10 ms.
TEMPLATE = r"\{\{[ \t]*(sr://[^\s{}]*)[ \t]*\}\}"
OPENING = r"\{\{[ \t]*sr://"
HEX = "0123456789abcdefABCDEF"
NAME_START = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"


class ReferenceError(ValueError):
    """A value that starts like a reference but is not one, said in one line; ``reason``,
    what is wrong without the text (for where the text must not be shown)."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message


class Reference:
    """One reference: ``item`` (the query) and ``field``, decoded; ``text``, as written."""

    __slots__ = ("field", "item", "text")

    def __init__(self, item: str, field: str, text: str) -> None:
        self.item, self.field, self.text = item, field, text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Reference) and (self.item, self.field, self.text) == (
            other.item,
            other.field,
            other.text,
        )

    def __hash__(self) -> int:
        return hash((self.item, self.field, self.text))

    def __repr__(self) -> str:
        return f"Reference({self.item!r}, {self.field!r}, {self.text!r})"

    def __str__(self) -> str:
        """As an error names it (a long one shortened)."""
        return self.text if len(self.text) <= 80 else self.text[:77] + "..."


def _decode(part: str, what: str, text: str) -> str:
    """``part`` with each ``%XX`` made the byte it names, read as UTF-8."""
    pieces = part.split("%")
    data = bytearray(pieces[0].encode("utf-8", "surrogatepass"))
    for piece in pieces[1:]:
        if len(piece) < 2 or piece[0] not in HEX or piece[1] not in HEX:
            reason = f"a % in the {what} is not followed by two hex digits."
            raise ReferenceError(f"{text}: {reason}", reason)
        data.append(int(piece[:2], 16))
        data += piece[2:].encode("utf-8", "surrogatepass")
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError:
        reason = f"the {what}'s percent-encoding is not UTF-8."
        raise ReferenceError(f"{text}: {reason}", reason) from None
    if not decoded.strip():
        reason = f"the {what} is empty."
        raise ReferenceError(f"{text}: {reason}", reason)
    if "\0" in decoded:
        reason = f"the {what} holds a NUL character."
        raise ReferenceError(f"{text}: {reason}", reason)
    return decoded


def parse(text: str) -> Reference | None:
    """The reference ``text`` is, or None when it is not one (it does not start with
    ``sr://``); ReferenceError when it starts so but is malformed."""
    if not text.startswith(SCHEME):
        return None
    shown = text if len(text) <= 80 else text[:77] + "..."
    if len(text) > MAX_REFERENCE:
        reason = f"over {MAX_REFERENCE} characters."
        raise ReferenceError(f"{shown}: {reason}", reason)
    path = text[len(SCHEME) :]
    item, slash, field = path.partition("/")
    if not slash or "/" in field:
        reason = "not sr://ITEM/FIELD (a / inside ITEM or FIELD is written %2F)."
        raise ReferenceError(f"{shown}: {reason}", reason)
    return Reference(_decode(item, "item", shown), _decode(field, "field", shown), text)


def in_environment(environment: dict[str, str]) -> dict[str, Reference]:
    """Each variable whose whole value is a reference, and that reference. A malformed one is
    named by its variable, never by its text (a value set by mistake may be a secret)."""
    found = {}
    for name, value in environment.items():
        try:
            reference = parse(value)
        except ReferenceError as error:
            raise ReferenceError(
                f"The variable {name} starts with sr:// but is not a reference: {error.reason}"
            ) from None
        if reference is not None:
            found[name] = reference
    _count({(r.item, r.field) for r in found.values()})
    return found


def in_template(template: str) -> list[Reference]:
    """Every ``{{ sr://ITEM/FIELD }}`` of ``template``, in order (repeats included). A
    ``{{ sr://`` that does not close as one is an error, never left for a reader to find; an
    error names the line, never its text."""
    import re

    references = []
    for match in re.finditer(TEMPLATE, template):
        try:
            reference = parse(match.group(1))
        except ReferenceError as error:  # by its line, never its text
            line = template.count("\n", 0, match.start()) + 1
            raise ReferenceError(f"line {line}: {error.reason}") from None
        if reference is not None:
            references.append(reference)
    opened = len(re.findall(OPENING, template))
    if opened != len(references):
        whole = re.compile(TEMPLATE)
        line = next(
            template.count("\n", 0, match.start()) + 1
            for match in re.finditer(OPENING, template)
            if not whole.match(template, match.start())
        )
        raise ReferenceError(f"line {line}: a {{{{ sr:// that is not {{{{ sr://ITEM/FIELD }}}}.")
    _count({(r.item, r.field) for r in references})
    return references


def fill(template: str, values: dict[str, str]) -> str:
    """``template`` with each ``{{ sr://... }}`` replaced by ``values[reference text]``: one
    pass, so a value that itself looks like ``{{ sr://... }}`` is left as it is."""
    import re

    return re.sub(TEMPLATE, lambda match: values[match.group(1)], template)


def _count(distinct: set[tuple[str, str]]) -> None:
    if len(distinct) > MAX_REFERENCES:
        raise ReferenceError(f"{len(distinct)} different references: at most {MAX_REFERENCES}.")


def parse_env_file(text: str, name: str) -> dict[str, str]:
    """A ``.env`` file's variables: ``NAME=VALUE`` a line (``export`` in front allowed), blank
    lines and ``#`` comments skipped, a value in matching single or double quotes taken as it
    is between them, an unquoted one up to a `` #`` comment. ReferenceError names the first
    line that is none of these, or whose value starts with ``sr://`` but is not a reference (by
    number only: a line may hold a secret, so neither it nor its value is shown)."""
    found = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export ") or line.startswith("export\t"):
            line = line[7:].lstrip()
        variable, equals, value = line.partition("=")
        variable, value = variable.strip(), value.strip()
        if not equals or not _a_name(variable):
            raise ReferenceError(f"{name} line {number}: not NAME=VALUE.")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif value[:1] in ("'", '"'):
            raise ReferenceError(f"{name} line {number}: a quote that does not close.")
        else:
            value = value.split(" #", 1)[0].rstrip()
        try:
            parse(value)
        except ReferenceError as error:
            raise ReferenceError(
                f"{name} line {number}: an sr:// value that is not a reference: {error.reason}"
            ) from None
        found[variable] = value
    return found


def _a_name(text: str) -> bool:
    """An environment variable's name: ASCII letters, digits and _, not starting with a digit."""
    return (
        bool(text)
        and text[0] in NAME_START
        and all(c in NAME_START or (c.isdigit() and c.isascii()) for c in text)
    )
