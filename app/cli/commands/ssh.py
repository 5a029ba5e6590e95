"""``strongroom ssh``: SSH keys kept as vault items, and answering the SSH agent's approvals.

``generate`` and ``import`` add a key item (app.services.ssh.key_draft), ``pubkey`` prints its
``authorized_keys`` line, ``keys`` lists them as ``ssh-add -l`` does, and ``approve`` answers
the signatures the agent waits on. ``ssh agent`` itself is the agent's (app.cli.agent), run by
the entry point. A private key's passphrase is read from the terminal (or the next line of a
piped standard input), never from argv.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from app.cli.access import open_item, open_session, record_write, vault_items
from app.cli.exits import DONE, NOT_FOUND, UNAVAILABLE, USAGE, Exit
from app.cli.prompts import read_line, read_secret
from app.core.text import visible_text

if TYPE_CHECKING:
    import argparse
    from pathlib import Path

    from app.cli.context import Context
    from app.core.accounts import ActiveSession
    from app.services.ssh import VaultKey


def ssh(args: argparse.Namespace, ctx: Context) -> int:
    run = {
        "generate": generate,
        "import": import_key,
        "pubkey": pubkey,
        "keys": keys,
        "approve": approve,
    }[args.ssh_command]
    return run(args, ctx)


def _hosts(args: argparse.Namespace) -> list[str]:
    """``--host`` values, checked: HOST or HOST:PORT (a name or an address, no user; not a
    pattern, as known_hosts and ssh_config take: ``*``, ``?``, ``!`` or a list)."""
    from urllib.parse import urlsplit

    hosts = []
    for host in args.host:
        try:
            parts = urlsplit(f"ssh://{host}")
            ok = parts.hostname is not None and parts.port != 0 and not parts.username
            ok = ok and not parts.path and not parts.query and not parts.fragment
            parts.port  # noqa: B018 (a port out of range raises here)
        except ValueError:
            ok = False
        if any(c in "*?!," for c in host):
            raise Exit(
                USAGE,
                f"--host {host!r} is a host pattern; name one host (HOST or HOST:PORT), "
                "without wildcards, negation or lists.",
            )
        if not ok or any(c.isspace() or c in "/?#@" for c in host):
            raise Exit(USAGE, f"--host {host!r} is not HOST or HOST:PORT.")
        hosts.append(host)
    return hosts


def _add(
    args: argparse.Namespace,
    ctx: Context,
    session: ActiveSession,
    title: str,
    key: object,
    how: str,
) -> int:
    from app.cli.commands.write import refuse_taken_title
    from app.core import ssh, ssh_crypto
    from app.services.ssh import key_draft

    hosts = _hosts(args)
    args.title = title
    refuse_taken_title(args, vault_items(ctx, session), None, "added (--force adds another)")
    item = ctx.backend.vault().add(session, key_draft(title, key, hosts))
    record_write(ctx, session, "item_added", item.id, how)
    blob = ssh.public_blob(key)
    print(
        f"Added {visible_text(title)!r} (id:{item.id}): {ssh.type_label(blob)} "
        f"{ssh_crypto.fingerprint(blob)}",
        file=sys.stderr,
    )
    return DONE


def generate(args: argparse.Namespace, ctx: Context) -> int:
    from app.core import ssh

    _hosts(args)  # a bad --host is said before anything is asked
    session = open_session(args, ctx)
    return _add(
        args, ctx, session, args.title, ssh.generate(args.key_type or "ed25519"), "ssh generate"
    )


def import_key(args: argparse.Namespace, ctx: Context) -> int:
    from pathlib import Path

    from app.core import ssh, ssh_crypto

    _hosts(args)
    path = Path(args.path).expanduser()
    shown = visible_text(str(path))
    raw = _key_file(path, shown, ssh.MAX_KEY_FILE)
    if len(raw) > ssh.MAX_KEY_FILE:
        raise Exit(USAGE, f"{shown} is larger than a private key file ({ssh.MAX_KEY_FILE} bytes).")
    text = raw.decode("utf-8", "replace")
    session = open_session(args, ctx)  # the master password, when asked, comes first
    try:
        key = ssh.load_private_key(text)
    except ssh_crypto.SshKeyEncrypted:
        missing = Exit(USAGE, f"No passphrase for {shown} on standard input.")
        passphrase = read_secret(f"Passphrase for {shown}: ", missing)
        try:
            key = ssh.load_private_key(text, passphrase.encode("utf-8"))
        except ssh_crypto.SshKeyUnreadable as error:
            raise Exit(USAGE, f"{shown}: {error}; nothing was added.") from None
    except ssh_crypto.SshKeyUnreadable as error:
        raise Exit(USAGE, f"{shown}: {error}; nothing was added.") from None
    return _add(args, ctx, session, args.title or path.name, key, "ssh import")


def _key_file(path: Path, shown: str, limit: int) -> bytes:
    """The key file's first ``limit`` + 1 bytes, read only when it is a regular file (see
    read_regular_file): a pipe, a device (a link to /dev/zero) or a folder is refused unread,
    in one line, as env files and templates are (app.cli.commands.run)."""
    from app.core.regular_file import NotARegularFile, read_regular_file

    try:
        return read_regular_file(path, limit)
    except NotARegularFile as refused:
        if refused.folder:
            raise Exit(USAGE, f"{shown} is a folder, not a private key file.") from None
        raise Exit(
            USAGE, f"{shown} is not a regular file (a pipe or a device); nothing was read."
        ) from None
    except FileNotFoundError:
        raise Exit(NOT_FOUND, f"No file {shown}.") from None
    except OSError as error:
        raise Exit(NOT_FOUND, f"{shown} could not be read: {error.strerror}.") from None


def _key_of(args: argparse.Namespace, ctx: Context) -> VaultKey:
    """The one key item ``args.query`` names, opened."""
    from app.core import ssh
    from app.services.ssh import vault_keys

    _, item = open_item(args, ctx)
    if not ssh.is_key_item(item):
        raise Exit(NOT_FOUND, f"{item.title!r} is not an SSH key (an item tagged {ssh.KEY_TAG!r}).")
    found, problems = vault_keys([item])
    if not found:
        why = problems[0][1] if problems else "it holds no usable key"
        raise Exit(NOT_FOUND, f"{item.title!r} holds no usable SSH key: {why}.")
    return found[0]


def pubkey(args: argparse.Namespace, ctx: Context) -> int:
    print(_key_of(args, ctx).authorized_line)
    return DONE


def keys(args: argparse.Namespace, ctx: Context) -> int:
    """A line per key item, as ``ssh-add -l`` prints them (bits, fingerprint, title, type),
    then the hosts it is bound to; a key item that cannot be used says why on stderr."""
    from app.core import ssh
    from app.services.ssh import vault_keys

    session = open_session(args, ctx)
    found, problems = vault_keys(vault_items(ctx, session))
    ctx.backend.security_log().record(
        "items_listed", session.username, f"{len(found)} ssh keys{ctx.answered_by}"
    )
    for key in found:
        bound = key.binding.names + (("host keys",) if key.binding.host_keys else ())
        hosts = f" for {', '.join(visible_text(n) for n in bound)}" if bound else ""
        title = " ".join(visible_text(key.title).split())
        print(f"{key.bits} {key.fingerprint} {title} ({ssh.type_label(key.blob)}){hosts}")
    for item, why in problems:
        print(f"strongroom: id:{item.id} {visible_text(item.title)!r}: {why}", file=sys.stderr)
    return DONE


def approve(args: argparse.Namespace, ctx: Context) -> int:
    """Each waiting signature, asked in turn (y to approve; anything else refuses)."""
    from app.cli import quick
    from app.services.ssh_approvals import decide, socket_paths, waiting

    folders = (os.path.realpath(ctx.settings.config_dir), os.path.realpath(ctx.settings.data_dir))
    path = socket_paths(quick.socket_folder(), *folders)[1]
    pending = waiting(path)
    if pending is None:
        raise Exit(UNAVAILABLE, "No SSH agent is running for this vault (strongroom ssh agent).")
    if not pending:
        print("Nothing is waiting for approval.", file=sys.stderr)
        return DONE
    for request in pending:
        print(request.question, file=sys.stderr)
        missing = Exit(USAGE, "No answer on standard input; nothing was approved.")
        answer = read_line("Approve? [y/N] ", missing)
        yes = answer.strip().casefold() in ("y", "yes")
        if not decide(path, request.number, yes):
            print("That request is no longer waiting.", file=sys.stderr)
        elif yes:
            print("Approved.", file=sys.stderr)
        else:
            print("Refused.", file=sys.stderr)
    return DONE
