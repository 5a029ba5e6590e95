"""Every command: the function that runs it, and what it needs.

The entry point (:mod:`app.cli.main`) and the agent (:mod:`app.cli.agent`) both dispatch through
this table, so a command runs the same code wherever it runs. ``agent`` marks the read commands
a warm agent may answer: they never prompt when given ``--no-input`` and never write. The
hand-off client (:mod:`app.cli.quick`) keeps its own copy of those names, as it must load
before anything else; a test holds the two equal.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

from app.cli.commands import (
    account,
    device,
    git,
    health,
    log,
    read,
    run,
    ssh,
    tools,
    transfer,
    write,
)
from app.cli.context import Context
from app.cli.exits import Exit, reported
from app.core.errors import UserError


@dataclass(frozen=True)
class Command:
    run: Callable[[argparse.Namespace, Context], int]
    agent: bool = False  # the agent may answer it (a read that never prompts)


COMMANDS: dict[str, Command] = {
    "get": Command(read.get, agent=True),
    "ls": Command(read.ls, agent=True),
    "totp": Command(read.totp, agent=True),
    "show": Command(read.show),
    "status": Command(device.status, agent=True),
    "add": Command(write.add),
    "edit": Command(write.edit),
    "rm": Command(write.rm),
    "import": Command(transfer.import_file),
    "export": Command(transfer.export),
    "health": Command(health.health),
    "git-credential": Command(git.git_credential),
    "run": Command(run.run),
    "inject": Command(run.inject),
    "lock": Command(device.lock),
    "unlock": Command(device.unlock),
    "logout": Command(device.logout),
    "register": Command(account.register),
    "login": Command(account.login),
    "secret-key": Command(account.secret_key),
    "log": Command(log.log),
    "generate": Command(tools.generate),
    "completion": Command(tools.completion),
    "ssh": Command(ssh.ssh),
    "db": Command(tools.upgrade_database),
}

AGENT_COMMANDS = frozenset(name for name, command in COMMANDS.items() if command.agent)


def run_command(args: argparse.Namespace, ctx: Context) -> int:
    """One parsed command on ``ctx`` (here, or in the agent): its exit code; a failure is one
    line on standard error."""
    try:
        return COMMANDS[args.command].run(args, ctx)
    except (Exit, UserError) as error:
        return reported(error)
