"""The `strongroom` command (and `python -m app`).

Only ``os`` and ``sys`` are imported at first: a read command may be answered by the agent
(app.cli.quick) before argparse, the settings or anything else is loaded.
"""

from __future__ import annotations

import os
import sys

# Not typing.TYPE_CHECKING: importing typing (and the re, enum and collections it pulls in)
# would cost a warm `strongroom get` a third of its time (see app/core/deferrals.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    import logging
    from pathlib import Path

    from app.core.config import Settings


def disable_core_dumps() -> None:
    """A crash must not leave the vault key in a core file (KeePassXC does the same)."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            pr_set_dumpable = 4
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_dumpable, 0, 0, 0, 0)
        except (OSError, AttributeError):
            pass


def check_folders(settings: Settings) -> None:
    """Strongroom's folders must be the user's and writable by nobody else, and the files it
    appends to must not be symbolic links (which would send its logs, and chmods, elsewhere)."""
    from app.core.config import ConfigError
    from app.core.files import tamper_problem

    for folder in (settings.config_dir, settings.data_dir):
        if not folder.exists():
            continue
        status = folder.stat()
        if hasattr(os, "geteuid") and status.st_uid != os.geteuid():
            raise ConfigError(f"The folder {folder} belongs to another user; it was not used.")
        if status.st_mode & 0o022:
            raise ConfigError(
                f"The folder {folder} could be changed by other users; chmod 700 {folder}"
            )
    for path in (settings.log_path, settings.security_log_path):
        if path.is_symlink() or path.exists():
            problem = tamper_problem(path.lstat())
            if problem is not None:
                raise ConfigError(f"{path} {problem}, so Strongroom will not write to it.")


def configure_logging(log_path: Path) -> logging.Handler:
    """Errors go to an owner-only file; never to the terminal the app or a command is
    drawing on. Strongroom's own log from INFO; other libraries' warnings and errors (such as
    SQLAlchemy's, when a Ctrl+C lands in a rollback) too, without their messages' values or
    their errors' text, instead of logging's fallback to standard error. The handler, on the
    root logger."""
    import logging

    from app.core.files import make_private_dir
    from app.core.logs import WithoutMessages

    make_private_dir(log_path.parent)
    flags = os.O_CREAT | os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(log_path, flags, 0o600)
    os.fchmod(fd, 0o600)
    handler = logging.StreamHandler(os.fdopen(fd, "a", encoding="utf-8"))
    handler.setFormatter(WithoutMessages("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    logging.getLogger("strongroom").setLevel(logging.INFO)
    # A log that cannot be written (a full disk) is not reported on the terminal: logging's
    # report prints the record, its error's text included. Python's warnings go to the log.
    logging.raiseExceptions = False
    logging.captureWarnings(True)
    return handler


# Textual's debugging outlets record every message the app handles, keystrokes and the values
# of password fields included: a log file (TEXTUAL_LOG) and the devtools console (TEXTUAL=devtools
# or debug, over a local port that any user of the machine could be listening on).
TEXTUAL_OUTLETS = ("devtools", "debug")


def close_textual_outlets() -> None:
    """Switch Textual's debug log and devtools off before Textual reads its environment, and
    say so: nothing typed into Strongroom may be written there."""
    features = [part.strip() for part in os.environ.get("TEXTUAL", "").split(",")]
    kept = [part for part in features if part and part not in TEXTUAL_OUTLETS]
    if os.environ.pop("TEXTUAL_LOG", None) is not None or len(kept) < len(
        [f for f in features if f]
    ):
        print(
            "strongroom: Textual's debug log and devtools are off: they would record what "
            "you type.",
            file=sys.stderr,
        )
    if kept:
        os.environ["TEXTUAL"] = ",".join(kept)
    else:
        os.environ.pop("TEXTUAL", None)


def forget_pinned_size() -> None:
    """Draw at the terminal's own size and follow it when it changes: COLUMNS and LINES
    exported by a shell (or left by a parent program) would pin the app at their size, since
    Textual asks the environment before the terminal, after a resize too."""
    if sys.stdout.isatty():
        for name in ("COLUMNS", "LINES"):
            os.environ.pop(name, None)
            os.unsetenv(name)


# The options a plain launch of the app may carry, each with one value (see plain_launch).
LAUNCH_OPTIONS = ("--config-dir", "--data-dir")


def plain_launch(words: list[str]) -> dict[str, str] | None:
    """A launch of the app with only ``--config-dir``/``--data-dir`` (spelt out in full, each
    with a value that is not an option): their values, read without building every command's
    parser (a tenth of that launch's start-up). Anything else, ``--help`` and mistakes
    included, is None: the full parser reads it, with its own messages."""
    values: dict[str, str] = {}
    rest = iter(words)
    for word in rest:
        name, equals, value = word.partition("=")
        if name not in LAUNCH_OPTIONS:
            return None
        if not equals:
            value = next(rest, "")
            if not value or value.startswith("-"):
                return None
        values[name] = value
    return values


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    import argparse

    launch = plain_launch(sys.argv[1:] if argv is None else argv)
    if launch is not None:
        from pathlib import Path

        def option(name: str) -> Path | None:
            return Path(launch[name]) if name in launch else None

        return argparse.Namespace(
            config_dir=option("--config-dir"), data_dir=option("--data-dir"), command=None
        )
    from app.cli.parser import build_parser

    return build_parser().parse_args(argv)


def prepare(args: argparse.Namespace) -> Settings:
    """Everything before the first frame: the umask, the settings, the folders, the log."""
    from app.core.config import load_settings

    os.umask(0o077)  # whatever Strongroom creates is the user's alone
    settings = load_settings(config_dir=args.config_dir, data_dir=args.data_dir)
    check_folders(settings)
    configure_logging(settings.log_path)
    return settings


def main(argv: list[str] | None = None) -> int:
    """`strongroom`: the app, or a command; Ctrl+C while it starts ends it without a trace."""
    sys.unraisablehook = quiet_about_interrupts
    try:
        return start(argv)
    except KeyboardInterrupt:
        pass
    except Exception as error:
        if not interrupted(error):
            raise
    print("", file=sys.stderr)
    return 130


def quiet_about_interrupts(unraisable: sys.UnraisableHookArgs) -> None:
    """Ctrl+C landing in a callback Python runs on its own (the import system's, as a module
    loads) is "ignored" by Python, which prints a traceback: here quietly. The command goes on
    as if the key had come a moment later. (Raised again from here, the interrupt would land in
    this hook, where Python ignores it in turn.)"""
    if not isinstance(unraisable.exc_value, KeyboardInterrupt):
        sys.__unraisablehook__(unraisable)


def interrupted(error: BaseException) -> bool:
    """Whether a KeyboardInterrupt is behind ``error``: Ctrl+C landing inside an import can
    come out as another error (a RuntimeError from a class being made, say) caused by it."""
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


def git_credential() -> int:
    """`git-credential-strongroom ACTION`, which git runs for ``credential.helper = strongroom``:
    `strongroom git-credential ACTION`, with any global options given before the action
    (``credential.helper = 'strongroom --config-dir DIR'``)."""
    words = sys.argv[1:]
    argv = [*words[:-1], "git-credential", *words[-1:]]
    return main(argv)


def start(argv: list[str] | None) -> int:
    from app.cli import quick

    words = sys.argv[1:] if argv is None else argv
    handed = quick.handoff(words)
    if handed is None and "run" in words:
        from app.cli.commands.run import handoff as run_warm

        handed = run_warm(words)
    if handed is not None:
        return handed

    # From here, standard output that cannot be written (a full disk, a reader gone, and what
    # is still buffered as the command ends) is one line, never a traceback.
    quick.guard()
    try:
        try:
            return begin(argv)
        finally:
            quick.finish()
    except quick.OutputFailed as failure:
        return quick.failed(failure.error)


def begin(argv: list[str] | None) -> int:
    """The command, or the app, once no agent answered it."""
    from app.cli import quick
    from app.core.config import ConfigError

    args = parse_args(argv)
    try:
        settings = prepare(args)
    except ConfigError as error:
        print(f"strongroom: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"strongroom: cannot create {error.filename}: {error.strerror}", file=sys.stderr)
        return 2
    disable_core_dumps()
    if args.command:
        from app.cli.main import run

        return run(args, settings)

    quick.unguard()  # the app draws on standard output itself
    close_textual_outlets()
    forget_pinned_size()
    from app.core.memory import collector_paused

    # Everything start-up loads (Textual, the screens) lives as long as the process and is in
    # no reference cycle: left on, the collector walked it all again each time it grew, a tenth
    # of the time to the first frame. Frozen on the way out (see app.core.memory).
    with collector_paused():
        from app.factory import make_app

        app = make_app(settings)
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
