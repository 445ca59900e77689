"""Booking rules (issue 13 item 3): one client's rules and the office-wide ones, as learnt from approvals
(or written here). Each row: the seller, what narrows the rule (line text or code, document kind, gross
range), what it books as, and its confirmations/overrides. `e` edits a rule in a small form, `d`
deletes it after a question. `o` lists the office rules on offer (a seller booked the same way by at
least three clients' rules) and creates the chosen one after a question. Rules never rewrite approved
or exported bookings (the use cases see to that); a change here shapes the next proposals.

Opened from the queue (`R`, the selected invoice's client) and from the client screen (`r`).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from ksef_tui.core.bookings import Deduction, KpirColumn, Rule
from ksef_tui.core.i18n import _
from ksef_tui.core.nip import format_nip
from ksef_tui.screens.booking_form import check_share, parse_pct
from ksef_tui.screens.queue_dialogs import ConfirmScreen
from ksef_tui.sync import bookings as booking_sync
from ksef_tui.ui.commands import RegistryKeys, bindings_for
from ksef_tui.ui.config import AppConfig
from ksef_tui.ui.messages import RecordSaved, RulesLoaded
from ksef_tui.widgets.key_bar import KeyBar
from ksef_tui.widgets.line_table import LineTable
from ksef_tui.widgets.queue_table import DEDUCTION_WORDS, KPIR_WORDS, template_words
from ksef_tui.widgets.rule_table import RuleTable, narrowed, narrowing_words
from ksef_tui.widgets.safe_text import plain, safe_text

KEEP = "keep"  # a Select value: the rule leaves this as drafted


class RulesScreen(RegistryKeys, Screen[None]):
    SCOPE = "rules"
    KEEP_ON_LOCK = True  # a view: back as it was after a lock
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    RulesScreen #title { height: 1; padding: 0 1; background: $primary-darken-3; }
    RulesScreen #offer { height: auto; padding: 0 1; color: $warning; display: none; }
    RulesScreen #offer.shown { display: block; }
    RulesScreen #detail { height: auto; max-height: 5; padding: 0 1; border-top: solid $primary-darken-2; }
    """

    def __init__(
        self,
        services: AppConfig,
        client_id: int,
        *,
        client_code: str = "",
        seller_names: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.services = services
        self.client_id = client_id
        self.client_code = client_code
        self.seller_names = dict(seller_names or {})
        self.rules: list[Rule] = []
        self.candidates: list[Any] = []  # core.booking_rules.OfficeRuleCandidate

    def compose(self) -> ComposeResult:
        yield Static("", id="title")
        yield Static("", id="offer")
        yield RuleTable(id="rules")
        yield Static("", id="detail")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(RuleTable)
        table.client_code = self.client_code or _("client")
        table.seller_names = self.seller_names
        table.focus()
        self.reload()

    def reload(self) -> None:
        self._load()

    @work(exclusive=True, group="rules-load", exit_on_error=False)
    async def _load(self) -> None:
        store = self.services.store
        assert store is not None
        own = await asyncio.to_thread(booking_sync.list_rules, store, self.client_id)
        office = await asyncio.to_thread(booking_sync.list_rules, store, None)
        rules = [r for r in own if r.client_id == self.client_id] + [r for r in office if r.client_id is None]
        self.candidates = await asyncio.to_thread(booking_sync.office_rule_candidates, store)
        self.post_message(RulesLoaded(rules))

    def on_rules_loaded(self, message: RulesLoaded) -> None:
        self.rules = message.rules
        self.query_one(RuleTable).show(self.rules, self.size.width or self.app.size.width)
        office = sum(1 for r in self.rules if r.client_id is None)
        title = Text()
        title.append(_("Booking rules"), style="bold")
        title.append(
            " — "
            + _("client {code}: {own}, office-wide: {office}").format(
                code=self.client_code or self.client_id, own=len(self.rules) - office, office=office
            )
        )
        self.query_one("#title", Static).update(safe_text(title))
        offer = self.query_one("#offer", Static)
        offer.set_class(bool(self.candidates), "shown")
        if len(self.candidates) == 1:
            offer.update(plain(offer_words(self.candidates[0], self.seller_names) + " (o)"))
        elif self.candidates:
            offer.update(
                plain(
                    _("{n} office rules on offer: several clients book a seller the same way (o).").format(
                        n=len(self.candidates)
                    )
                )
            )
        self._show_detail()

    @on(LineTable.Highlighted, "#rules")
    def _show_detail(self) -> None:
        rule = self.query_one(RuleTable).selected()
        detail = self.query_one("#detail", Static)
        if rule is None:
            detail.update(
                plain(_("No rules yet: every invoice approved in the queue teaches one for its seller."))
            )
            return
        out = Text()
        name = self.seller_names.get(rule.seller_nip, "")
        out.append(f"{name} · " if name else "", style="bold")
        out.append(f"NIP {format_nip(rule.seller_nip)} · " + narrowing_words(rule) + "\n")
        out.append(_("Books as: {what}").format(what=template_words(rule.template)) + "\n")
        out.append(
            _("Approved unchanged {confirmations} times, with changes {overrides} times.").format(
                confirmations=rule.confirmations, overrides=rule.overrides
            )
        )
        detail.update(safe_text(out))

    def on_resize(self) -> None:
        if self.rules:
            self.query_one(RuleTable).show(self.rules, self.size.width)

    def _selected(self) -> Rule | None:
        rule = self.query_one(RuleTable).selected()
        if rule is None:
            self.notify(_("Select a rule first."), severity="warning")
        return rule

    def action_edit_rule(self) -> None:
        if (rule := self._selected()) is not None:
            self.app.push_screen(RuleFormScreen(self.services, rule), callback=lambda _saved: self.reload())

    def action_delete_rule(self) -> None:
        rule = self._selected()
        if rule is None or rule.id is None:
            return
        rule_id = rule.id

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete(rule_id)

        self.app.push_screen(
            ConfirmScreen(
                _("Delete this rule?"),
                _(
                    "NIP {nip}: {what}. Approved bookings stay as they are; the next invoices are"
                    " proposed without it."
                ).format(nip=format_nip(rule.seller_nip), what=template_words(rule.template)),
            ),
            callback=answered,
        )

    @work(exclusive=True, group="rules-write", exit_on_error=False)
    async def _delete(self, rule_id: int) -> None:
        store = self.services.store
        assert store is not None
        await asyncio.to_thread(booking_sync.delete_rule, store, rule_id, store.operator, self.services.clock)
        self.post_message(RecordSaved(rule_id))

    def on_record_saved(self, message: RecordSaved) -> None:
        self.notify(_("Rule deleted."))
        self.reload()

    def action_office_rules(self) -> None:
        if not self.candidates:
            self.notify(
                _("No office rule on offer: no seller is booked the same way by three clients' rules."),
                severity="information",
            )
            return

        def chosen(candidate: Any | None) -> None:
            if candidate is not None:
                self._confirm_promotion(candidate)

        self.app.push_screen(OfficeRulesScreen(self.candidates, self.seller_names), callback=chosen)

    def _confirm_promotion(self, candidate: Any) -> None:
        rule: Rule = candidate.rule

        def answered(yes: bool | None) -> None:
            if yes:
                self._promote(rule)

        self.app.push_screen(
            ConfirmScreen(
                _("Create an office rule?"),
                offer_words(candidate, self.seller_names)
                + "\n"
                + _(
                    "It books as: {what}. Every client without its own rule for the seller gets this"
                    " proposal; the clients' own rules stay and take precedence."
                ).format(what=template_words(rule.template)),
            ),
            callback=answered,
        )

    @work(exclusive=True, group="rules-write", exit_on_error=False)
    async def _promote(self, rule: Rule) -> None:
        store = self.services.store
        assert store is not None
        await asyncio.to_thread(
            booking_sync.promote_office_rule,
            store,
            rule.seller_nip,
            rule.template,
            store.operator,
            self.services.clock,
        )
        self.notify(_("Office rule created for NIP {nip}.").format(nip=format_nip(rule.seller_nip)))
        self.reload()

    def action_back(self) -> None:
        self.dismiss(None)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.notify(
                _("Stopped: {error}").format(error=event.worker.error), severity="error", markup=False
            )


def offer_words(candidate: Any, names: Mapping[str, str]) -> str:
    """“Paliwa Mazur: 4 clients book it the same way — create an office rule?” (the NIP when the seller's
    name is not known here; the narrowing when the rule has one)."""
    rule: Rule = candidate.rule
    seller = names.get(rule.seller_nip) or "NIP " + format_nip(rule.seller_nip)
    if narrowed(rule):
        seller += f" ({narrowing_words(rule)})"
    return _("{seller}: {n} clients book it the same way — create an office rule?").format(
        seller=seller, n=len(candidate.clients)
    )


class OfficeRulesScreen(RegistryKeys, ModalScreen[Any]):
    """The office rules on offer, one per line with what it books as; Enter picks one (the rules screen
    then asks before creating it), Esc closes."""

    SCOPE = "offers"
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    OfficeRulesScreen .dialog { width: 76; }
    OfficeRulesScreen OptionList { height: auto; max-height: 14; }
    """

    def __init__(self, candidates: Sequence[Any], names: Mapping[str, str]) -> None:
        super().__init__()
        self.candidates = list(candidates)
        self.names = names

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(_("Office rules on offer")), classes="dialog-title")
            yield OptionList(
                *(
                    Option(
                        plain(
                            offer_words(c, self.names)
                            + "\n  "
                            + _("Books as: {what}").format(what=template_words(c.rule.template))
                            + (
                                "; " + _("{n} other clients book it otherwise").format(n=c.disagreeing)
                                if c.disagreeing
                                else ""
                            )
                        ),
                        id=str(i),
                    )
                    for i, c in enumerate(self.candidates)
                ),
                id="offers",
            )
            yield Static(plain(_("Enter chooses · Esc closes")), classes="hint")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected, "#offers")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.candidates[int(event.option.id or 0)])

    def action_cancel(self) -> None:
        self.dismiss(None)


def _decimal(value: str) -> Decimal | str | None:
    """An amount field: None when empty, the Decimal, or "" (a marker) when it is not a number."""
    text = value.strip().replace(" ", "").replace(",", ".")
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return ""
    return number if number.is_finite() else ""


class RuleFormScreen(RegistryKeys, ModalScreen[Rule | None]):
    """Edit one rule: what narrows it and what it fills in. F2 saves, Esc cancels."""

    SCOPE = "form"
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    RuleFormScreen .dialog { width: 76; }
    RuleFormScreen Grid {
        grid-size: 4; grid-columns: 13 1fr 13 1fr; grid-rows: 1; grid-gutter: 0 1; height: auto;
    }
    RuleFormScreen Label { color: $text-muted; }
    RuleFormScreen #error { color: $error; height: auto; min-height: 1; }
    """

    def __init__(self, services: AppConfig, rule: Rule) -> None:
        super().__init__()
        self.services = services
        self.rule = rule
        self._saved: Rule | None = None

    def compose(self) -> ComposeResult:
        r, t = self.rule, self.rule.template
        with Vertical(classes="dialog"):
            yield Static(
                plain(_("Rule for NIP {nip}").format(nip=format_nip(r.seller_nip))), classes="dialog-title"
            )
            with Grid():
                yield Label(_("Line text"))
                yield Input(r.item_text, id="item_text", compact=True)
                yield Label(_("Line code"))
                yield Input(r.item_code, id="item_code", compact=True)
                yield Label(_("Gross from"))
                yield Input("" if r.amount_min is None else str(r.amount_min), id="amount_min", compact=True)
                yield Label(_("Gross to"))
                yield Input("" if r.amount_max is None else str(r.amount_max), id="amount_max", compact=True)
                yield Label(_("VAT register"))
                yield Input(t.vat_register or "", id="register", compact=True)
                yield Label(_("Deduction"))
                yield Select(
                    [(_("as drafted"), KEEP)] + [(_(w), d.value) for d, w in DEDUCTION_WORDS.items()],
                    value=t.deduction.value if t.deduction else KEEP,
                    allow_blank=False,
                    id="deduction",
                    compact=True,
                )
                yield Label(_("Proportion %"))
                yield Input("" if t.deduction_pct is None else str(t.deduction_pct), id="pct", compact=True)
                yield Label(_("KPiR column"))
                yield Select(
                    [(_("as drafted"), KEEP)] + [(_(w), k.value) for k, w in KPIR_WORDS.items()],
                    value=t.kpir_column.value if t.kpir_column else KEEP,
                    allow_blank=False,
                    id="kpir",
                    compact=True,
                )
                yield Label(_("GL account"))
                yield Input(t.gl_account or "", id="account", compact=True)
                yield Label(_("Contra account"))
                yield Input(t.gl_contra or "", id="contra", compact=True)
                yield Label(_("Cost centre"))
                yield Input(t.cost_centre or "", id="mpk", compact=True)
                yield Label(_("Tax cost %"))
                yield Input(
                    "" if t.cost_share_pct is None else str(t.cost_share_pct), id="share", compact=True
                )
            yield Static("", id="error")
            yield Static(plain(_("F2 saves · Esc cancels")), classes="hint")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#item_text", Input).focus()

    def _value(self, field: str) -> str:
        return self.query_one(f"#{field}", Input).value.strip()

    def _select(self, field: str) -> str:
        return str(self.query_one(f"#{field}", Select).value)

    def edited(self) -> Rule | str:
        """The rule as the fields say, or what is wrong with them."""
        low, high = _decimal(self._value("amount_min")), _decimal(self._value("amount_max"))
        if low == "" or high == "":
            return _("Amounts are numbers, e.g. 1500,00 (or empty).")
        assert not isinstance(low, str) and not isinstance(high, str)
        if low is not None and high is not None and low > high:
            return _("“Gross from” is more than “Gross to”.")
        deduction = None if self._select("deduction") == KEEP else Deduction(self._select("deduction"))
        pct = None
        if deduction is Deduction.PROPORTION:
            pct = parse_pct(self._value("pct"))
            if pct is None:
                return _("A percentage from 0 to 100.")
        share = None
        if self._value("share"):
            if error := check_share(self._value("share")):
                return error
            share = int(self._value("share").rstrip("%").strip())
        template = dataclasses.replace(
            self.rule.template,
            vat_register=self._value("register") or None,
            deduction=deduction,
            deduction_pct=pct,
            kpir_column=None if self._select("kpir") == KEEP else KpirColumn(self._select("kpir")),
            gl_account=self._value("account") or None,
            gl_contra=self._value("contra") or None,
            cost_centre=self._value("mpk") or None,
            cost_share_pct=share,
        )
        return dataclasses.replace(
            self.rule,
            item_text=self._value("item_text"),
            item_code=self._value("item_code"),
            amount_min=low,
            amount_max=high,
            template=template,
        )

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self) -> None:
        result = self.edited()
        self.query_one("#error", Static).update(plain(result if isinstance(result, str) else ""))

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        result = self.edited()
        if isinstance(result, str):
            self.query_one("#error", Static).update(plain(result))
            return
        self._save(result)

    @work(exclusive=True, group="rule-save", exit_on_error=False)
    async def _save(self, rule: Rule) -> None:
        store = self.services.store
        assert store is not None
        saved = await asyncio.to_thread(
            booking_sync.save_rule, store, rule, store.operator, self.services.clock
        )
        self._saved = saved
        self.post_message(RecordSaved(saved.id or True))

    def on_record_saved(self, message: RecordSaved) -> None:
        self.dismiss(self._saved)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.query_one("#error", Static).update(
                plain(_("Not saved: {reason}").format(reason=event.worker.error))
            )

    def action_cancel(self) -> None:
        self.dismiss(None)
