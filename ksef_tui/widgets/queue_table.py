"""The approval queue's table and the words it (and the booking form, the rules screen) use for bookings.

A line table: only the rows on screen are drawn, so 20,000 open bookings scroll as fast as 20. It
receives `QueueRow`s and the set of marked keys and shows them; no I/O. At 80 columns: mark and age,
client code, seller (short), gross, status with confidence, and the proposal in words (register ·
deduction · KPiR column · account); wider, the seller and the proposal get the room.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from rich.text import Text

from ksef_tui.core.booking_queue import STATUS_WORDS, age_words
from ksef_tui.core.booking_rules import REVIEW_LABELS
from ksef_tui.core.bookings import (
    Booking,
    BookingLine,
    BookingStatus,
    Deduction,
    JpkGroup,
    KpirColumn,
    RuleTemplate,
    Strength,
)
from ksef_tui.core.i18n import N_, _
from ksef_tui.core.money_format import format_amount
from ksef_tui.core.nip import format_nip
from ksef_tui.widgets.line_table import Cell, Column, LineTable
from ksef_tui.widgets.purchase_table import day
from ksef_tui.widgets.tones import Tone, tone_style

WIDE = 110

BookingKey = tuple[int, str]  # (client id, KSeF number): as sync.bookings (widgets never import sync)


class QueueRow(Protocol):
    """What the table reads of a row (sync.bookings.QueueRow has these)."""

    @property
    def booking(self) -> Booking: ...
    @property
    def client_code(self) -> str: ...
    @property
    def age_hours(self) -> float: ...
    @property
    def past_sla(self) -> bool: ...


STATUS_GLYPH = {
    BookingStatus.NEW: "·",
    BookingStatus.PROPOSED: "●",
    BookingStatus.NEEDS_REVIEW: "?",
    BookingStatus.APPROVED: "✓",
    BookingStatus.EXPORTED: "⇪",
    BookingStatus.EXCLUDED: "✗",
}
STATUS_TONE = {
    BookingStatus.NEW: Tone.MUTED,
    BookingStatus.PROPOSED: Tone.OK,
    BookingStatus.NEEDS_REVIEW: Tone.WARN,
    BookingStatus.APPROVED: Tone.DONE,
    BookingStatus.EXPORTED: Tone.INFO,
    BookingStatus.EXCLUDED: Tone.MUTED,
}
STATUS_STYLE = {status: tone_style(tone) for status, tone in STATUS_TONE.items()}  # for Rich text
DEDUCTION_WORDS = {
    Deduction.FULL: N_("full VAT deduction"),
    Deduction.HALF: N_("50 % VAT deduction"),
    Deduction.NONE: N_("no VAT deduction"),
    Deduction.PROPORTION: N_("VAT deduction by proportion"),
}
JPK_WORDS = {
    JpkGroup.FIXED_ASSETS: N_("fixed assets (K_40/41)"),
    JpkGroup.OTHER: N_("other purchases (K_42/43)"),
    JpkGroup.CORRECTION_FIXED_ASSETS: N_("fixed assets correction (K_44)"),
    JpkGroup.CORRECTION_OTHER: N_("other purchases correction (K_45)"),
    JpkGroup.BAD_DEBT_1: N_("art. 89b(1) (K_46)"),
    JpkGroup.BAD_DEBT_4: N_("art. 89b(4) (K_47)"),
    JpkGroup.NONE: N_("not in JPK"),
}
KPIR_WORDS = {
    KpirColumn.GOODS: N_("goods and materials"),
    KpirColumn.INCIDENTAL: N_("incidental purchase costs"),
    KpirColumn.SALARIES: N_("salaries"),
    KpirColumn.OTHER: N_("other expenses"),
    KpirColumn.FREE: N_("free column"),
    KpirColumn.RND: N_("R&D costs"),
    KpirColumn.NONE: N_("not in KPiR"),
}
KPIR_SHORT = {  # the row's few cells: the detail under the table says it in full
    KpirColumn.GOODS: N_("goods"),
    KpirColumn.INCIDENTAL: N_("incid."),
    KpirColumn.SALARIES: N_("salar."),
    KpirColumn.OTHER: N_("other"),
    KpirColumn.FREE: N_("free"),
    KpirColumn.RND: N_("R&D"),
    KpirColumn.NONE: N_("no KPiR"),
}
STRENGTH_WORDS = {
    Strength.SELLER_ITEMS: N_("seller and items known"),
    Strength.SELLER: N_("seller known"),
    Strength.PATTERN: N_("pattern only"),
    Strength.NONE: N_("no proposal"),
}


def words(table: Mapping[Any, str], key: Any) -> str:
    return _(table[key]) if key in table else str(key)


def percent(value: Decimal | int | None) -> str:
    if value is None:
        return "—"
    text = format(Decimal(value).normalize(), "f") if isinstance(value, Decimal) else str(value)
    return text.replace(".", ",") + "%"


def deduction_short(line: BookingLine) -> str:
    """The share of VAT deducted: "100%", "50%", "0%", or the proportion ("76%")."""
    if line.deduction is Deduction.FULL:
        return "100%"
    if line.deduction is Deduction.HALF:
        return "50%"
    if line.deduction is Deduction.NONE:
        return "0%"
    return percent(line.deduction_pct)


def deduction_pct(line: BookingLine) -> Decimal:
    return {
        Deduction.FULL: Decimal(100),
        Deduction.HALF: Decimal(50),
        Deduction.NONE: Decimal(0),
    }.get(line.deduction, line.deduction_pct or Decimal(0))


CENT = Decimal("0.01")


def deductible_vat(line: BookingLine) -> Decimal:
    """The VAT this line deducts (rounded half up to the grosz; shown, never stored by the screens)."""
    return (line.vat * deduction_pct(line) / 100).quantize(CENT, ROUND_HALF_UP)


def tax_cost(line: BookingLine) -> Decimal:
    """The line's tax cost: the net plus the VAT not deducted, times the cost share."""
    base = line.net + line.vat - deductible_vat(line)
    return (base * line.cost_share_pct / 100).quantize(CENT, ROUND_HALF_UP)


def proposal_words(booking: Booking, *, wide: bool = True) -> str:
    """register · deduction · KPiR column · account, of the first line ("+" when the lines differ);
    narrow: without the spaces around the dots, for 80 columns."""
    if booking.status is BookingStatus.EXCLUDED:
        return _("excluded: {reason}").format(reason=booking.excluded_reason or "—")
    if not booking.lines:
        return "—"
    first = booking.lines[0]
    parts = [
        booking.vat_register or "—",
        deduction_short(first),
        _(KPIR_SHORT[first.kpir_column]),
        first.gl_account or "—",
    ]
    text = (" · " if wide else "·").join(parts)
    same = all(
        (ln.deduction, ln.deduction_pct, ln.kpir_column, ln.gl_account)
        == (first.deduction, first.deduction_pct, first.kpir_column, first.gl_account)
        for ln in booking.lines[1:]
    )
    return text if same else text + " +"


def template_words(template: RuleTemplate) -> str:
    """What a rule fills in, in the same words as a proposal."""
    if template.exclude:
        return _("exclude (not the client's cost)")
    parts: list[str] = []
    if template.vat_register:
        parts.append(template.vat_register)
    if template.deduction is not None:
        if template.deduction is Deduction.PROPORTION:
            parts.append(_("VAT {pct}").format(pct=percent(template.deduction_pct)))
        else:
            probe = BookingLine(0, "23", Decimal(0), Decimal(0), deduction=template.deduction)
            parts.append(_("VAT {pct}").format(pct=deduction_short(probe)))
    if template.kpir_column is not None:
        parts.append(_("KPiR {column}").format(column=_(KPIR_SHORT[template.kpir_column])))
    if template.gl_account:
        parts.append(template.gl_account)
    if template.cost_share_pct is not None and template.cost_share_pct != 100:
        parts.append(_("cost {pct}").format(pct=percent(template.cost_share_pct)))
    if template.cost_centre:
        parts.append(_("cost centre {code}").format(code=template.cost_centre))
    return " · ".join(parts) or "—"


def status_cell(booking: Booking) -> str:
    glyph = STATUS_GLYPH[booking.status]
    if booking.status in (BookingStatus.PROPOSED, BookingStatus.NEEDS_REVIEW, BookingStatus.NEW):
        return f"{glyph} {booking.confidence:>3}%"
    return f"{glyph} {_(STATUS_WORDS[booking.status])}"


def booking_detail(row: QueueRow, *, sla_hours: int) -> Text:
    """The proposed booking of one row, under the table, a line each (cut, never wrapped, at 80
    columns): who and what; where it is from; the status, its age and the SLA; why this proposal; what
    asks for a look; the register and periods; then one line per VAT rate."""
    b = row.booking
    out = Text(no_wrap=True, overflow="ellipsis")
    out.append(b.seller_name or "—", style="bold")
    if b.seller_nip:
        out.append(f" · NIP {format_nip(b.seller_nip)}")
    out.append(f" · {b.invoice_number or '—'}")
    if b.doc_kind != "VAT":
        out.append(f" ({b.doc_kind})", style=tone_style(Tone.WARN))
    out.append("\n")
    out.append(f"{row.client_code} · {b.ksef_number} · " + _("issued {day}").format(day=day(b.issue_date)))
    out.append("\n")
    out.append(f"{STATUS_GLYPH[b.status]} {_(STATUS_WORDS[b.status])}", style=STATUS_STYLE[b.status])
    if b.status in (BookingStatus.PROPOSED, BookingStatus.NEEDS_REVIEW, BookingStatus.NEW):
        out.append(" · " + _("confidence {pct}%").format(pct=b.confidence))
    out.append(" · ")
    out.append(
        _("in the queue {age}").format(age=age_words(row.age_hours)),
        style=tone_style(Tone.ALARM) if row.past_sla else "",
    )
    if row.past_sla:
        out.append(" " + _("(over the {n} h SLA)").format(n=sla_hours), style=tone_style(Tone.ALARM))
    if b.reason:
        out.append("\n")
        out.append(b.reason, style="italic")
    if b.status is BookingStatus.EXCLUDED and b.excluded_reason:
        out.append("\n")
        out.append(_("excluded: {reason}").format(reason=b.excluded_reason), style="italic")
    if b.review_reasons:
        out.append("\n")
        out.append(
            _("Look at it: ") + ", ".join(words(REVIEW_LABELS, r) for r in b.review_reasons),
            style=tone_style(Tone.WARN),
        )
    out.append("\n")
    out.append(
        _("{register} · VAT {vat} · cost {cost} · gross {gross}").format(
            register=b.vat_register or "—",
            vat=b.vat_period or "—",
            cost=b.cost_period or "—",
            gross=format_amount(b.gross, "PLN"),
        )
    )
    if b.currency != "PLN":
        out.append(" · " + _("{currency} at {rate}").format(currency=b.currency, rate=b.fx_rate or "—"))
    for line in b.lines:
        out.append("\n")
        out.append(line_words(line))
    return out


def line_words(line: BookingLine) -> str:
    rate = line.vat_rate if not line.vat_rate[:1].isdigit() else f"{line.vat_rate}%"
    text = _("{rate}: net {net} · VAT {vat} · deducted {deducted} · KPiR {kpir} · {account}").format(
        rate=rate,
        net=format_amount(line.net),
        vat=format_amount(line.vat),
        deducted=format_amount(deductible_vat(line)),
        kpir=_(KPIR_SHORT[line.kpir_column]),
        account=line.gl_account or "—",
    )
    if line.cost_centre:
        text += " · " + _("cost centre {code}").format(code=line.cost_centre)
    return text


def queue_columns(width: int, *, one_client: bool = False) -> list[Column]:
    wide = width >= WIDE
    columns = [Column("age", _("Age"), 8)]
    if not one_client:
        columns.append(Column("client", _("Client"), 12 if wide else 8))
    columns += [
        Column("seller", _("Seller"), 26 if wide else 12 if not one_client else 20, grow=30),
        Column("gross", _("Gross"), 13 if wide else 10),
        Column("status", _("Confid."), 7),
        Column("proposal", _("Proposal"), 20),
    ]
    return columns


def key_of(booking: Booking) -> BookingKey:
    return (booking.client_id, booking.ksef_number)


class QueueTable(LineTable):
    """Queue rows in the order given (the use case sorts them oldest first); marked rows show ■."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows: list[QueueRow] = []
        self.marked: Collection[BookingKey] = ()
        self.one_client = False  # the client column is left out
        self._layout_width = 0

    def show(self, rows: Sequence[QueueRow], width: int, *, keep: BookingKey | None = None) -> None:
        """Replace the rows; the cursor stays on `keep` (else the selected booking, else its index)."""
        current = self.selected()
        old_index = self.cursor_row
        keep = keep or (key_of(current.booking) if current is not None else None)
        self.rows = list(rows)
        if width != self._layout_width or not self.columns:
            self.relayout(width)
        else:
            self._rows_changed()
        index = min(old_index, max(0, len(self.rows) - 1))
        if keep is not None:
            index = next((i for i, r in enumerate(self.rows) if key_of(r.booking) == keep), index)
        self.move_cursor(index, force_message=True)

    def extend(self, rows: Sequence[QueueRow]) -> None:
        """More rows (the next page) after these; the cursor stays."""
        self.rows.extend(rows)
        self._rows_changed()

    @property
    def layout_width(self) -> int:
        """The width the columns were laid out for (0: not yet)."""
        return self._layout_width

    def relayout(self, width: int) -> None:
        self._layout_width = width
        self.set_columns(queue_columns(width, one_client=self.one_client), width)

    def repaint(self) -> None:
        self.refresh()

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def row_cells(self, index: int) -> Mapping[str, Cell]:
        row = self.rows[index]
        b = row.booking
        wide = self._layout_width >= WIDE
        gross_width = 13 if wide else 10
        mark = "■" if key_of(b) in self.marked else " "
        age = age_words(row.age_hours)
        age_cell: Cell = (
            (mark, "bold"),
            (" ", None),
            (f"{age}{'!' if row.past_sla else ''}", Tone.ALARM if row.past_sla else None),
        )
        return {
            "age": age_cell,
            "client": (row.client_code, None),
            "seller": (b.seller_name or b.seller_nip or "—", None),
            "gross": (format_amount(b.gross).rjust(gross_width), None),
            "status": (status_cell(b), STATUS_TONE[b.status]),
            "proposal": (
                proposal_words(b, wide=wide),
                Tone.MUTED if b.status is BookingStatus.EXCLUDED else None,
            ),
        }

    def selected(self) -> QueueRow | None:
        if not self.rows or not 0 <= self.cursor_row < len(self.rows):
            return None
        return self.rows[self.cursor_row]
