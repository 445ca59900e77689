"""Entry point only: `ksef-tui` runs the command group of `ksef_tui.cli`."""

from __future__ import annotations

from ksef_tui.cli import cli, main

__all__ = ["cli", "main"]

if __name__ == "__main__":
    main()
