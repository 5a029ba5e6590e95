"""Shell completion for bash, zsh and fish, made from the command line's own parser.

``strongroom completion SHELL`` prints the script; the README says where each shell loads it.
Commands, options and their fixed values come from the parser, so they never drift from it.
The QUERY of ``get``, ``show``, ``totp``, ``edit`` and ``rm`` completes to item titles, read with
``strongroom ls --no-input`` (nothing when the vault is locked: completion never asks for the
master password). ``get QUERY --field`` completes to the fixed fields and to that item's custom
field names (``edit QUERY --field``, which sets a custom field, to those names alone), read
with ``strongroom show --field-names --no-input`` (names only: no value, and no prompt).
Titles and field names come from a database that others may write, so no script lets a shell
expand one: bash filters them with a plain prefix match and ``printf %q`` (never
``compgen -W``, which would run a ``$(...)`` inside a title), zsh and fish take them as literal
candidates, and the QUERY the person typed is unquoted by hand, never by ``eval``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

SHELLS = ("bash", "zsh", "fish")
TITLE_COMMANDS = ("get", "show", "totp", "edit", "rm")
TITLES = "strongroom ls --no-input 2>/dev/null | cut -f1"
FIELD_COMMANDS = ("get", "edit")  # --field completes to the item's own custom field names
FIELD_NAMES = "strongroom show --field-names --no-input -- {query} 2>/dev/null"

# bash: the QUERY typed after the command (its first word that is not an option; an ``id:N``
# that bash split at the colon is joined again), with its quotes and backslashes taken away by
# hand: a word on the command line is never given to eval.
BASH_QUERY = r"""_strongroom_query() {
    local i word query= plain= quote= c
    for (( i = 2; i < COMP_CWORD - 1; i++ )); do
        word=${COMP_WORDS[i]}
        if [[ $word == -* ]]; then
            [[ -n $query ]] && break
        else
            query+=$word
        fi
    done
    for (( i = 0; i < ${#query}; i++ )); do
        c=${query:i:1}
        if [[ -n $quote ]]; then
            if [[ $c == "$quote" ]]; then quote=; else plain+=$c; fi
        elif [[ $c == "'" || $c == '"' ]]; then
            quote=$c
        elif [[ $c == '\' ]]; then
            (( i++ )); plain+=${query:i:1}
        else
            plain+=$c
        fi
    done
    printf '%s' "$plain"
}
"""
# An argument or option naming a file (or folder): the shell's own files.
FILE_DESTS = {"file", "output", "csv", "breach_list", "two_factor_list", "input", "env_file"}


@dataclass
class Command:
    name: str
    help: str
    options: list[str] = field(default_factory=list)
    values: dict[str, list[str]] = field(default_factory=dict)  # option -> its fixed values
    arguments: list[str] = field(default_factory=list)  # a positional's fixed values
    file_options: list[str] = field(default_factory=list)  # options whose value is a file
    takes_file: bool = False  # its positional argument is a file (or folder)


def commands(parser: argparse.ArgumentParser, fields: tuple[str, ...]) -> list[Command]:
    """Every subcommand of ``parser``, with its options and their fixed values."""
    subparsers = next(
        action for action in parser._actions if isinstance(action, argparse._SubParsersAction)
    )
    helps = {choice.dest: choice.help or "" for choice in subparsers._choices_actions}
    found = []
    for name, sub in subparsers.choices.items():
        command = Command(name, helps.get(name, ""))
        for action in sub._actions:
            if action.help == argparse.SUPPRESS:
                continue  # not for people (agent --held)
            if action.dest in FILE_DESTS:
                if action.option_strings:
                    command.file_options.extend(action.option_strings)
                else:
                    command.takes_file = True
            if action.option_strings:
                command.options.extend(action.option_strings)
                choices = (
                    (fields if action.choices is None and name == "get" else None)
                    if action.dest == "field"
                    else health_kinds()
                    if action.dest == "only"
                    else action.choices
                )
                for option in action.option_strings:
                    if choices:
                        command.values[option] = [str(choice) for choice in choices]
            elif action.choices:
                command.arguments.extend(str(choice) for choice in action.choices)
        found.append(command)
    return found


def health_kinds() -> tuple[str, ...]:
    """``health --only``'s kinds (it takes several, comma-separated; each completes)."""
    from app.core.health import KINDS

    return KINDS


def script(shell: str, parser: argparse.ArgumentParser, fields: tuple[str, ...]) -> str:
    found = commands(parser, fields)
    top = [option for action in parser._actions for option in action.option_strings]
    return {"bash": _bash, "zsh": _zsh, "fish": _fish}[shell](found, top)


def _words(words: list[str]) -> str:
    """Words for a bash or zsh array: options, command names and fixed values only."""
    return " ".join(words)


def _cases(found: list[Command]) -> tuple[str, str, str]:
    """The ``case`` arms that bash and zsh share: each command's options, each option's fixed
    values, each command's fixed arguments (all set ``candidates``)."""
    options = "\n".join(
        f"        {c.name}) candidates=({_words(c.options)}) ;;" for c in found if c.options
    )
    values = "\n".join(
        f'        "{c.name} {option}") candidates=({_words(fixed)}) ;;'
        for c in found
        for option, fixed in c.values.items()
    )
    arguments = "\n".join(
        f"        {c.name}) candidates=({_words(c.arguments)}) ;;" for c in found if c.arguments
    )
    return options, values, arguments


def _bash(found: list[Command], top: list[str]) -> str:
    option_cases, value_cases, argument_cases = _cases(found)
    files = 'compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$cur")'
    file_values = "\n".join(
        f'        "{c.name} {option}") {files}; return ;;'
        for c in found
        for option in c.file_options
    )
    file_commands = "|".join(c.name for c in found if c.takes_file)
    bash_names = FIELD_NAMES.format(query='"$query"')
    return f"""# strongroom completion for bash. Load it from ~/.bashrc:
#   source <(strongroom completion bash)
# or save it as ~/.local/share/bash-completion/completions/strongroom
{BASH_QUERY}
_strongroom() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} prev=${{COMP_WORDS[COMP_CWORD-1]}}
    local command=${{COMP_WORDS[1]}} word title query
    local -a candidates=()
    COMPREPLY=()
    if (( COMP_CWORD == 1 )); then
        candidates=({_words([c.name for c in found] + top)})
    elif [[ $cur == -* ]]; then
        case $command in
{option_cases}
        esac
    else
        case "$command $prev" in
{value_cases}
{file_values}
        esac
        if [[ $command == @(get|edit) && ( $prev == --field || $prev == -f ) ]]; then
            query=$(_strongroom_query)
            # The item's field names are data: matched as plain text, quoted, never expanded.
            [[ -n $query ]] && while IFS= read -r title; do
                [[ $title == "$cur"* ]] && COMPREPLY+=("$(printf '%q' "$title")")
            done < <({bash_names})
        elif (( ${{#candidates[@]}} == 0 )); then
            case $command in
                {file_commands}) {files}; return ;;
                {"|".join(TITLE_COMMANDS)})
                    # Titles are data: matched as plain text, quoted, never expanded.
                    while IFS= read -r title; do
                        [[ $title == "$cur"* ]] && COMPREPLY+=("$(printf '%q' "$title")")
                    done < <({TITLES})
                    return ;;
{argument_cases}
            esac
        fi
    fi
    for word in "${{candidates[@]}}"; do
        [[ $word == "$cur"* ]] && COMPREPLY+=("$word")
    done
}}
complete -F _strongroom strongroom
"""


def _zsh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _zsh(found: list[Command], top: list[str]) -> str:
    described = "\n".join(
        f"        {_zsh_quote(c.name + ':' + c.help.replace(':', chr(92) + ':'))}" for c in found
    )
    option_cases, value_cases, argument_cases = _cases(found)
    file_values = "\n".join(
        f'        "{c.name} {option}") _files; return ;;'
        for c in found
        for option in c.file_options
    )
    file_commands = "|".join(c.name for c in found if c.takes_file)
    zsh_names = FIELD_NAMES.format(query="$query")
    return f"""#compdef strongroom
# strongroom completion for zsh. Load it from ~/.zshrc (after compinit):
#   source <(strongroom completion zsh)
# or save it as _strongroom in a folder of your $fpath.
_strongroom() {{
    local -a commands candidates titles
    local word query
    commands=(
{described}
    )
    if (( CURRENT == 2 )); then
        _describe command commands
        compadd -- {_words(top)}
        return
    fi
    local command=$words[2]
    if [[ $PREFIX == -* ]]; then
        case $command in
{option_cases}
        esac
    else
        case "$command ${{words[CURRENT-1]}}" in
{value_cases}
{file_values}
        esac
        if [[ $command == (get|edit) && ${{words[CURRENT-1]}} == (--field|-f) ]]; then
            for word in ${{words[3,CURRENT-2]}}; do
                if [[ $word == -* ]]; then
                    [[ -n $query ]] && break
                else
                    query+=${{(Q)word}}
                fi
            done
            # The item's field names are data: literal candidates, never expanded.
            if [[ -n $query ]]; then
                titles=(${{(f)"$({zsh_names})"}})
                compadd -a titles
            fi
        elif (( ${{#candidates}} == 0 )); then
            case $command in
                {file_commands}) _files; return ;;
                {"|".join(TITLE_COMMANDS)})
                    # Titles are data: literal candidates, never expanded.
                    titles=(${{(f)"$({TITLES})"}})
                    compadd -a titles
                    return ;;
{argument_cases}
            esac
        fi
    fi
    compadd -a candidates
}}
compdef _strongroom strongroom
"""


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fish(found: list[Command], top: list[str]) -> str:
    lines = [
        "# strongroom completion for fish. Save it as",
        "#   ~/.config/fish/completions/strongroom.fish",
        "# (strongroom completion fish > ~/.config/fish/completions/strongroom.fish)",
        "complete -c strongroom -f",
        # The QUERY after `get` or `edit` (commandline -opc took its quotes away); its fields.
        "function __strongroom_field_names",
        "    set -l after_get 0",
        "    for word in (commandline -opc)[2..-1]",
        "        if test $after_get = 1",
        "            if not string match -q -- '-*' $word",
        f"                {FIELD_NAMES.format(query='$word')}",
        "                return",
        "            end",
        "        else if contains -- $word get edit",
        "            set after_get 1",
        "        end",
        "    end",
        "end",
    ]
    for command in found:
        lines.append(
            f"complete -c strongroom -n __fish_use_subcommand -a {command.name} "
            f"-d {_fish_quote(command.help)}"
        )
    for option in top:
        flag = f"-l {option[2:]}" if option.startswith("--") else f"-s {option[1:]}"
        lines.append(f"complete -c strongroom -n __fish_use_subcommand {flag}")
    for command in found:
        seen = f"-n '__fish_seen_subcommand_from {command.name}'"
        for option in command.options:
            flag = f"-l {option[2:]}" if option.startswith("--") else f"-s {option[1:]}"
            values = command.values.get(option)
            if command.name in FIELD_COMMANDS and option in ("--field", "-f"):
                values = [*(values or ()), "(__strongroom_field_names)"]  # and the item's own
            fixed = f" -xa {_fish_quote(' '.join(values))}" if values else ""
            if option in command.file_options:
                fixed = " -rF"
            lines.append(f"complete -c strongroom {seen} {flag}{fixed}")
        if command.takes_file:
            lines.append(f"complete -c strongroom {seen} -F")
        if command.arguments:
            lines.append(
                f"complete -c strongroom {seen} -a {_fish_quote(' '.join(command.arguments))}"
            )
    # Titles are data: each line of the output is one literal candidate.
    lines.append(
        "complete -c strongroom "
        f"-n '__fish_seen_subcommand_from {' '.join(TITLE_COMMANDS)}' -a '({TITLES})'"
    )
    return "\n".join(lines) + "\n"
