"""The commands, one module per family. Each is ``NAME(args, ctx) -> exit code``, listed with
what it needs in :mod:`app.cli.table`; a failure is raised (Exit, or a service's UserError) and
said in one line by the caller."""
