"""The command line's entry point: run a parsed command in this process.

``strongroom`` (app/__main__.py) has already offered a read command to a running agent
(:mod:`app.cli.quick`) and parsed the rest; here the command runs on a fresh :class:`Context`,
and after a read that found the vault unlocked, the agent starts so that the next read is
answered warm; after a command that opened a locked vault with the master password, it starts
holding that key, so that the next command does not ask again. ``strongroom agent`` is that agent.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from app.cli import agent, quick, table
from app.cli.commands import ssh_agent
from app.cli.context import Context
from app.cli.exits import DONE, INTERRUPTED, PIPE_CLOSED, UNEXPECTED, Exit, reported
from app.core.errors import UserError

if TYPE_CHECKING:
    import argparse

    from app.core.config import Settings


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the subcommand in ``args``; the exit code."""
    if args.command == "agent":
        return agent.serve(settings, held=args.held)
    if args.command == "ssh" and args.ssh_command == "agent":
        return ssh_agent.command(settings, ssh_machinery(), foreground=args.foreground)
    ctx = Context(settings)
    if settings.command_line_agent:
        ctx.warm = lambda ready=False: agent.start(settings, ready=ready)
    # Before any password is asked for: an agent started to hold the key it opens holds
    # nothing when `strongroom lock` or `logout` ran since (app.cli.agent).
    generation = quick.generation(str(settings.data_dir))
    try:
        if args.command == "run":  # as long as its program: the collector stays on
            code = table.run_command(args, ctx)
        else:
            from app.core.memory import collector_paused

            # A command of this process's life: what it loads (SQLAlchemy, the services) and
            # opens (10,000 titles) is in no cycle, so the collector walking it all again and
            # again as it grew was a tenth of a cold `get` (see app.core.memory).
            with collector_paused():
                code = table.run_command(args, ctx)
    except (Exit, UserError) as error:
        code = reported(error)
    except KeyboardInterrupt:
        print("", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`| head`): nothing more to say, and nowhere to say it.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return PIPE_CLOSED
    except quick.OutputFailed:
        raise  # standard output could not be written: said by the entry point (app.__main__)
    except Exception as error:  # a bug: its stack goes to the log, never to the terminal
        from app.core.logs import log_failure

        log_failure(f"strongroom {args.command}", error)
        print(
            f"strongroom: {args.command} stopped after an unexpected {type(error).__name__}; "
            f"the details are in {settings.log_path}.",
            file=sys.stderr,
        )
        return UNEXPECTED
    finally:
        ctx.close()
    agent_reads = settings.command_line_agent and args.command in table.AGENT_COMMANDS
    if agent_reads and code == DONE and ctx.remembered_unlocked:
        agent.start(settings)  # the next read is answered warm
        if settings.ssh_agent:
            ssh_agent.start(settings)  # the SSH agent, when config.toml asks for it
    elif settings.command_line_agent and ctx.opened is not None:
        # The master password opened a locked vault: the next command does not ask again.
        agent.start(settings, held=ctx.opened, generation=generation)
    return code


def ssh_machinery() -> ssh_agent.Machinery:
    """The command line agent's checks, for the SSH agent (app.cli.commands.ssh_agent)."""
    return ssh_agent.Machinery(
        watch=agent.Watch,
        same_user=agent.same_user,
        claim=agent.claim,
        check_seconds=agent.check_seconds(),
    )
