"""The import contracts of DESIGN.md "Layers" hold, and they can fail.

The contracts live in pyproject.toml `[tool.importlinter]` and run as `lint-imports` (a gate of
`make test`); docs/DECISIONS.md "Import contracts" explains them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _contract_names() -> dict[str, str]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        contracts = tomllib.load(f)["tool"]["importlinter"]["contracts"]
    return {c["id"]: c["name"] for c in contracts}


def _lint_imports(cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NO_COLOR="1", COLUMNS="200")
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _broken(output: str) -> set[str]:
    return {cid for cid, name in _contract_names().items() if f"{name} BROKEN" in output}


def test_the_contracts_cover_the_layers_the_issue_names() -> None:
    assert set(_contract_names()) >= {
        "layers",
        "no-textual-below-ui",
        "sync-no-simulator",
        "screens-no-store-or-ksef",
    }


def test_import_contracts_hold() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(_contract_names())} kept, 0 broken." in result.stdout


# Each violation is written into a new module of a copy of the package (no other module imports it, so
# only the contract about its own layer can break); the contracts must catch exactly that.
VIOLATIONS = [
    # core reaches above itself, and through the widget it pulls in textual.
    ("core/probe.py", "from ksef_tui.widgets import client_table", {"layers", "no-textual-below-ui"}),
    # store and the KSeF client are independent of each other.
    ("store/probe.py", "from ksef_tui.ksef import errors", {"layers"}),
    # the simulator never imports the client, and the layers below never import the demo.
    ("simulator/probe.py", "from ksef_tui.ksef import errors", {"layers"}),
    ("sync/probe.py", "import ksef_tui.demo", {"layers", "sync-no-simulator"}),
    ("sync/probe.py", "from ksef_tui.simulator import statuses", {"sync-no-simulator"}),
    ("store/probe.py", "import textual.app", {"no-textual-below-ui"}),
    ("widgets/probe.py", "from ksef_tui.store import Store", {"widgets-no-io"}),
    # a screen calls a use case in sync; it never reaches for the store or the KSeF client itself.
    ("screens/probe.py", "from ksef_tui.store import Store", {"screens-no-store-or-ksef"}),
    ("screens/probe.py", "from ksef_tui.ksef import errors", {"screens-no-store-or-ksef"}),
    # a new top-level module must be placed in a layer (the layers contract is exhaustive).
    ("probe.py", "", {"layers"}),
]


@pytest.fixture(scope="module")
def package_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("layering")
    shutil.copy(ROOT / "pyproject.toml", base / "pyproject.toml")
    shutil.copytree(
        ROOT / "ksef_tui",
        base / "ksef_tui",
        ignore=shutil.ignore_patterns("__pycache__", "locale", "*.tcss", "*.xsd", "*.json", "*.xml"),
    )
    return base


@pytest.mark.parametrize(
    ("module", "line", "expected"), VIOLATIONS, ids=[v[0] + ":" + v[1] for v in VIOLATIONS]
)
def test_a_violation_breaks_its_contract(
    package_copy: Path, module: str, line: str, expected: set[str]
) -> None:
    target = package_copy / "ksef_tui" / module
    assert not target.exists()
    target.write_text(f"{line}\n", encoding="utf-8")
    try:
        result = _lint_imports(package_copy, pythonpath=package_copy)
    finally:
        target.unlink()
    assert result.returncode == 1, result.stdout + result.stderr
    assert _broken(result.stdout) == expected, result.stdout


def _joiners(graph: object, modules: Iterable[str]) -> list[str]:
    """Modules outside demo/ that import both the simulator and the store directly."""
    out = []
    for module in sorted(modules):
        if module.startswith("ksef_tui.demo"):
            continue
        imported = graph.find_modules_directly_imported_by(module)  # type: ignore[attr-defined]
        simulator = any(i.startswith("ksef_tui.simulator") for i in imported)
        store = any(i.startswith("ksef_tui.store") for i in imported)
        if simulator and store and not module.startswith(("ksef_tui.simulator", "ksef_tui.store")):
            out.append(module)
    return out


def test_only_the_demo_joins_the_simulator_and_the_store() -> None:
    """Issue 9: no module outside demo/ imports both the simulator and the store."""
    graph = grimp.build_graph("ksef_tui")
    assert _joiners(graph, graph.modules) == []


def test_the_joiner_check_can_fail() -> None:
    class Graph:
        def find_modules_directly_imported_by(self, module: str) -> set[str]:
            return {"ksef_tui.simulator.app", "ksef_tui.store.store"} if module.endswith("x") else set()

    assert _joiners(Graph(), ["ksef_tui.cli.x", "ksef_tui.demo.x", "ksef_tui.cli.y"]) == ["ksef_tui.cli.x"]
