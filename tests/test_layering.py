"""The layers below screens/ and widgets/ never import textual (DESIGN.md "Layers")."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import ksef_tui

LOWER_LAYERS = ["core", "store", "ksef", "sync", "simulator"]


def _modules(layer: str) -> list[str]:
    pkg = __import__(f"ksef_tui.{layer}", fromlist=["_"])
    names = [f"ksef_tui.{layer}"]
    names += [m.name for m in pkgutil.walk_packages(pkg.__path__, prefix=f"ksef_tui.{layer}.")]
    return names


@pytest.mark.parametrize("layer", LOWER_LAYERS)
def test_layer_imports_no_textual(layer: str) -> None:
    modules = _modules(layer)
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"{layer} pulled in textual via: {out.stdout.strip()}"


def test_the_check_can_fail() -> None:
    """Sanity: the same probe does see textual when a screen module is imported."""
    code = "import sys, textual.app\nprint('textual' in sys.modules)\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
    assert ksef_tui.__version__
