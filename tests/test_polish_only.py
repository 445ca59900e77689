"""Issue 16 item 2: in Polish mode nothing a user reads is English. The app is walked key by key (every
screen and dialog the registry's keys reach from the board, two levels down, each screen's help, the
palette, every toast on the way) and every CLI command's `--help` and a usage error are read; each text
is searched for common English UI words and for msgids left untranslated."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from ksef_tui.core.i18n import set_language
from tests.tui.helpers import make_store, screen_text, services, settle, until

# Words of an English UI that Polish text never needs (Polish homographs are left out: "to", "na", ...).
_WORDS = """
the and with for from this that your you not are is was will press show exit usage error options
option commands command missing argument matches found search theme read write quit keys screenshot
sent hash batch invoice invoices client clients session sessions file help message none unknown
failed cancel save close back loading page date name permission InvoiceRead InvoiceWrite ksef_token
ksef_certificate office_certificate
"""
ENGLISH_WORDS = tuple(_WORDS.split())
ENGLISH = re.compile(r"\b(" + "|".join(ENGLISH_WORDS) + r")\b", re.IGNORECASE)
# What may stand in Polish text in English: option names, environment variables, commands in quotes,
# file names, URLs, choice values written as the user types them.
TECHNICAL = re.compile(
    r"--[\w-]+|\$\w+|`[^`]*`|\S+\.(?:csv|xlsx|json|xml|db)\b|https?://\S+|\[[^\]]*\]|\S*_\S*"
)


def english_words(text: str, allowed: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    plain = TECHNICAL.sub(" ", text)
    return sorted({m for m in ENGLISH.findall(plain) if m.lower() not in allowed})


def _untranslated_phrases() -> list[str]:
    """Pieces of English msgids (before any placeholder, long enough to be a phrase) whose Polish is
    different: seeing one means a text went out untranslated."""
    from tests.test_i18n import _tool

    phrases = set()
    for message in _tool().merged_catalog("pl"):
        if not message.id or not isinstance(message.id, str) or message.id == message.string:
            continue
        head = message.id.split("{")[0].strip()
        if len(head) >= 12 and " " in head:
            phrases.add(head)
    return sorted(phrases)


UNTRANSLATED = _untranslated_phrases()


def untranslated(text: str) -> list[str]:
    flat = " ".join(text.split())
    return [p for p in UNTRANSLATED if p in flat]


def test_the_checks_can_fail() -> None:
    assert english_words("Użycie: ksef-tui status [OPCJE]") == []
    assert english_words("Usage: ksef-tui status [OPTIONS]") == ["Usage"]
    assert english_words("--passphrase-file PLIK  Odczytaj hasło (`ksef-tui clients import`)") == []
    assert english_words("No matches found") == ["found", "matches"]
    assert english_words("Uprawnienia: InvoiceRead") == ["InvoiceRead"]
    assert untranslated("Klucz: a\nAdd a client") == ["Add a client"]


# --- the CLI -----------------------------------------------------------------------------------------


def _commands(
    command: click.Command, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], click.Command]]:
    found = [(path, command)]
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            found += _commands(sub, (*path, name))
    return found


def _allowed_cli_words(root: click.Command) -> set[str]:
    """Command names, choice values and the office profile's keys: what the user types, in the program's
    own (English) tokens."""
    from ksef_tui.cli.office import KEYS

    words = set(KEYS)
    for path, command in _commands(root):
        words.update(path)
        for param in command.params:
            if isinstance(param.type, click.Choice):
                words.update(str(choice).lower() for choice in param.type.choices)
    return words


def test_every_cli_help_and_usage_error_is_polish(monkeypatch: pytest.MonkeyPatch) -> None:
    from ksef_tui.cli import choose_language, cli

    monkeypatch.delenv("KSEF_TUI_LANG", raising=False)
    allowed = _allowed_cli_words(cli)
    problems = []
    try:
        for path, _command in _commands(cli):
            choose_language(None)  # as main() does before click reads the arguments
            for args in ([*path, "--help"], [*path, "--no-such-option"]):
                result = CliRunner().invoke(cli, args, prog_name="ksef-tui")
                text = result.output
                assert text.strip(), args
                if words := english_words(text, allowed):
                    problems.append(f"ksef-tui {' '.join(args)}: {words}\n{text}")
                if phrases := untranslated(text):
                    problems.append(f"ksef-tui {' '.join(args)}: untranslated {phrases}")
    finally:
        set_language("pl")
    assert problems == [], "\n".join(problems)


def test_usage_errors_speak_the_chosen_language(monkeypatch: pytest.MonkeyPatch) -> None:
    from ksef_tui.cli import choose_language, cli

    monkeypatch.delenv("KSEF_TUI_LANG", raising=False)
    try:
        choose_language(None)
        polish = CliRunner().invoke(cli, ["inspect"], prog_name="ksef-tui").output
        assert "Użycie: ksef-tui inspect [OPCJE] PLIK" in polish
        assert "Błąd: Brak argumentu 'PLIK'." in polish
        english = CliRunner().invoke(cli, ["--lang", "en", "inspect", "--help"], prog_name="ksef-tui").output
        assert "Usage: ksef-tui inspect [OPTIONS] FILE" in english
        assert "Show this message and exit." in english
        choose_language(None)
        assert (
            "Pokaż tę pomoc i zakończ."
            in CliRunner().invoke(cli, ["inspect", "--help"], prog_name="ksef-tui").output
        )
    finally:
        set_language("pl")


# --- the app -----------------------------------------------------------------------------------------

SKIPPED_ACTIONS = {
    "app.quit",
    "app.lock",
    "filter",  # a text field: the walk's next keys would be typed into it
    "search",
    "save_file",  # writes into the working folder
    "copy",
    "copy_reference",
}
BACK_KEYS = ("escape",)


class Walk:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: dict[str, str] = {}  # where → text
        self.explored: set[type] = set()
        self.toasts: list[str] = []

    def record(self, where: str) -> None:
        self.seen[where] = screen_text(self.app)

    async def back_to(self, pilot: Any, screen: Any) -> bool:
        """Escape until `screen` is on top again; False when it is gone (a key closed it, e.g. F2 saved)."""
        for _ in range(6):
            if screen not in self.app.screen_stack:
                return False
            if self.app.screen is screen:
                return True
            await pilot.press("escape")
            await settle(pilot)
        raise AssertionError(f"could not go back from {type(self.app.screen).__name__}")

    async def explore(self, pilot: Any, where: str, depth: int) -> None:
        from ksef_tui.ui.commands import commands_for

        screen = self.app.screen
        self.explored.add(type(screen))
        self.record(where)
        await pilot.press("f1")
        await settle(pilot)
        self.record(f"{where} › help")
        if not await self.back_to(pilot, screen):
            return
        scope = getattr(screen, "SCOPE", None)
        if scope is None or depth == 0:
            return
        for command in commands_for(scope):
            if command.action in SKIPPED_ACTIONS or command.keys.split(",")[0] in BACK_KEYS:
                continue
            if command.scope == "global":
                continue
            key = command.keys.split(",")[0]
            await pilot.press(key)
            await settle(pilot)
            here = f"{where} › {key}"
            if self.app.screen is not screen:
                if type(self.app.screen) not in self.explored:
                    await self.explore(pilot, here, depth - 1)
                else:
                    self.record(here)
                if not await self.back_to(pilot, screen):
                    return
            else:
                self.record(here)


async def test_every_screen_dialog_and_toast_reached_from_the_board_is_polish(tmp_path: Path) -> None:
    from ksef_tui.screens.clients import ClientsScreen
    from ksef_tui.ui.app import KsefApp

    set_language("pl")
    store = make_store(tmp_path)
    app = KsefApp(services(tmp_path, store))
    walk = Walk(app)
    shown = app.notify

    def notify(message: str, **kwargs: Any) -> None:
        walk.toasts.append(f"{kwargs.get('title', '')} {message}")
        shown(message, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        await walk.explore(pilot, "board", depth=2)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"zzqqxx")
        # The palette's "no matches" line comes after its own short timer: let the app run until it shows.
        await until(pilot, lambda: "Nic nie znaleziono" in screen_text(app), "the palette's no-matches line")
        walk.record("palette")
        assert "Nic nie znaleziono" in walk.seen["palette"]
        await pilot.press("escape")
    assert len(walk.explored) >= 12, walk.explored  # the walk reached the app's screens, not one
    assert walk.toasts, "the walk met toasts too"
    problems = []
    for where, text in [*walk.seen.items(), *(("toast", t) for t in walk.toasts)]:
        if words := english_words(text):
            problems.append(f"{where}: {words}")
        if phrases := untranslated(text):
            problems.append(f"{where}: untranslated {phrases}")
    assert problems == [], "\n".join(problems)


def test_words_for_machine_values() -> None:
    """KSeF's and the store's own tokens are shown as words: session kinds, permissions, audit details."""
    from ksef_tui.core.ksef_sessions import kind_word
    from ksef_tui.core.models import permission_words
    from ksef_tui.screens.client_detail import detail_words

    set_language("pl")
    assert (kind_word("Online"), kind_word("Batch")) == ("interaktywna", "wsadowa")
    assert permission_words({"InvoiceWrite", "InvoiceRead"}) == "przeglądanie faktur, wystawianie faktur"
    assert permission_words({"SomethingNew"}) == "SomethingNew"  # a name KSeF adds later, as it comes
    assert detail_words("credential.live_check", "ksef_token 450") == "token, kod KSeF 450"
    assert detail_words("upo.download", "session page 1/2") == "UPO sesji, strona 1 z 2"
    assert detail_words("credential.import_token", "20251121-EC-ABC") == "20251121-EC-ABC"
