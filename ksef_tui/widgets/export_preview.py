"""The export dialog's preview (issue 14 item 5), built as Rich renderables from a `sync.exports.ExportPlan`:
the target folder and its files (those already there named), how many bookings, the sums of net, VAT and
deductible VAT per VAT rate and per JPK group, then every warning and every problem in full. No I/O.

Every text from the store or a writer (client names, sellers, invoice numbers, folders) goes through
`safe_renderable` before it is shown, and nothing here is parsed as markup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ksef_tui.core.bookings import JpkGroup
from ksef_tui.core.export_plan import ExportSummary, Sums
from ksef_tui.core.exports import ExportWarning
from ksef_tui.core.i18n import _, ngettext
from ksef_tui.core.money_format import format_amount
from ksef_tui.widgets.queue_table import JPK_WORDS
from ksef_tui.widgets.safe_text import safe_renderable

WARNING_STYLE = "yellow"
PROBLEM_STYLE = "bold red"


def bookings_words(n: int) -> str:
    return ngettext("{n} booking", "{n} bookings", n).format(n=n)


def rate_words(code: str) -> str:
    """A VAT rate code as an accountant reads it: "23" -> "23%", "zw" and "np I" unchanged."""
    return f"{code}%" if code[:1].isdigit() else code


def group_words(value: str) -> str:
    try:
        return _(JPK_WORDS[JpkGroup(value)])
    except (ValueError, KeyError):
        return value


def _amount(value: Decimal) -> str:
    return format_amount(value)


def sums_table(heading: str, rows: Sequence[Sums], label: Callable[[str], str]) -> Table:
    """One row per VAT rate (or JPK group): lines, net, VAT, deductible VAT; amounts right-aligned."""
    table = Table(box=None, padding=(0, 1), pad_edge=False, show_edge=False, header_style="bold")
    table.add_column(heading, ratio=1, overflow="fold")
    table.add_column(_("lines"), justify="right", no_wrap=True)
    table.add_column(_("net"), justify="right", no_wrap=True)
    table.add_column(_("VAT"), justify="right", no_wrap=True)
    table.add_column(_("VAT deducted"), justify="right", no_wrap=True)
    for row in rows:
        table.add_row(
            Text(label(row.key)),
            Text(str(row.lines)),
            Text(_amount(row.net)),
            Text(_amount(row.vat)),
            Text(_amount(row.deductible)),
        )
    return table


def files_words(names: Sequence[str]) -> str:
    """The files a run writes; a bundle's invoice XML files (one per invoice) counted, not listed."""
    xml = [n for n in names if n.lower().endswith(".xml")]
    if len(xml) <= 3:
        return ", ".join(names)
    rest = [n for n in names if not n.lower().endswith(".xml")]
    counted = ngettext("{n} invoice XML file", "{n} invoice XML files", len(xml)).format(n=len(xml))
    return ", ".join([counted, *rest])


def summary_line(summary: ExportSummary) -> Text:
    text = Text()
    text.append(bookings_words(summary.count), style="bold")
    text.append(
        "\n"
        + _("net {net} · VAT {vat} · VAT deducted {deductible}").format(
            net=format_amount(summary.net, "PLN"),
            vat=format_amount(summary.vat, "PLN"),
            deductible=format_amount(summary.deductible, "PLN"),
        )
    )
    left_out = []
    if summary.not_approved:
        left_out.append(_("not approved yet: {n}").format(n=summary.not_approved))
    if summary.exported_before:
        left_out.append(_("exported before: {n}").format(n=summary.exported_before))
    if summary.excluded:
        left_out.append(_("excluded: {n}").format(n=summary.excluded))
    if left_out:
        text.append("\n" + _("Left out of this period") + ": " + ", ".join(left_out), style="dim")
    return text


class PlanView(Protocol):
    """What the preview reads of a `sync.exports.ExportPlan` (widgets never import sync)."""

    @property
    def folder(self) -> Path: ...
    @property
    def file_names(self) -> tuple[str, ...]: ...
    @property
    def existing(self) -> tuple[str, ...]: ...
    @property
    def summary(self) -> ExportSummary: ...
    @property
    def nothing_to_export(self) -> bool: ...
    @property
    def warnings(self) -> tuple[ExportWarning, ...]: ...
    @property
    def all_problems(self) -> tuple[ExportWarning, ...]: ...


def preview(plan: PlanView) -> RenderableType:
    """The whole preview of a plan."""
    parts: list[RenderableType] = []
    where = Text()
    where.append(_("Folder") + ": ", style="bold")
    where.append(str(plan.folder))
    parts.append(where)
    if plan.file_names:
        names = Text()
        names.append(_("Files") + ": ", style="bold")
        names.append(files_words(plan.file_names))
        parts.append(names)
    if plan.existing:
        there = Text(style=WARNING_STYLE)
        there.append(
            _("Already in the folder (you are asked before they are replaced): {names}").format(
                names=", ".join(plan.existing)
            )
        )
        parts.append(there)
    parts.append(Text())
    summary = plan.summary
    if plan.nothing_to_export:
        parts.append(
            Text(
                _(
                    "Nothing to export: exported before {exported}, not approved yet {open}. Tick "
                    "“Again” to export the exported ones again."
                ).format(exported=summary.exported_before, open=summary.not_approved),
                style="bold",
            )
        )
    elif summary.count == 0:
        parts.append(
            Text(_("No bookings in this period: the format's empty files are written."), style="bold")
        )
    else:
        parts.append(summary_line(summary))
        parts.append(Text())
        parts.append(sums_table(_("VAT rate"), summary.by_rate, rate_words))
        parts.append(Text())
        parts.append(sums_table(_("JPK group"), summary.by_group, group_words))
    problems = plan.all_problems
    if problems:
        parts.append(Text())
        head = ngettext(
            "{n} problem: nothing will be written until it is fixed",
            "{n} problems: nothing will be written until they are fixed",
            len(problems),
        ).format(n=len(problems))
        parts.append(Text(head, style=f"{PROBLEM_STYLE} underline"))
        parts.extend(Text(f"✖ {p.message}", style=PROBLEM_STYLE) for p in problems)
    warnings = plan.warnings
    if warnings:
        parts.append(Text())
        head = ngettext("{n} warning", "{n} warnings", len(warnings)).format(n=len(warnings))
        parts.append(Text(head, style=f"bold {WARNING_STYLE} underline"))
        parts.extend(Text(f"! {w.message}", style=WARNING_STYLE) for w in warnings)
    return safe_renderable(Group(*parts))


def problems_renderable(heading: str, problems: Sequence[ExportWarning]) -> RenderableType:
    """What a refused write says: a heading and each problem's message."""
    lines: list[RenderableType] = [Text(heading, style=f"{PROBLEM_STYLE} underline")]
    lines.extend(Text(f"✖ {p.message}", style=PROBLEM_STYLE) for p in problems)
    return safe_renderable(Group(*lines))
