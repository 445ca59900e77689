"""click in the user's language: its own messages ("Usage:", "Error:", "Missing option", ...) and our
commands' help texts.

click marks its messages with the stdlib's `gettext.gettext` (and `ngettext`), which each of its modules
imports as a module-level name. Those look in gettext's global domain with the language from $LANGUAGE /
$LANG, not from `--lang` / $KSEF_TUI_LANG; `route_click_messages` points them at `ksef_tui.core.i18n`
instead, so click's msgids are translated like ours (Polish in `locale/src/pl/click.po`).

Help texts (a command's docstring or `help=`, an option's `help=`) are English msgids written where the
command is defined; `localize_help` puts the current language's text in their place (Polish in
`locale/src/pl/cli_help.po`) and can do it again after the language changes: the English msgid is kept.
"""

from __future__ import annotations

import gettext
import importlib
import inspect
from collections.abc import Iterator
from typing import Any

import click

from ksef_tui.core.i18n import _, ngettext

# click's modules that print or raise its messages (click 8.x).
CLICK_MODULES = (
    "click.core",
    "click.decorators",
    "click.exceptions",
    "click.formatting",
    "click.parser",
    "click.termui",
    "click.types",
    "click.utils",
    "click._termui_impl",
    "click.shell_completion",
)

HELP_OPTION_TEXT = "Show this message and exit."

_ORIGINAL = "_ksef_msgids"


def route_click_messages() -> None:
    """Make click's `_()` and `ngettext()` ours (idempotent). Only names that are still the stdlib's are
    replaced, so a click that stops importing them this way is left alone rather than broken."""
    for name in CLICK_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:  # pragma: no cover - a click without this module
            continue
        if getattr(module, "_", None) is gettext.gettext:
            module._ = _  # type: ignore[attr-defined]
        if getattr(module, "ngettext", None) is gettext.ngettext:
            module.ngettext = ngettext  # type: ignore[attr-defined]


def msgid(text: str) -> str:
    """The msgid of a help text: as `inspect.cleandoc` leaves a docstring (click shows it that way)."""
    return inspect.cleandoc(text)


def _commands(command: click.Command) -> Iterator[click.Command]:
    yield command
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            yield from _commands(sub)


def help_msgids(root: click.Command) -> set[str]:
    """Every help text a user can read under `root`, as msgids (what the catalogue must translate)."""
    ids: set[str] = {HELP_OPTION_TEXT}
    for command in _commands(root):
        original = getattr(command, _ORIGINAL, None) or _texts(command)
        ids.update(msgid(text) for text in original.values() if text)
    return ids


def _texts(command: click.Command) -> dict[tuple[Any, str], str | None]:
    """The English texts of `command` and its options, keyed by the object and attribute they live in;
    the usage line's placeholders ("[OPTIONS]", "COMMAND [ARGS]...") too: click does not mark them."""
    texts: dict[tuple[Any, str], str | None] = {
        (command, "help"): command.help,
        (command, "short_help"): command.short_help,
        (command, "options_metavar"): command.options_metavar,
    }
    if isinstance(command, click.Group):
        texts[(command, "subcommand_metavar")] = command.subcommand_metavar
    ctx = click.Context(command)
    for param in command.params:
        if param.metavar is not None:  # written where the option is made ("FROM..TO")
            texts[(param, "metavar")] = param.metavar
        elif param.type.get_metavar(param=param, ctx=ctx) is None:
            if isinstance(param, click.Argument):
                texts[(param, "metavar")] = (param.name or "").upper()
            elif isinstance(param, click.Option) and not param.is_flag:
                texts[(param, "metavar")] = _type_word(param.type).upper()
    for param in command.params:
        if isinstance(param, click.Option):
            texts[(param, "help")] = param.help
    return texts


def _type_word(kind: click.ParamType) -> str:
    """The English word click shows for a value of type `kind` ("text", "integer", "file", ...). A path's
    is worked out again: click translates it once, when the option is made, in that moment's language."""
    if isinstance(kind, click.Path):
        if kind.file_okay and not kind.dir_okay:
            return "file"
        if kind.dir_okay and not kind.file_okay:
            return "directory"
        return "path"
    return kind.name


def _metavar(param: click.Parameter, word: str) -> str:
    """An argument's placeholder as click writes it: optional in brackets, repeated with "..."."""
    if isinstance(param, click.Argument):
        word = word if param.required else f"[{word}]"
        return word + "..." if param.nargs != 1 else word
    return word


def localize_help(root: click.Command) -> None:
    """Give every command under `root` its help in the current language (again after each change)."""
    for command in _commands(root):
        original: dict[tuple[Any, str], str | None] = getattr(command, _ORIGINAL, None) or _texts(command)
        setattr(command, _ORIGINAL, original)
        for key, text in original.items():
            target, attribute = key
            if attribute == "metavar" and text:
                setattr(target, attribute, _metavar(target, _(text)))
            else:
                setattr(target, attribute, _(msgid(text)) if text else text)
        help_option = getattr(command, "_help_option", None)  # click caches it in the first language
        if isinstance(help_option, click.Option):
            help_option.help = _(HELP_OPTION_TEXT)
