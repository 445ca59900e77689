"""Findings (what the checks report) and the one error type the parser raises."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in an invoice.

    `code` is stable (for tests, filters and the JSON report); `message` is already translated into the
    language active when the finding was made; `line` is the XML source line when one applies.
    """

    severity: Severity
    code: str
    message: str
    line: int | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def error(code: str, message: str, line: int | None = None) -> Finding:
    return Finding(Severity.ERROR, code, message, line)


def warning(code: str, message: str, line: int | None = None) -> Finding:
    return Finding(Severity.WARNING, code, message, line)


class FaParseError(ValueError):
    """The document cannot be read as an FA(2)/FA(3) invoice at all.

    This is the only exception `parse_invoice` lets escape: too large, not UTF-8, not well-formed XML,
    a DTD, an unknown root or namespace, FA(1). `finding` carries the translated reason.
    """

    def __init__(self, code: str, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line

    @property
    def finding(self) -> Finding:
        return error(self.code, self.message, self.line)
