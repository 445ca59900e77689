"""The approval queue (issue 13 item 4): a proposed booking for every purchase invoice, approved by the
hundred from the keyboard.

Open bookings of every client (from the board, or F4 anywhere) or of one client (the client screen),
oldest first with the age shown (red with "!" past the office's SLA). The proposed booking of the row
under the cursor is shown under the table: the reason, what asks for a look, one line per VAT rate.

Keys (the registry, ui/commands.py): space marks, `*` marks every row shown with confidence at or over a
threshold (asked, 90 by default; never the ones needing review), `a` approves the marked after one
question with their count and gross sum, `e` opens the booking form, `x` excludes (asks why), `r` sends
back to review, `u` undoes the last step and `U` redoes it (a stack of Decisions, several levels), `n`/`N`
jump to the next/previous invoice needing review, Enter/`i` opens the invoice in the inspector, `/`
filters as you type, `s`/`p`/`o`/`c` cycle status, strength, period and client, `R` the rules, `E` opens
the export dialog (screens/export_dialog.py) for the queue's client and period.

Rows come in pages (500) from `sync.bookings.load_queue` in a thread; the table draws only the rows on
screen, and the next page is read when the cursor nears the end of the rows loaded.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime
from decimal import Decimal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState

from ksef_tui.core.bookings import (
    OPEN_STATUSES,
    Booking,
    BookingStatus,
    Decision,
    QueueSettings,
    Strength,
)
from ksef_tui.core.clock import WARSAW
from ksef_tui.core.i18n import N_, _, ngettext
from ksef_tui.core.money_format import format_amount
from ksef_tui.screens.invoice_opening import InvoiceOpening
from ksef_tui.screens.queue_dialogs import AskScreen, ConfirmScreen, check_reason, check_threshold
from ksef_tui.sync import bookings as booking_sync
from ksef_tui.sync.bookings import BookingKey, QueueFilter, QueuePage
from ksef_tui.ui.commands import RegistryKeys, bindings_for
from ksef_tui.ui.config import AppConfig
from ksef_tui.ui.messages import (
    BookingFormReady,
    BookingsDecided,
    BookingsUndone,
    QueueLoaded,
    QueueMarkable,
)
from ksef_tui.widgets.key_bar import KeyBar
from ksef_tui.widgets.line_table import LineTable
from ksef_tui.widgets.queue_table import (
    STATUS_GLYPH,
    STATUS_TONE,
    STRENGTH_WORDS,
    QueueTable,
    booking_detail,
    key_of,
)
from ksef_tui.widgets.safe_text import plain, safe_text
from ksef_tui.widgets.tones import Tone, tone_style

PAGE = 500  # rows read at a time
# The screen's very first page: what fills a wide terminal, read before the rest of the page (unsealing
# 60 bookings is ~10 ms, 500 ~40 ms: the difference was most of the first paint, docs/PERFORMANCE.md).
FIRST_PAGE = 60
MORE_BEFORE_END = 50  # the next page is read when the cursor comes this close to the last row loaded
DEFAULT_THRESHOLD = 90

STATUS_CYCLE: tuple[tuple[frozenset[BookingStatus], str], ...] = (
    (OPEN_STATUSES, N_("open invoices")),
    (frozenset({BookingStatus.NEEDS_REVIEW}), N_("only to review")),
    (frozenset({BookingStatus.PROPOSED}), N_("only proposed")),
    (frozenset({BookingStatus.APPROVED}), N_("only approved")),
    (frozenset({BookingStatus.EXCLUDED}), N_("only excluded")),
)
STRENGTH_CYCLE: tuple[Strength | None, ...] = (
    None,
    Strength.SELLER_ITEMS,
    Strength.SELLER,
    Strength.PATTERN,
    Strength.NONE,
)
ACTION_WORDS = {
    "approve": N_("approval"),
    "edit": N_("booking edit"),
    "exclude": N_("exclusion"),
    "reject": N_("return to review"),
}
COUNT_WORDS = {  # the header's counts: "? do przejrzenia: 6"
    BookingStatus.NEEDS_REVIEW: N_("to review: {n}"),
    BookingStatus.PROPOSED: N_("proposed: {n}"),
    BookingStatus.NEW: N_("new: {n}"),
    BookingStatus.APPROVED: N_("approved: {n}"),
    BookingStatus.EXCLUDED: N_("excluded: {n}"),
    BookingStatus.EXPORTED: N_("exported: {n}"),
}
COUNT_ORDER = (
    BookingStatus.NEEDS_REVIEW,
    BookingStatus.PROPOSED,
    BookingStatus.NEW,
    BookingStatus.APPROVED,
    BookingStatus.EXCLUDED,
    BookingStatus.EXPORTED,
)


def invoices(n: int) -> str:
    return ngettext("{n} invoice", "{n} invoices", n).format(n=n)


def month_of(at: datetime, back: int = 0) -> str:
    local = at.astimezone(WARSAW)
    index = local.year * 12 + local.month - 1 - back
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


class QueueScreen(InvoiceOpening, RegistryKeys, Screen[bool | None]):
    """Dismissed with True when something was decided here (the screen below reloads), else None."""

    SCOPE = "queue"
    KEEP_ON_LOCK = True  # a view: back as it was after a lock
    BINDINGS = bindings_for(SCOPE)
    CSS_PATH = "queue.tcss"
    invoice_group = "queue-invoice"

    def __init__(self, services: AppConfig, client_id: int | None = None) -> None:
        super().__init__()
        self.services = services
        self.client_id = client_id  # None: every client
        self.narrowed_to: int | None = None  # `c`: one client of the all-clients queue
        self.status_index = 0
        self.strength_index = 0
        self.period_index = 0
        self.page: QueuePage | None = None
        self.settings = QueueSettings()
        self.marked: dict[BookingKey, Decimal] = {}  # key -> gross, for the sum the approval asks about
        self.undo_stack: list[Decision] = []
        self.redo_stack: list[Decision] = []
        self.changed = False
        self._load_worker: Worker[None] | None = None
        self._more_worker: Worker[None] | None = None
        self._busy = False  # a decision is being written: keys that write wait for it
        self._keep: BookingKey | None = None  # the booking the cursor goes back to after a reload
        self._warmed = False  # the filter's warm-up was started
        self._topping_up = False  # the rest of the first page is about to be read
        self._detail_text: Text | None = None  # what the detail panel shows

    def compose(self) -> ComposeResult:
        yield Static("", id="title")
        yield Static("", id="filters")
        yield QueueTable(id="queue")
        yield Static("", id="detail")
        yield KeyBar()

    def on_mount(self) -> None:
        self.table.one_client = self.client_id is not None
        self.table.focus()
        self._first_page()

    def _first_page(self) -> None:
        """The first FIRST_PAGE rows, read here before the first paint (~2 ms; a worker's thread hop
        competed with the paints of an empty table and cost more); the rest of the page follows."""
        store = self.services.store
        assert store is not None
        try:
            settings = booking_sync.queue_settings(store)
            screenful = max(20, min(FIRST_PAGE, self.app.size.height))  # the rows the table can show
            flt, clock = self.queue_filter(), self.services.clock
            page = booking_sync.load_queue(store, flt, clock, limit=screenful, settings=settings)
        except Exception as exc:  # as the workers do: a message, the screen stays
            error = _("Could not read the queue: {error}").format(error=exc)
            self.notify(error, severity="error", markup=False)
            return
        self.on_queue_loaded(QueueLoaded(page, settings=settings))

    # --- the filter ------------------------------------------------------------------------------

    @property
    def table(self) -> QueueTable:
        return self.query_one(QueueTable)

    def _filter_field(self) -> Input | None:
        """The filter line, mounted at the first `/` (one widget fewer in the first paint)."""
        return next(iter(self.query("#filter").results(Input)), None)

    def _query(self) -> str:
        field = self._filter_field()
        return field.value.strip() if field is not None and field.display else ""

    def queue_filter(self) -> QueueFilter:
        client = self.client_id if self.client_id is not None else self.narrowed_to
        period = ("", month_of(self.services.clock()), month_of(self.services.clock(), 1))[self.period_index]
        return QueueFilter(
            client_ids=None if client is None else [client],
            statuses=STATUS_CYCLE[self.status_index][0],
            text=self._query(),
            strength=STRENGTH_CYCLE[self.strength_index],
            vat_period=period,
        )

    # --- data ------------------------------------------------------------------------------------

    def reload(self, keep: BookingKey | None = None) -> None:
        self._keep = keep
        self._load_worker = self._load(self.queue_filter())

    @work(exclusive=True, group="queue-load", exit_on_error=False)
    async def _load(self, flt: QueueFilter) -> None:
        store = self.services.store
        assert store is not None
        first = self.page is None

        def read() -> tuple[QueuePage, QueueSettings | None]:  # one thread hop for both
            settings = booking_sync.queue_settings(store) if first else None
            limit = FIRST_PAGE if first else PAGE
            page = booking_sync.load_queue(store, flt, self.services.clock, limit=limit, settings=settings)
            return page, settings

        page, settings = await asyncio.to_thread(read)
        self.post_message(QueueLoaded(page, settings=settings))

    @work(exclusive=True, group="queue-more", exit_on_error=False)
    async def _load_more(self, flt: QueueFilter, offset: int, limit: int = PAGE) -> None:
        store = self.services.store
        assert store is not None
        page = await asyncio.to_thread(
            booking_sync.load_queue, store, flt, self.services.clock, offset=offset, limit=limit
        )
        self.post_message(QueueLoaded(page, append=True, flt=flt))

    @work(exclusive=True, group="queue-warm", exit_on_error=False)
    async def _warm(self, flt: QueueFilter) -> None:
        store = self.services.store
        if store is not None:
            try:
                await asyncio.to_thread(booking_sync.warm_queue, store, flt)
            except Exception:  # only a head start: the filter unseals what it needs itself
                return

    def on_unmount(self) -> None:
        store = self.services.store
        if store is not None:
            booking_sync.forget_queue(store)

    def on_queue_loaded(self, message: QueueLoaded) -> None:
        if message.settings is not None:
            self.settings = message.settings
        if message.append:
            if message.filter is not None and message.filter != self.queue_filter():
                return  # read for a filter since changed: its rows belong to no table shown
            if self.page is not None and message.page.rows:
                self.table.extend(message.page.rows)
            self._warm_once()
            return
        if self._more_worker is not None and self._more_worker.is_running:
            self._more_worker.cancel()
        self.page = message.page
        self.table.show(message.page.rows, self.size.width or self.app.size.width, keep=self._keep)
        self._keep = None
        self._update_header()
        self._show_detail()  # now, in the same paint (the cursor's Highlighted message follows later)
        loaded = len(message.page.rows)
        if message.settings is not None and loaded < min(PAGE, message.page.total):
            # The first, short page is on screen: the rest of a whole page is read behind it, then the
            # warm-up (it holds the store for a second: the rows first).
            self._topping_up = True
            self.call_after_refresh(self._top_up, loaded)
        else:
            self._warm_once()

    def prepared(self) -> None:
        """The demo's queue is ready (the board says so): what this screen shows was read half way."""
        self.reload(keep=None)
        self.notify(_("The approval queue is ready."))

    def _top_up(self, loaded: int) -> None:
        self._topping_up = False
        if self.table.row_count == loaded:  # nothing else was read meanwhile (a filter typed, scrolling)
            self._more_worker = self._load_more(self.queue_filter(), loaded, PAGE - loaded)

    def _warm_once(self) -> None:
        """Unseal every candidate for the filter in a thread, once, after the first paint."""
        if not self._warmed:
            self._warmed = True
            self.call_after_refresh(lambda: self._warm(self.queue_filter()))

    def _maybe_more(self) -> None:
        page, table = self.page, self.table
        if page is None or table.row_count >= page.total or self._topping_up:
            return  # (the first screenful's own top-up is on its way: not a second read of the same rows)
        if table.cursor_row < table.row_count - MORE_BEFORE_END:
            return
        if self._more_worker is not None and self._more_worker.is_running:
            return
        self._more_worker = self._load_more(self.queue_filter(), table.row_count)

    # --- header, detail ------------------------------------------------------------------------

    def _update_header(self) -> None:
        page = self.page
        title = Text()
        title.append(_("Queue"), style="bold")
        if page is not None:
            title.append(f" ({page.total})")
            for status in COUNT_ORDER:
                n = page.counts.get(status, 0)
                if n:
                    title.append(
                        f"  {STATUS_GLYPH[status]} " + _(COUNT_WORDS[status]).format(n=n),
                        style=tone_style(STATUS_TONE[status], self.app.no_color),
                    )
            if page.past_sla:
                title.append("  ")
                title.append(
                    _("! past the {hours} h SLA: {n}").format(n=page.past_sla, hours=self.settings.sla_hours),
                    style=tone_style(Tone.ALARM, self.app.no_color),
                )
        self.query_one("#title", Static).update(safe_text(title))
        self._update_filters()

    def _update_filters(self) -> None:
        line = Text()
        parts: list[str] = []
        if self.client_id is not None or self.narrowed_to is not None:
            code = self._client_code(self.client_id if self.client_id is not None else self.narrowed_to)
            parts.append(_("client {code}").format(code=code))
        else:
            parts.append(_("every client"))
        parts.append(_(STATUS_CYCLE[self.status_index][1]))
        strength = STRENGTH_CYCLE[self.strength_index]
        if strength is not None:
            parts.append(_(STRENGTH_WORDS[strength]))
        flt_period = self.queue_filter().vat_period
        if flt_period:
            parts.append(_("VAT period {period}").format(period=flt_period))
        query = self._query()
        if query:
            parts.append(_("“{query}”").format(query=query))
        line.append(" · ".join(parts), style="italic")
        if self.marked:
            line.append("  ")
            line.append(
                _("marked {n}: {gross}").format(
                    n=len(self.marked), gross=format_amount(sum(self.marked.values(), Decimal("0.00")), "PLN")
                ),
                style="bold",
            )
        elif self.services.queue_preparing:  # the demo's start: last month still being decided
            line.append("  " + _("the demo is preparing the queue: it reloads when ready"), style="dim")
        elif self.page is not None and self.page.total:
            line.append("  " + _("space marks · * marks the sure ones · a approves"), style="dim")
        self.query_one("#filters", Static).update(safe_text(line))

    def _client_code(self, client_id: int | None) -> str:
        for row in self.table.rows:
            if row.booking.client_id == client_id:
                return row.client_code
        return str(client_id)

    def _show_detail(self) -> None:
        row = self.table.selected()
        if row is None:
            narrowed = self._query() or self.status_index or self.strength_index or self.period_index
            if self.page is not None and self.page.total == 0 and not (narrowed or self.narrowed_to):
                text = plain(_("Nothing waiting here: every invoice of this view is decided."))
            else:
                text = plain(_("No invoice matches the filters (s, p, o, c and / change them)."))
        else:
            text = safe_text(booking_detail(row, sla_hours=self.settings.sla_hours))
        if text != self._detail_text:  # the cursor's Highlighted repeats what the rows' arrival showed:
            self._detail_text = text  # an update lays the screen out again (the panel's height is auto)
            self.query_one("#detail", Static).update(text)

    @on(LineTable.Highlighted, "#queue")
    def _highlighted(self) -> None:
        self._show_detail()
        self._maybe_more()

    @on(LineTable.Selected, "#queue")
    def _clicked_again(self) -> None:
        self.action_open_invoice()

    def on_resize(self) -> None:
        if self.size.width != self.table.layout_width:  # (shown again at the same size: nothing to lay out)
            self.table.relayout(self.size.width)

    # --- filters ---------------------------------------------------------------------------------

    def action_filter(self) -> None:
        field = self._filter_field()
        if field is None:
            placeholder = _("Filter: seller, NIP, invoice or KSeF number, amount (Esc clears)")
            field = Input(placeholder=placeholder, id="filter")
            self.mount(field, before=self.table)
        field.display = True
        field.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        self._update_filters()
        self.reload()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.table.focus()

    def action_cycle_status(self) -> None:
        self.status_index = (self.status_index + 1) % len(STATUS_CYCLE)
        self.reload()

    def action_cycle_strength(self) -> None:
        self.strength_index = (self.strength_index + 1) % len(STRENGTH_CYCLE)
        self.reload()

    def action_cycle_period(self) -> None:
        self.period_index = (self.period_index + 1) % 3
        self.reload()

    def action_toggle_client(self) -> None:
        if self.client_id is not None:
            self.notify(_("This queue shows one client already."), severity="warning")
            return
        if self.narrowed_to is not None:
            self.narrowed_to = None
        elif (row := self.table.selected()) is not None:
            self.narrowed_to = row.booking.client_id
        self.reload()

    def action_back(self) -> None:
        field = self._filter_field()
        if field is not None and field.display:
            field.value = ""
            field.display = False
            self.table.focus()
            self.reload()
            return
        self.dismiss(True if self.changed else None)

    # --- marks -----------------------------------------------------------------------------------

    def _repaint_marks(self) -> None:
        self.table.marked = self.marked.keys()
        self.table.repaint()
        self._update_filters()

    def action_toggle_mark(self) -> None:
        row = self.table.selected()
        if row is None:
            return
        key = key_of(row.booking)
        if key in self.marked:
            del self.marked[key]
        elif row.booking.status in OPEN_STATUSES:
            self.marked[key] = row.booking.gross
        else:
            self.notify(_("Only open invoices can be marked."), severity="warning")
        self._repaint_marks()
        self.table.move_cursor(self.table.cursor_row + 1)

    def action_clear_marks(self) -> None:
        self.marked.clear()
        self._repaint_marks()

    def action_mark_confident(self) -> None:
        def asked(value: str | None) -> None:
            if value is not None:
                self._find_markable(int(value.strip().rstrip("%").strip()))

        self.app.push_screen(
            AskScreen(
                _("Mark the sure ones"),
                _("Mark every proposed invoice shown with confidence at or above (%):"),
                str(DEFAULT_THRESHOLD),
                check_threshold,
            ),
            callback=asked,
        )

    @work(exclusive=True, group="queue-mark", exit_on_error=False)
    async def _find_markable(self, threshold: int) -> None:
        store = self.services.store
        assert store is not None
        flt = self.queue_filter()
        # Never the ones needing review: those are never approved without a look (issue 13 item 2).
        statuses = flt.statuses & {BookingStatus.PROPOSED}
        keys: list[BookingKey] = []
        gross: dict[BookingKey, object] = {}
        if statuses:
            flt = dataclasses.replace(flt, statuses=frozenset(statuses), min_confidence=threshold)
            total = self.page.total if self.page is not None else PAGE
            page = await asyncio.to_thread(
                booking_sync.load_queue, store, flt, self.services.clock, limit=max(total, PAGE)
            )
            for row in page.rows:
                if row.booking.confidence >= threshold and row.booking.status is BookingStatus.PROPOSED:
                    keys.append(key_of(row.booking))
                    gross[key_of(row.booking)] = row.booking.gross
        self.post_message(QueueMarkable(keys, gross, threshold))

    def on_queue_markable(self, message: QueueMarkable) -> None:
        for key in message.keys:
            value = message.gross[key]
            self.marked[key] = value if isinstance(value, Decimal) else Decimal(str(value))
        self._repaint_marks()  # the line over the table says how many and their sum
        if not message.keys:
            self.notify(
                _("No proposed invoice shown has confidence of at least {pct}%.").format(
                    pct=message.threshold
                ),
                severity="warning",
            )

    # --- decisions -----------------------------------------------------------------------------

    def _targets(self) -> list[BookingKey]:
        """The marked invoices, else the one under the cursor."""
        if self.marked:
            return list(self.marked)
        row = self.table.selected()
        return [key_of(row.booking)] if row is not None else []

    def _ready(self) -> bool:
        if self._busy:
            self.notify(_("Wait: the last step is still being saved."), severity="warning")
            return False
        return True

    def action_approve_marked(self) -> None:
        if not self._ready():
            return
        if self.marked:
            keys, total = list(self.marked), sum(self.marked.values(), Decimal("0.00"))
        else:
            row = self.table.selected()
            if row is None or row.booking.status not in OPEN_STATUSES:
                self.notify(
                    _("Mark the invoices to approve (space, or * for the sure ones)."), severity="warning"
                )
                return
            keys, total = [key_of(row.booking)], row.booking.gross

        def answered(yes: bool | None) -> None:
            if yes:
                self._decide("approve", keys)

        self.app.push_screen(
            ConfirmScreen(
                ngettext("Approve {n} invoice?", "Approve {n} invoices?", len(keys)).format(n=len(keys)),
                _("{what}, gross {gross} together, approved as proposed. u undoes it.").format(
                    what=invoices(len(keys)), gross=format_amount(total, "PLN")
                ),
            ),
            callback=answered,
        )

    def action_exclude(self) -> None:
        if not self._ready():
            return
        keys = self._targets()
        if not keys:
            return

        def asked(reason: str | None) -> None:
            if reason:
                self._decide("exclude", keys, reason=reason)

        self.app.push_screen(
            AskScreen(
                _("Exclude {what}").format(what=invoices(len(keys))),
                _("Not the client's cost. Why (kept in the audit log)?"),
                _("private purchase"),
                check_reason,
            ),
            callback=asked,
        )

    def action_reject(self) -> None:
        if not self._ready():
            return
        if keys := self._targets():
            self._decide("reject", keys)

    def _decide(self, action: str, keys: list[BookingKey], *, reason: str = "") -> None:
        self._busy = True
        self._write(action, keys, reason)

    @work(exclusive=True, group="queue-decide", exit_on_error=False)
    async def _write(self, action: str, keys: list[BookingKey], reason: str) -> None:
        store = self.services.store
        assert store is not None
        by, clock = store.operator, self.services.clock
        if action == "approve":
            decision = await asyncio.to_thread(booking_sync.approve, store, keys, by, clock)
        elif action == "exclude":
            decision = await asyncio.to_thread(booking_sync.exclude, store, keys, reason, by, clock)
        else:
            decision = await asyncio.to_thread(booking_sync.reject, store, keys, by, clock)
        self.post_message(BookingsDecided(decision))

    def on_bookings_decided(self, message: BookingsDecided) -> None:
        self._busy = False
        self.changed = True
        decision = message.decision
        self.undo_stack.append(decision)
        if not message.redo:
            self.redo_stack.clear()
        for booking in decision.after:
            self.marked.pop(key_of(booking), None)
        self.table.marked = self.marked.keys()
        self.notify(self._decided_words(decision) + " " + _("(u undoes)"))
        self.reload()

    def _decided_words(self, decision: Decision) -> str:
        n = len(decision.after)
        if decision.action == "approve":
            return _("Approved {what}.").format(what=invoices(n))
        if decision.action == "edit":
            if decision.after and decision.after[0].status is BookingStatus.APPROVED:
                return _("Booking saved and approved.")
            return _("Booking saved.")
        if decision.action == "exclude":
            return _("Excluded {what}.").format(what=invoices(n))
        return _("Sent {what} back to review.").format(what=invoices(n))

    # --- undo, redo ------------------------------------------------------------------------------

    def action_undo(self) -> None:
        if not self._ready():
            return
        if not self.undo_stack:
            self.notify(_("Nothing to undo."), severity="warning")
            return
        self._busy = True
        self._undo(self.undo_stack.pop())

    @work(exclusive=True, group="queue-decide", exit_on_error=False)
    async def _undo(self, decision: Decision) -> None:
        store = self.services.store
        assert store is not None
        await asyncio.to_thread(booking_sync.undo, store, decision, store.operator, self.services.clock)
        self.post_message(BookingsUndone(decision))

    def on_bookings_undone(self, message: BookingsUndone) -> None:
        self._busy = False
        self.changed = True
        decision = message.decision
        self.redo_stack.append(decision)
        what = _(ACTION_WORDS.get(decision.action, decision.action))
        self.notify(
            _("Undone: {what} ({invoices}). U redoes it.").format(
                what=what, invoices=invoices(len(decision.before))
            )
        )
        self.reload(keep=key_of(decision.before[0]) if decision.before else None)

    def action_redo(self) -> None:
        if not self._ready():
            return
        if not self.redo_stack:
            self.notify(_("Nothing to redo."), severity="warning")
            return
        self._busy = True
        self._redo(self.redo_stack.pop())

    @work(exclusive=True, group="queue-decide", exit_on_error=False)
    async def _redo(self, decision: Decision) -> None:
        """The same step again, through the same use case (so it is audited and learnt like the first)."""
        store = self.services.store
        assert store is not None
        by, clock = store.operator, self.services.clock
        keys = [key_of(b) for b in decision.after]
        if decision.action == "approve":
            again = await asyncio.to_thread(booking_sync.approve, store, keys, by, clock)
        elif decision.action == "exclude":
            reason = decision.after[0].excluded_reason if decision.after else ""
            again = await asyncio.to_thread(booking_sync.exclude, store, keys, reason, by, clock)
        elif decision.action == "reject":
            again = await asyncio.to_thread(booking_sync.reject, store, keys, by, clock)
        else:
            booking = decision.after[0]
            again = await asyncio.to_thread(
                booking_sync.save_booking,
                store,
                booking,
                by,
                clock,
                approve=booking.status is BookingStatus.APPROVED,
            )
        self.post_message(BookingsDecided(again, redo=True))

    # --- moving ----------------------------------------------------------------------------------

    def _jump_review(self, step: int) -> None:
        table = self.table
        rows = table.rows
        index = table.cursor_row + step
        while 0 <= index < len(rows):
            if rows[index].booking.status is BookingStatus.NEEDS_REVIEW:
                table.move_cursor(index)
                return
            index += step
        self.notify(_("No more invoices needing review this way."), severity="information")

    def action_next_review(self) -> None:
        self._jump_review(1)

    def action_previous_review(self) -> None:
        self._jump_review(-1)

    # --- the form, the rules, the inspector ------------------------------------------------------

    def action_edit(self) -> None:
        if not self._ready():
            return
        row = self.table.selected()
        if row is None:
            return
        if row.booking.status is BookingStatus.EXPORTED:
            self.notify(_("An exported booking cannot be changed here."), severity="warning")
            return
        self._open_form(row.booking)

    @work(exclusive=True, group="queue-form", exit_on_error=False)
    async def _open_form(self, booking: Booking) -> None:
        store = self.services.store
        assert store is not None
        dictionaries = await asyncio.to_thread(booking_sync.dictionaries, store, booking.client_id)
        self.post_message(BookingFormReady(booking, dictionaries))

    def on_booking_form_ready(self, message: BookingFormReady) -> None:
        from ksef_tui.screens.booking_form import BookingFormScreen

        def saved(decision: Decision | None) -> None:
            if decision is not None:
                self.post_message(BookingsDecided(decision))

        self.app.push_screen(
            BookingFormScreen(self.services, message.booking, message.dictionaries), callback=saved
        )

    def action_rules(self) -> None:
        from ksef_tui.screens.rules import RulesScreen

        row = self.table.selected()
        client_id = self.client_id if self.client_id is not None else row.booking.client_id if row else None
        if client_id is None:
            self.notify(_("Select an invoice first."), severity="warning")
            return
        code = next((r.client_code for r in self.table.rows if r.booking.client_id == client_id), "")
        names = {
            r.booking.seller_nip: r.booking.seller_name
            for r in self.table.rows
            if r.booking.client_id == client_id
        }
        self.app.push_screen(RulesScreen(self.services, client_id, client_code=code, seller_names=names))

    def action_export(self) -> None:
        """The export dialog for the queue's client (own queue, or narrowed with `c`) and period filter;
        on the all-clients queue, for the client under the cursor, with the client to pick."""
        from ksef_tui.screens.export_dialog import ExportDialog

        client = self.client_id if self.client_id is not None else self.narrowed_to
        fixed = client is not None
        if client is None and (row := self.table.selected()) is not None:
            client = row.booking.client_id
        period = self.queue_filter().vat_period or month_of(self.services.clock(), 1)

        def done(written: bool | None) -> None:
            if written:
                self.changed = True
                self.reload()

        self.app.push_screen(
            ExportDialog(self.services, client, period=period, client_fixed=fixed), callback=done
        )

    def action_open_invoice(self) -> None:
        row = self.table.selected()
        if row is None:
            self.notify(_("Select an invoice first."), severity="warning")
            return
        self.open_stored_invoice(row.booking.client_id, row.booking.ksef_number)

    def _invoice_downloading(self) -> None:  # the queue has no progress line: a toast says it
        self.notify(_("Downloading the invoice from KSeF…"))

    def _invoice_downloaded(self) -> None:
        pass

    # --- failures ----------------------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        group = event.worker.group
        if group == "queue-decide":
            self._busy = False
            message = _("Not saved: {error}").format(error=event.worker.error)
        elif group in ("queue-load", "queue-more"):
            message = _("Could not read the queue: {error}").format(error=event.worker.error)
        else:
            message = _("Stopped: {error}").format(error=event.worker.error)
        self.notify(message, severity="error", markup=False)
