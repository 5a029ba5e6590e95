"""Secrets where a program needs them: ``run`` (in its environment) and ``inject`` (in a file).

Each ``sr://ITEM/FIELD`` reference (app.core.references) is read as ``strongroom get ITEM
--field FIELD`` would read it, and by the same code: a running agent answers it (its ``get``,
over the socket of app.cli.quick), else this process opens the vault (the remembered session,
or the master password typed on the terminal: never read from standard input, which is the
program's or the template's; with no terminal or ``--no-input``, exit 4). Every read is in the
security log by item id, counts toward the bulk-read limit (app.cli.access), and nothing read is
put in argv, on disk (but ``inject -o``'s owner-only file) or in a log.

A warm ``run`` starts nothing heavy: :func:`handoff` is called by the entry point before
argparse, the settings or the services load, asks the agent, and starts the program; anything
it cannot do alone (no agent, a locked vault, an option it does not know) is left to the full
command.
"""

from __future__ import annotations

import os
import sys

from app.cli import quick

TYPE_CHECKING = False  # not typing's: see app/__main__.py (a warm run loads no typing)
if TYPE_CHECKING:
    import argparse

    from app.cli.context import Context
    from app.core.accounts import ActiveSession
    from app.core.references import Reference

FILE_LIMIT = 1024 * 1024  # bytes of an env file or a template
RUN_USAGE = "Name the program to run: strongroom run [--env-file FILE]... -- COMMAND [ARGS...]."
USAGE = 2  # app.cli.exits' codes, which the warm path does not import (it pulls in typing)


class Refused(Exception):
    """What app.cli.exits.Exit says, raised where a warm run may be: one line, and details."""

    def __init__(self, code: int, message: str, details: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.code, self.message, self.details = code, message, details


def run(args: argparse.Namespace, ctx: Context) -> int:
    """`strongroom run`: the program's exit code (128 + a signal that ended it)."""
    from app.cli.exits import Exit

    program = args.program[1:] if args.program[:1] == ["--"] else args.program
    try:
        if not program:
            raise Refused(USAGE, RUN_USAGE)
        environment, references = _environment(args.env_file)
        values = resolve(args, ctx, list(references.values()), "run")
        _fill(environment, references, values)
        if ctx.remembered_unlocked and ctx.warm is not None:
            ctx.warm()  # the agent, for the next run
        ctx.close()  # the decrypted items and the database: the program may run for hours
        return _start(program, environment, list(values.values()), masking=not args.no_masking)
    except Refused as refused:
        raise Exit(refused.code, refused.message, refused.details) from None


def _start(
    program: list[str], environment: dict[str, str], secrets: list[str], *, masking: bool
) -> int:
    from app.cli.commands.child import run_program

    try:
        return run_program(program, environment, secrets, masking=masking)
    except OSError as error:
        code = 127 if isinstance(error, FileNotFoundError) else 126  # as a shell says it
        raise Refused(code, f"Cannot run {program[0]}: {error.strerror}.") from None


def _environment(env_files: list[str]) -> tuple[dict[str, str], dict[str, Reference]]:
    """This process's environment, then each env file's (a later one wins); and the variables
    whose value is a reference."""
    from app.core.references import ReferenceError, in_environment, parse_env_file

    environment = dict(os.environ)
    try:
        for name in env_files:
            environment.update(parse_env_file(read_text(name, "env file"), name))
        return environment, in_environment(environment)
    except ReferenceError as error:
        raise Refused(USAGE, str(error)) from None


def read_text(path: str, what: str) -> str:
    """A regular file's text, at most FILE_LIMIT bytes: a pipe, a device (a link to
    /dev/zero), a folder or a bigger file is refused unread, in one line (exit 2)."""
    from app.core.regular_file import NotARegularFile, read_regular_file

    try:
        data = read_regular_file(path, FILE_LIMIT)
    except NotARegularFile:
        raise Refused(
            USAGE,
            f"The {what} {path} is not a regular file (a pipe, a device or a folder); not read.",
        ) from None
    except OSError as error:
        raise Refused(USAGE, f"The {what} {path} cannot be read: {error.strerror}.") from None
    if len(data) > FILE_LIMIT:
        raise Refused(USAGE, f"The {what} {path} is over {FILE_LIMIT} bytes; not read.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(USAGE, f"The {what} {path} is not text (UTF-8).") from None


def resolve(
    args: argparse.Namespace, ctx: Context, references: list[Reference], command: str
) -> dict[str, str]:
    """Each reference's value, by its text (read once however often it is written): from the
    agent when one answers, else from the vault this process opens (once, for all of them)."""
    from app.cli.access import open_session

    values: dict[str, str] = {}
    parts = None
    if ctx.settings.command_line_agent:
        parts = quick.profile(str(ctx.settings.config_dir), str(ctx.settings.data_dir))
    session = None
    for reference in references:
        if reference.text in values:
            continue
        value = ask_agent(parts, reference) if parts is not None else None
        if value is None:
            if session is None:
                session = open_session(args, ctx, stdin=False)
            value = read_here(args, ctx, session, reference, command)
        values[reference.text] = value
    return values


def ask_agent(parts: list[str], reference: Reference) -> str | None:
    """The value a running agent reads for ``reference`` (its ``get``, which logs the read);
    None when no agent answers or it says "locked"; Refused naming the reference otherwise."""
    words = ["get", "--no-input", f"--field={reference.field}", "-n", "--", reference.item]
    answer = quick.exchange(parts, words)
    if answer is None or answer[0] == quick.LOCKED:
        return None
    code, stdout, stderr = answer
    if code == 0:
        return stdout.decode("utf-8", "surrogateescape")
    first, *details = stderr.decode("utf-8", "replace").splitlines() or [""]
    raise Refused(code, f"{reference}: {first.removeprefix('strongroom: ')}", tuple(details))


def read_here(
    args: argparse.Namespace,
    ctx: Context,
    session: ActiveSession,
    reference: Reference,
    command: str,
) -> str:
    """``reference``'s value from the vault this process opens (asking for the master
    password on the terminal only), logged by item id."""
    from app.cli.access import find, reveal
    from app.cli.commands.read import custom_field, field_value, is_secret, logged_field
    from app.cli.exits import Exit

    try:
        item = ctx.cache.find(ctx.backend, session, lambda items: find(items, reference.item))
        custom = custom_field(item, reference.field)
        value = field_value(item, reference.field, custom)
    except Exit as error:
        raise Exit(error.code, f"{reference}: {error.message}", error.details) from None
    typed = (
        reveal(args, ctx, session, item, stdin=False) if is_secret(reference.field, custom) else ""
    )
    ctx.backend.security_log().record(
        "item_read",
        session.username,
        f"item {item.id}, {logged_field(reference.field, custom)}{typed}, strongroom {command}",
    )
    return value


def inject(args: argparse.Namespace, ctx: Context) -> int:
    """`strongroom inject`: the template with every reference filled, in an owner-only file
    or on standard output (never a terminal)."""
    from pathlib import Path

    from app.cli.commands.transfer import write_out
    from app.cli.exits import DONE, USAGE, Exit
    from app.core.references import ReferenceError, fill, in_template
    from app.services.transfer import ExportTarget, write_private_file

    if args.output is None and sys.stdout.isatty():
        raise Exit(
            USAGE,
            "Not writing secrets to the terminal: name a file with -o, or redirect standard "
            "output.",
        )
    try:
        template = read_text(args.input, "template") if args.input else _standard_input()
        references = in_template(template)
        text = fill(template, resolve(args, ctx, references, "inject"))
    except ReferenceError as error:
        raise Exit(USAGE, f"{args.input or 'standard input'} {error}") from None
    except Refused as refused:
        raise Exit(refused.code, refused.message, refused.details) from None
    if args.output is None:
        write_out(text)
        return DONE
    path = Path(args.output)
    try:
        write_private_file(path, text, replace=args.force)
    except ExportTarget as refused:
        if _a_device(path):
            raise Exit(
                USAGE,
                f"Not writing secrets to {args.output}: it is a terminal or a device, not a file.",
            ) from None
        raise Exit(
            USAGE, refused.message + (" --force replaces it." if refused.exists else "")
        ) from None
    return DONE


def _a_device(path: object) -> bool:
    import stat

    try:
        mode = os.stat(str(path)).st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISBLK(mode)


def _standard_input() -> str:
    from app.cli.exits import USAGE, Exit

    data = sys.stdin.buffer.read(FILE_LIMIT + 1) if sys.stdin is not None else b""
    if len(data) > FILE_LIMIT:
        raise Exit(USAGE, f"The template on standard input is over {FILE_LIMIT} bytes; not read.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise Exit(USAGE, "The template on standard input is not text (UTF-8).") from None


def handoff(argv: list[str]) -> int | None:
    """A warm `strongroom run` (see the module), before argparse and the settings load: the
    program's exit code, or None when the full command must run (no agent, a locked vault, a
    word this does not know: ``--help``, an abbreviated option)."""
    if not sys.platform.startswith("linux"):
        return None
    options, command, rest = quick.global_options(argv)
    if command != "run":
        return None
    env_files: list[str] = []
    masking, program = True, []
    words = iter(rest)
    for word in words:
        if word == "--no-masking":
            masking = False
        elif word == "--env-file" and (value := next(words, None)) is not None:
            env_files.append(value)
        elif word.startswith("--env-file="):
            env_files.append(word.partition("=")[2])
        elif word == "--":
            program = list(words)
        elif word != "--no-input" and word.startswith("-"):
            return None
        elif word != "--no-input":
            program = [word, *words]
    if not program:
        return None
    config_dir = options.get("--config-dir") or os.environ.get("STRONGROOM_CONFIG_DIR", "")
    parts = quick.profile(
        config_dir.strip() or quick.default_folder("config"),
        options.get("--data-dir") or quick.default_folder("data"),
    )
    try:
        environment, references = _environment(env_files)
    except Refused:
        return None  # the full command says what is wrong
    values: dict[str, str] = {}
    try:
        for reference in references.values():
            if reference.text not in values:
                value = ask_agent(parts, reference)
                if value is None:
                    return None
                values[reference.text] = value
        _fill(environment, references, values)
        return _start(program, environment, list(values.values()), masking=masking)
    except Refused as refused:
        from app.core.text import visible_text

        lines = [f"strongroom: {refused.message}", *refused.details]
        sys.stderr.write("".join(visible_text(line) + "\n" for line in lines))
        return refused.code


def _fill(
    environment: dict[str, str], references: dict[str, Reference], values: dict[str, str]
) -> None:
    for name, reference in references.items():
        if "\0" in values[reference.text]:
            raise Refused(
                USAGE, f"{reference}: its value holds a NUL character, which {name} cannot carry."
            )
        environment[name] = values[reference.text]
