"""The booking form (issue 13 item 4): how one purchase invoice is booked, edited field by field.

The header: the VAT register (from the client's dictionaries), VAT period, cost period, description and
the accountant's note. Then one block per booking line (per VAT rate): the VAT deduction (full, 50 %, none
or a proportion with its %), the JPK group, the KPiR column, the tax-cost share, the GL account and its
contra account, the cost centre (MPK). Checked as you type: periods are YYYY-MM, percentages 0–100, and
an account outside the client's dictionary is allowed with a warning. Each line shows the VAT it
deducts and its tax cost, recomputed as you type. F2 saves and approves (`sync.bookings.save_booking`,
which also teaches the client's rule for this seller); Esc closes without saving.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from decimal import Decimal, InvalidOperation

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Grid, VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, Label, Select, Static
from textual.worker import Worker, WorkerState

from ksef_tui.core.bookings import (
    Booking,
    BookingLine,
    Decision,
    Deduction,
    Dictionaries,
    JpkGroup,
    KpirColumn,
)
from ksef_tui.core.i18n import _
from ksef_tui.core.money_format import format_amount
from ksef_tui.core.nip import format_nip
from ksef_tui.sync import bookings as booking_sync
from ksef_tui.ui.commands import RegistryKeys, bindings_for
from ksef_tui.ui.config import AppConfig
from ksef_tui.ui.messages import BookingsDecided
from ksef_tui.widgets.key_bar import KeyBar
from ksef_tui.widgets.queue_table import (
    DEDUCTION_WORDS,
    JPK_WORDS,
    KPIR_WORDS,
    deductible_vat,
    tax_cost,
)
from ksef_tui.widgets.safe_text import plain, safe_text

PERIOD_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def check_period(value: str) -> str:
    return "" if PERIOD_RE.match(value.strip()) else _("A period is YYYY-MM, e.g. 2026-11.")


def parse_pct(value: str) -> Decimal | None:
    """A percentage 0–100 ("76", "76,5"), else None."""
    try:
        number = Decimal(value.strip().rstrip("%").strip().replace(",", "."))
    except InvalidOperation:
        return None
    return number if number.is_finite() and 0 <= number <= 100 else None


def check_pct(value: str) -> str:
    return "" if parse_pct(value) is not None else _("A percentage from 0 to 100.")


def check_share(value: str) -> str:
    text = value.strip().rstrip("%").strip()
    return "" if text.isdigit() and 0 <= int(text) <= 100 else _("Tax cost share: a whole number 0–100.")


def account_warning(value: str, dictionaries: Dictionaries) -> str:
    code = value.strip()
    if not code or code in {c for c, _name in dictionaries.accounts}:
        return ""
    contra = dictionaries.contra_prefix + "-"
    if code.startswith(contra):
        return ""
    return _("account {code} is not in the client's chart (saved as typed)").format(code=code)


def _pct_text(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f").replace(".", ",")


class BookingFormScreen(RegistryKeys, Screen[Decision | None]):
    """Dismissed with the Decision saved, or None (Esc)."""

    SCOPE = "form"
    BINDINGS = bindings_for(SCOPE)
    CSS_PATH = "booking_form.tcss"

    def __init__(self, services: AppConfig, booking: Booking, dictionaries: Dictionaries) -> None:
        super().__init__()
        self.services = services
        self.booking = booking
        self.dictionaries = dictionaries

    # --- building ---------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        b = self.booking
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append(_("Booking"), style="bold")
        title.append(f" — {b.seller_name or '—'}")
        yield Static(safe_text(title), id="title")
        about = Text(no_wrap=True, overflow="ellipsis")
        if b.seller_nip:
            about.append(f"NIP {format_nip(b.seller_nip)} · ")
        about.append(
            f"{b.invoice_number or '—'} · " + _("gross {amount}").format(amount=format_amount(b.gross, "PLN"))
        )
        if b.reason:
            about.append(" · ")
            about.append(b.reason, style="italic")
        yield Static(safe_text(about), id="about")
        registers = list(self.dictionaries.registers)
        if b.vat_register and b.vat_register not in registers:
            registers.insert(0, b.vat_register)
        with VerticalScroll(id="body"):
            with Grid(classes="fields"):
                yield Label(_("VAT register"))
                yield Select(
                    [(r, r) for r in registers],
                    value=b.vat_register if b.vat_register else Select.NULL,
                    id="register",
                    compact=True,
                    prompt=_("choose"),
                )
                yield Label(_("VAT period"))
                yield Input(b.vat_period, id="vat_period", compact=True, placeholder="2026-11")
                yield Label(_("Cost period"))
                yield Input(b.cost_period, id="cost_period", compact=True, placeholder="2026-11")
                yield Label(_("Your note"))
                yield Input(b.note, id="note", compact=True)
            with Grid(classes="wide"):
                yield Label(_("Description"))
                yield Input(b.description, id="description", compact=True)
            yield Static("", id="header-error", classes="field-error")
            for i, line in enumerate(b.lines):
                yield from self._line_fields(i, line)
            yield Static("", id="message", classes="field-error")
            yield Static(plain(_("F2 saves and approves · Esc cancels")), classes="hint")
        yield KeyBar()

    def _line_fields(self, i: int, line: BookingLine) -> ComposeResult:
        rate = line.vat_rate if not line.vat_rate[:1].isdigit() else f"{line.vat_rate}%"
        head = _("Line {n}: VAT rate {rate} · net {net} · VAT {vat}").format(
            n=line.line_no, rate=rate, net=format_amount(line.net), vat=format_amount(line.vat)
        )
        yield Static(plain(head, style="bold"), classes="line-head")
        with Grid(classes="fields"):
            yield Label(_("Deduction"))
            yield Select(
                [(_(w), d.value) for d, w in DEDUCTION_WORDS.items()],
                value=line.deduction.value,
                allow_blank=False,
                id=f"deduction-{i}",
                compact=True,
            )
            yield Label(_("Proportion %"))
            yield Input(_pct_text(line.deduction_pct), id=f"pct-{i}", compact=True, placeholder="0–100")
            yield Label(_("JPK group"))
            yield Select(
                [(_(w), g.value) for g, w in JPK_WORDS.items()],
                value=line.jpk_group.value,
                allow_blank=False,
                id=f"jpk-{i}",
                compact=True,
            )
            yield Label(_("KPiR column"))
            yield Select(
                [(_(w), k.value) for k, w in KPIR_WORDS.items()],
                value=line.kpir_column.value,
                allow_blank=False,
                id=f"kpir-{i}",
                compact=True,
            )
            yield Label(_("GL account"))
            yield Input(line.gl_account, id=f"account-{i}", compact=True, placeholder="402-01")
            yield Label(_("Contra account"))
            yield Input(line.gl_contra, id=f"contra-{i}", compact=True, placeholder="202-…")
            yield Label(_("Cost centre"))
            yield Input(line.cost_centre, id=f"mpk-{i}", compact=True)
            yield Label(_("Tax cost %"))
            yield Input(str(line.cost_share_pct), id=f"share-{i}", compact=True, placeholder="100")
        yield Static("", id=f"derived-{i}", classes="derived")

    def on_mount(self) -> None:
        for i in range(len(self.booking.lines)):
            self._line_changed(i)
        self._header_changed()
        self.query_one("#register", Select).focus()

    # --- reading the fields ----------------------------------------------------------------------

    def _value(self, field_id: str) -> str:
        return self.query_one(f"#{field_id}", Input).value

    def _select(self, field_id: str) -> str:
        value = self.query_one(f"#{field_id}", Select).value
        return "" if value is Select.NULL else str(value)

    def _line_errors(self, i: int) -> dict[str, str]:
        errors: dict[str, str] = {}
        proportion = self._select(f"deduction-{i}") == Deduction.PROPORTION.value
        if proportion and (error := check_pct(self._value(f"pct-{i}"))):
            errors[f"pct-{i}"] = error
        if error := check_share(self._value(f"share-{i}")):
            errors[f"share-{i}"] = error
        return errors

    def _header_errors(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        for field in ("vat_period", "cost_period"):
            if error := check_period(self._value(field)):
                errors[field] = error
        if not self._select("register"):
            errors["register"] = _("Choose the VAT register.")
        return errors

    def _edited_line(self, i: int) -> BookingLine:
        """Line `i` as the fields say (only call when `_line_errors(i)` is empty, or for display)."""
        line = self.booking.lines[i]
        deduction = Deduction(self._select(f"deduction-{i}") or line.deduction.value)
        pct = parse_pct(self._value(f"pct-{i}")) if deduction is Deduction.PROPORTION else None
        share_text = self._value(f"share-{i}").strip().rstrip("%").strip()
        share = int(share_text) if share_text.isdigit() and int(share_text) <= 100 else line.cost_share_pct
        return dataclasses.replace(
            line,
            deduction=deduction,
            deduction_pct=pct,
            jpk_group=JpkGroup(self._select(f"jpk-{i}") or line.jpk_group.value),
            kpir_column=KpirColumn(self._select(f"kpir-{i}") or line.kpir_column.value),
            cost_share_pct=share,
            gl_account=self._value(f"account-{i}").strip(),
            gl_contra=self._value(f"contra-{i}").strip(),
            cost_centre=self._value(f"mpk-{i}").strip(),
        )

    def edited(self) -> Booking:
        return dataclasses.replace(
            self.booking,
            vat_register=self._select("register"),
            vat_period=self._value("vat_period").strip(),
            cost_period=self._value("cost_period").strip(),
            description=self._value("description").strip(),
            note=self._value("note").strip(),
            lines=tuple(self._edited_line(i) for i in range(len(self.booking.lines))),
        )

    # --- as you type -----------------------------------------------------------------------------

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self, event: Input.Changed | Select.Changed) -> None:
        field_id = event.control.id or ""
        suffix = field_id.rpartition("-")[2]
        if suffix.isdigit():
            self._line_changed(int(suffix))
        else:
            self._header_changed()

    def _header_changed(self) -> None:
        errors = self._header_errors()
        self.query_one("#header-error", Static).update(plain(" · ".join(errors.values())))

    def _line_changed(self, i: int) -> None:
        if i >= len(self.booking.lines):
            return
        pct_field = self.query_one(f"#pct-{i}", Input)
        pct_field.disabled = self._select(f"deduction-{i}") != Deduction.PROPORTION.value
        errors = self._line_errors(i)
        out = Text()
        if not errors:
            line = self._edited_line(i)
            out.append(
                _("deducted VAT {vat} · tax cost {cost}").format(
                    vat=format_amount(deductible_vat(line)), cost=format_amount(tax_cost(line))
                ),
                style="green",
            )
        else:
            out.append(" · ".join(errors.values()), style="bold red")
        warnings = [
            w
            for w in (
                account_warning(self._value(f"account-{i}"), self.dictionaries),
                account_warning(self._value(f"contra-{i}"), self.dictionaries),
            )
            if w
        ]
        if warnings:
            out.append("  ")
            out.append("; ".join(warnings), style="yellow")
        self.query_one(f"#derived-{i}", Static).update(safe_text(out))

    # --- saving ----------------------------------------------------------------------------------

    def action_save(self) -> None:
        errors = self._header_errors()
        for i in range(len(self.booking.lines)):
            errors |= self._line_errors(i)
        if errors:
            self._header_changed()
            for i in range(len(self.booking.lines)):
                self._line_changed(i)
            self.query_one("#message", Static).update(plain(_("Not saved: correct the fields marked above.")))
            first = next(iter(errors))
            self.query_one(f"#{first}").focus()
            return
        self._save(self.edited())

    @work(exclusive=True, group="booking-save", exit_on_error=False)
    async def _save(self, booking: Booking) -> None:
        store = self.services.store
        assert store is not None
        decision = await asyncio.to_thread(
            booking_sync.save_booking, store, booking, store.operator, self.services.clock, approve=True
        )
        self.post_message(BookingsDecided(decision))

    def on_bookings_decided(self, message: BookingsDecided) -> None:
        self.dismiss(message.decision)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.query_one("#message", Static).update(
                plain(_("Not saved: {reason}").format(reason=event.worker.error))
            )

    def action_cancel(self) -> None:
        self.dismiss(None)
