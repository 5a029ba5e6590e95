"""`strongroom COMMAND`: the vault from scripts, on the same services as the full-screen app.

No Textual here: a command imports the settings, the services it needs and nothing else. The
package reads top down, each module importing only those below it (pyproject.toml's layers
contract holds it so):

- :mod:`~app.cli.main`: run a parsed command in this process, and start the agent after it;
- :mod:`~app.cli.agent`: the warm process that answers read commands for later ones;
- :mod:`~app.cli.table`: every command, what it needs, and whether the agent may answer it;
- :mod:`~app.cli.commands`: the commands, one module per family;
- :mod:`~app.cli.access`: unlocking the vault and finding the item a query names;
- the leaves: :mod:`~app.cli.context` (what a command runs with), :mod:`~app.cli.exits` (exit
  codes), :mod:`~app.cli.prompts` (the terminal and standard input), :mod:`~app.cli.parser`,
  :mod:`~app.cli.quick` (the hand-off to a running agent, before anything heavy is imported)
  and :mod:`~app.cli.completion`.

This file imports nothing: ``app.cli.quick`` is the whole of a warm `strongroom get`.
"""
