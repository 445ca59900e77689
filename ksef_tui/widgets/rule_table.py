"""Booking rules in a line table: the seller, what narrows the rule, what it fills in, and how often it
was confirmed (approved unchanged) or overridden (approved with changes). No I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ksef_tui.core.bookings import Rule
from ksef_tui.core.i18n import _
from ksef_tui.core.money_format import format_amount
from ksef_tui.core.nip import format_nip
from ksef_tui.widgets.line_table import Cell, Column, LineTable
from ksef_tui.widgets.queue_table import template_words
from ksef_tui.widgets.tones import Tone

WIDE = 110


def narrowing_words(rule: Rule) -> str:
    parts: list[str] = []
    if rule.item_text:
        parts.append(_("text “{text}”").format(text=rule.item_text))
    if rule.item_code:
        parts.append(_("code {code}").format(code=rule.item_code))
    if rule.doc_kind:
        parts.append(rule.doc_kind)
    if rule.amount_min is not None or rule.amount_max is not None:
        low = format_amount(rule.amount_min) if rule.amount_min is not None else ""
        high = format_amount(rule.amount_max) if rule.amount_max is not None else ""
        parts.append(f"{low}–{high}")
    return ", ".join(parts) or _("every invoice")


def narrowed(rule: Rule) -> bool:
    return bool(rule.item_text or rule.item_code or rule.doc_kind) or (rule.amount_min, rule.amount_max) != (
        None,
        None,
    )


def rule_columns(width: int) -> list[Column]:
    wide = width >= WIDE
    return [
        Column("scope", _("For"), 8),
        Column("seller", _("Seller"), 28 if wide else 14, grow=30),
        Column("narrowing", _("Narrowed to"), 24 if wide else 12),
        Column("counts", "✓/✎", 7),
        Column("template", _("Books as"), 20),
    ]


class RuleTable(LineTable):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rules: list[Rule] = []
        self.client_code = ""
        self.seller_names: Mapping[str, str] = {}

    def show(self, rules: Sequence[Rule], width: int) -> None:
        keep = self.selected()
        self.rules = list(rules)
        self.set_columns(rule_columns(width), width)
        index = min(self.cursor_row, max(0, len(self.rules) - 1))
        if keep is not None:
            index = next((i for i, r in enumerate(self.rules) if r.id == keep.id), index)
        self.move_cursor(index, force_message=True)

    @property
    def row_count(self) -> int:
        return len(self.rules)

    def row_cells(self, index: int) -> Mapping[str, Cell]:
        rule = self.rules[index]
        name = self.seller_names.get(rule.seller_nip, "")
        seller = f"{name} ({format_nip(rule.seller_nip)})" if name else format_nip(rule.seller_nip)
        office = rule.client_id is None
        return {
            "scope": (_("office") if office else _("client"), Tone.INFO if office else None),
            "seller": (seller, None),
            "narrowing": (narrowing_words(rule) if narrowed(rule) else "—", None),
            "counts": (
                f"{rule.confirmations}/{rule.overrides}".rjust(7),
                Tone.WARN if rule.overrides else None,
            ),
            "template": (template_words(rule.template), None),
        }

    def selected(self) -> Rule | None:
        if not self.rules or not 0 <= self.cursor_row < len(self.rules):
            return None
        return self.rules[self.cursor_row]
