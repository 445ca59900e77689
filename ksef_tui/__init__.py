"""ksef-tui: a keyboard-first terminal workstation for accounting offices working through KSeF."""

__version__ = "0.1.0"
