"""The command registry is the one source of every key: screens' and widgets' bindings come from it (each
with a stable id for Textual's keymap), every entry names an action that exists, the footer speaks the
current language, the palette runs the same actions, and the help lists widgets' keys too."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterable
from pathlib import Path

from textual.actions import parse
from textual.dom import DOMNode
from textual.screen import Screen

import ksef_tui
import ksef_tui.screens
import ksef_tui.widgets
from ksef_tui.core.i18n import N_, set_language
from ksef_tui.screens.client_form import ClientFormScreen
from ksef_tui.screens.clients import ClientsScreen
from ksef_tui.screens.help import HelpScreen
from ksef_tui.ui.app import KsefApp
from ksef_tui.ui.commands import REGISTRY, Command, bindings_for
from ksef_tui.widgets.key_bar import KeyBar

from .helpers import make_store, screen_text, services, settle, wait_for_text

# --- every registry action exists on the class that declares its scope ---------------------------


def _scoped_classes() -> dict[str, list[type[DOMNode]]]:
    """Every screen and widget class of ksef_tui that declares a registry SCOPE, and the app ("global")."""
    found: dict[str, list[type[DOMNode]]] = {"global": [KsefApp]}
    for package in (ksef_tui.screens, ksef_tui.widgets):
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            module = importlib.import_module(info.name)
            for _name, cls in inspect.getmembers(module, inspect.isclass):
                if cls.__module__ == module.__name__ and issubclass(cls, DOMNode) and "SCOPE" in cls.__dict__:
                    found.setdefault(cls.__dict__["SCOPE"], []).append(cls)
    return found


def registry_problems(registry: Iterable[Command]) -> list[str]:
    """What is wrong between `registry` and the classes: an action with no `action_*` method (nor a Textual
    built-in one) on a class of its scope, a scope no class declares, keys not taken from the registry."""
    classes = _scoped_classes()
    problems: list[str] = []
    for command in registry:
        if command.scope not in classes:
            problems.append(f"{command.id}: no screen or widget declares scope {command.scope!r}")
            continue
        namespace, name, _params = parse(command.action)
        for cls in classes[command.scope]:
            target: type[DOMNode] = {"app": KsefApp, "screen": Screen, "": cls}.get(namespace, DOMNode)
            if not callable(getattr(target, f"action_{name}", None)):
                problems.append(f"{command.id}: {target.__name__} has no action_{name}")
    for scope, scoped in classes.items():
        for cls in scoped:
            if cls.__dict__.get("BINDINGS") != bindings_for(scope):
                problems.append(f"{cls.__name__}: BINDINGS are not bindings_for({scope!r})")
    return problems


def test_every_registry_action_exists_on_the_class_that_declares_it() -> None:
    assert registry_problems(REGISTRY) == []


def test_a_planted_bogus_entry_is_found() -> None:
    bogus = Command("clients", "z", "no_such_action", N_("Add"), N_("Add a client"))
    stray = Command("nowhere", "z", "back", N_("Back"), N_("Back to the clients"))
    problems = registry_problems((*REGISTRY, bogus, stray))
    assert "clients.no_such_action: ClientsScreen has no action_no_such_action" in problems
    assert "nowhere.back: no screen or widget declares scope 'nowhere'" in problems
    app_bogus = Command("global", "z", "app.no_such_thing", N_("Quit"), N_("Quit ksef-tui"))
    assert "global.no_such_thing: KsefApp has no action_no_such_thing" in registry_problems([app_bogus])


def test_widgets_and_the_app_take_their_keys_from_the_registry() -> None:
    from ksef_tui.widgets.client_table import ClientTable
    from ksef_tui.widgets.line_table import LineTable

    assert ClientTable.__dict__["BINDINGS"] == bindings_for("client_table")
    assert LineTable.__dict__["BINDINGS"] == bindings_for("line_table")
    assert KsefApp.__dict__["BINDINGS"] == bindings_for("global")
    # The board's table moves by arrows only: its letters are the board's commands.
    assert {c.keys for c in REGISTRY if c.scope == "client_table"}.isdisjoint({"up,k", "down,j"})


def test_binding_ids_are_unique_and_stable() -> None:
    ids = [c.id for c in REGISTRY]
    assert len(ids) == len(set(ids))
    by_id = {c.id: c for c in REGISTRY}
    assert by_id["clients.add_client"].keys == "a"
    assert by_id["global.help"].action == "app.help"
    assert by_id["invoice.show_tab_xml"].keys == "7"
    assert by_id["line_table.page_down"].keys == "pagedown"
    for binding in bindings_for("clients"):
        assert not isinstance(binding, tuple) and binding.id is not None and binding.id.startswith("clients.")


# --- nothing writes Textual's private binding maps ------------------------------------------------

_PRIVATE_BINDINGS = re.compile(r"\._(?:merged_)?bindings\b")


def private_binding_uses(source: str) -> list[int]:
    """Line numbers of `source` that touch Textual's private `_bindings` / `_merged_bindings`."""
    return [n for n, line in enumerate(source.splitlines(), 1) if _PRIVATE_BINDINGS.search(line)]


def test_no_module_touches_private_bindings() -> None:
    root = Path(ksef_tui.__file__).parent
    offenders = [
        f"{path.relative_to(root)}:{line}"
        for path in sorted(root.rglob("*.py"))
        for line in private_binding_uses(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_private_bindings_scan_can_fail() -> None:
    planted = "def f(node):\n    node._bindings.key_to_bindings['a'] = []\n    cls._merged_bindings = None\n"
    assert private_binding_uses(planted) == [2, 3]
    assert private_binding_uses("BINDINGS = bindings_for(SCOPE)\nactive_bindings = 1\n") == []


# --- pilot: footer, keymap, palette, help -----------------------------------------------------------


def _footer_text(app: KsefApp) -> str:
    return app.screen.query_one(KeyBar).text()


async def test_footer_speaks_the_language_chosen_after_the_classes_were_defined(tmp_path: Path) -> None:
    store = make_store(tmp_path, roster=False)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        assert "Dodaj" in _footer_text(app) and "Pomoc" in _footer_text(app)
    set_language("en")  # conftest puts Polish back after the test
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        footer = _footer_text(app)
        assert "Add" in footer and "Help" in footer and "Dodaj" not in footer


async def test_a_keymap_moves_a_registry_key_through_the_public_api(tmp_path: Path) -> None:
    store = make_store(tmp_path, roster=False)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.update_keymap({"clients.add_client": "n"})
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, ClientFormScreen)


async def test_a_registry_command_chosen_in_the_palette_runs_its_action(tmp_path: Path) -> None:
    store = make_store(tmp_path, roster=False)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"Dodaj klienta")
        assert await wait_for_text(pilot, "Klawisz: a")  # the Polish title, and the key under it
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientFormScreen)


async def test_the_palette_offers_only_the_current_screen_s_commands(tmp_path: Path) -> None:
    store = make_store(tmp_path, roster=False)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Dodaj klienta" in titles and "Pokaż klawisze tego ekranu" in titles
        assert "Odśwież sesje z KSeF (w granicach limitów)" not in titles  # the sessions screen's
        assert titles.count("Zamknij ksef-tui") == 1  # ctrl+q and q: one command, both keys
        (quit_command,) = [c for c in app.get_system_commands(app.screen) if c.title == "Zamknij ksef-tui"]
        assert quit_command.help == "Klawisz: ctrl+q / q"


async def test_help_lists_the_widget_keys(tmp_path: Path) -> None:
    store = make_store(tmp_path, roster=False)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(100, 80)) as pilot:  # the whole help on screen, no scrolling
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert app.screen.widget_scopes == ("client_table",)
        text = screen_text(app)
        assert "Dodaj klienta" in text  # the screen's own keys stay
        assert "PgDn" in text and "Przewiń o stronę w dół" in text and "Przejdź do ostatniego wiersza" in text
