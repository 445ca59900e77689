"""Rich renderables for the invoice screen's tabs, built from the typed model (no I/O, no widgets).

Every string that comes from an invoice goes into a `Text` (or a table cell made of `Text`), never
through markup: a seller called `Biuro [/x]` must show as written, not break or restyle the screen.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ksef_tui.core.fa.findings import Finding, Severity
from ksef_tui.core.fa.model import (
    AUTHORISED_ROLES,
    CORRECTION_TYPES,
    KIND_LABELS,
    PAYMENT_FORMS,
    THIRD_PARTY_ROLES,
    Address,
    Invoice,
    Party,
)
from ksef_tui.core.i18n import N_, _
from ksef_tui.core.money_format import format_amount, format_bank_account, format_quantity
from ksef_tui.core.nip import format_nip

SEVERITY_GLYPH = {Severity.ERROR: "✖", Severity.WARNING: "▲"}
SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow"}
OK_GLYPH = "✔"

MARGIN_SCHEMES = {
    "travel": N_("travel agencies"),
    "used": N_("second-hand goods"),
    "art": N_("works of art"),
    "antiques": N_("collectors' items and antiques"),
}
EXEMPTION_BASES = {
    "A": N_("Polish VAT act"),
    "B": N_("EU directive 2006/112/EC"),
    "C": N_("other legal basis"),
}
PARTLY_PAID = {"1": N_("paid in part"), "2": N_("paid in full, in instalments")}


# --- small pieces ------------------------------------------------------------------------------


def kind_words(kind: str | None) -> str:
    """`KOR` -> `Correcting invoice` (translated, capitalised); an unknown code as it is."""
    if kind in KIND_LABELS:
        words = _(KIND_LABELS[kind])
        return words[:1].upper() + words[1:]
    return kind or _("Invoice")


def day(value: date | None) -> str:
    return value.isoformat() if value else "—"


def yes_no(value: bool | None) -> Text:
    if value is None:
        return Text(_("not stated"), style="dim")
    return Text(_("yes"), style="bold") if value else Text(_("no"))


def heading(title: str) -> Text:
    return Text(title, style="bold underline")


def grid() -> Table:
    """A two-column label/value grid; long values wrap inside their column."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    return table


def row(table: Table, label: str, value: str | Text | None) -> None:
    """Add `label: value` when there is a value (plain strings are wrapped in Text, never markup)."""
    if value is None or value == "":
        return
    table.add_row(Text(label), value if isinstance(value, Text) else Text(value))


def sections(*parts: tuple[str, Table | RenderableType | None]) -> Group:
    """Headed sections separated by blank lines; empty ones are left out."""
    out: list[RenderableType] = []
    for title, body in parts:
        if body is None or (isinstance(body, Table) and body.row_count == 0):
            continue
        if out:
            out.append(Text(""))
        out.append(heading(title))
        out.append(body)
    return Group(*out)


def party_id(party: Party) -> str | None:
    if party.nip:
        return "NIP " + format_nip(party.nip)
    if party.eu_vat_number:
        return _("EU VAT {number}").format(number=f"{party.eu_code or ''}{party.eu_vat_number}")
    if party.foreign_id:
        return _("tax ID {number}").format(number=f"{party.country_code or ''} {party.foreign_id}".strip())
    if party.internal_id:
        return _("internal ID {number}").format(number=party.internal_id)
    if party.no_id:
        return _("no tax ID")
    return None


def party_line(party: Party | None) -> str:
    """Name and identifier on one line (the header, the palette)."""
    if party is None:
        return "?"
    ident = party_id(party)
    return f"{party.name or '?'} ({ident})" if ident else party.name or "?"


def address_text(address: Address | None) -> str | None:
    if address is None or not address.lines():
        return None
    return ", ".join(address.lines())


# --- Summary -----------------------------------------------------------------------------------


def summary(inv: Invoice) -> Group:
    basics = grid()
    row(basics, _("Kind"), f"{kind_words(inv.kind)} ({inv.kind or '?'})")
    row(basics, _("Number"), inv.number or "—")
    row(basics, _("Form"), inv.form.value)
    row(basics, _("Issue date"), day(inv.issue_date))
    row(basics, _("Place of issue"), inv.issue_place)
    row(basics, _("Sale date"), day(inv.sale_date) if inv.sale_date else None)
    if inv.sale_period is not None:
        start, end = inv.sale_period
        row(basics, _("Sale period"), f"{day(start)} – {day(end)}")
    row(basics, _("Currency"), inv.currency)
    if inv.exchange_rate is not None:
        row(basics, _("Exchange rate"), format_quantity(inv.exchange_rate))
    row(basics, _("Gross total"), format_amount(inv.gross, inv.currency))
    for key, value in inv.descriptions:
        row(basics, key, value)
    if inv.wz:
        row(basics, _("Delivery notes (WZ)"), ", ".join(inv.wz))
    if inv.fp:
        row(basics, _("Receipt-based invoice (FP)"), _("yes"))
    if inv.tp:
        row(basics, _("Related parties (TP)"), _("yes"))
    row(basics, _("Created by"), inv.header.system_info)
    row(basics, _("Created at"), inv.header.created_at)

    return sections(
        (_("Invoice"), basics),
        (_("Correction"), _correction(inv)),
        (_("Annotations"), _annotations(inv)),
        (_("Advance payments"), _advances(inv)),
        (_("Settlement"), _settlement(inv)),
        (_("Transaction terms"), _terms(inv)),
        (_("Attachments"), _attachments(inv)),
        (_("Footer"), _footer(inv)),
    )


def _correction(inv: Invoice) -> Table | None:
    corr = inv.correction
    if corr is None:
        return None
    table = grid()
    row(table, _("Reason"), corr.reason)
    if corr.type:
        label = CORRECTION_TYPES.get(corr.type)
        row(table, _("Type"), f"{corr.type}: {_(label)}" if label else corr.type)
    for ref in corr.corrected:
        text = Text(ref.number or "?", style="bold")
        text.append("  " + _("of {date}").format(date=day(ref.issue_date)))
        text.append("\n")
        if ref.ksef_number:
            text.append(_("KSeF number: "))
            text.append(ref.ksef_number, style="bold")
        elif ref.outside_ksef:
            text.append(_("issued outside KSeF"), style="italic")
        row(table, _("Corrects"), text)
    row(table, _("Period corrected"), corr.period)
    row(table, _("Correct number"), corr.corrected_number)
    if corr.seller_before is not None:
        row(table, _("Seller before"), party_line(corr.seller_before))
    for buyer in corr.buyers_before:
        row(table, _("Buyer before"), party_line(buyer))
    return table


def _annotations(inv: Invoice) -> Table:
    ann = inv.annotations
    table = grid()
    table.add_row(Text(_("Cash method")), yes_no(ann.cash_method))
    table.add_row(Text(_("Self-billing")), yes_no(ann.self_billing))
    table.add_row(Text(_("Reverse charge")), yes_no(ann.reverse_charge))
    table.add_row(Text(_("Split payment")), yes_no(ann.split_payment))
    if ann.exemption is not None and ann.exemption.applies:
        text = Text(_("yes"), style="bold")
        if ann.exemption.basis:
            kind = EXEMPTION_BASES.get(ann.exemption.basis_kind or "")
            text.append(f" — {ann.exemption.basis}")
            if kind:
                text.append(f" ({_(kind)})")
        table.add_row(Text(_("VAT exemption")), text)
    else:
        table.add_row(Text(_("VAT exemption")), yes_no(False if ann.exemption is not None else None))
    if ann.margin:
        scheme = MARGIN_SCHEMES.get(ann.margin_scheme or "")
        table.add_row(Text(_("Margin scheme")), Text(_(scheme) if scheme else _("yes"), style="bold"))
    else:
        table.add_row(Text(_("Margin scheme")), yes_no(ann.margin))
    if ann.new_transport:
        text = Text(_("yes"), style="bold")
        for vehicle in ann.new_vehicles:
            text.append(
                "\n"
                + _("line {no}, first use {date}").format(
                    no=vehicle.line_number or "?", date=day(vehicle.first_use)
                )
            )
            for name, value in vehicle.details:
                text.append(f"; {name} {value}")
        table.add_row(Text(_("New means of transport")), text)
    else:
        table.add_row(Text(_("New means of transport")), yes_no(ann.new_transport))
    if ann.triangular_simplified:
        table.add_row(Text(_("Simplified triangular transaction")), yes_no(True))
    return table


def _advances(inv: Invoice) -> Table | None:
    adv = inv.advances
    if not adv:
        return None
    table = grid()
    for ref in adv.advance_invoices:
        text = Text(ref.number or "?")
        if ref.ksef_number:
            text.append("  KSeF " + ref.ksef_number)
        elif ref.outside_ksef:
            text.append("  " + _("issued outside KSeF"), style="italic")
        row(table, _("Advance invoice"), text)
    for part in adv.partial_advances:
        received = f"{day(part.date)}  {format_amount(part.amount, inv.currency)}"
        if part.exchange_rate is not None:
            received += "  " + _("rate {rate}").format(rate=format_quantity(part.exchange_rate))
        row(table, _("Advance received"), received)
    if adv.gross_before_correction is not None:
        row(table, _("Gross before correction"), format_amount(adv.gross_before_correction, inv.currency))
    if adv.exchange_rate_before_correction is not None:
        row(table, _("Rate before correction"), format_quantity(adv.exchange_rate_before_correction))
    return table


def _settlement(inv: Invoice) -> Table | None:
    st = inv.settlement
    if st is None:
        return None
    table = grid()
    for charge in st.charges:
        row(
            table, _("Charge"), f"{format_amount(charge.amount, inv.currency)}  {charge.reason or ''}".strip()
        )
    for deduction in st.deductions:
        row(
            table,
            _("Deduction"),
            f"{format_amount(deduction.amount, inv.currency)}  {deduction.reason or ''}".strip(),
        )
    if st.to_pay is not None:
        row(table, _("To pay"), format_amount(st.to_pay, inv.currency))
    if st.to_settle is not None:
        row(table, _("To settle"), format_amount(st.to_settle, inv.currency))
    return table


def _terms(inv: Invoice) -> Table | None:
    terms = inv.terms
    if terms is None:
        return None
    table = grid()
    for when, number in terms.contracts:
        row(table, _("Contract"), f"{number or '?'}  {day(when)}")
    for when, number in terms.orders:
        row(table, _("Order"), f"{number or '?'}  {day(when)}")
    if terms.batch_numbers:
        row(table, _("Batch numbers"), ", ".join(terms.batch_numbers))
    row(table, _("Delivery terms"), terms.delivery_terms)
    if terms.contract_rate is not None:
        rate = format_quantity(terms.contract_rate)
        row(table, _("Contract rate"), f"{rate} {terms.contract_currency or ''}".strip())
    if terms.transport_count:
        row(table, _("Transport"), str(terms.transport_count))
    return table


def _attachments(inv: Invoice) -> Group | None:
    if not inv.attachment:
        return None
    parts: list[RenderableType] = []
    for block in inv.attachment:
        if block.heading:
            parts.append(Text(block.heading, style="bold"))
        meta = grid()
        for key, value in block.metadata:
            row(meta, key, value)
        if meta.row_count:
            parts.append(meta)
        parts.extend(Text(p) for p in block.paragraphs)
        for table_data in block.tables:
            table = Table(title=Text(table_data.description) if table_data.description else None)
            for column in table_data.columns:
                table.add_column(Text(column), overflow="fold")
            for cells in table_data.rows:
                table.add_row(*(Text(c) for c in cells))
            if table_data.sums:
                table.add_row(*(Text(s, style="bold") for s in table_data.sums))
            parts.append(table)
    return Group(*parts)


def _footer(inv: Invoice) -> Table | None:
    if inv.footer is None:
        return None
    table = grid()
    for info in inv.footer.info:
        row(table, _("Note"), info)
    for reg in inv.footer.registries:
        row(table, _("Full name"), reg.full_name)
        row(table, "KRS", reg.krs)
        row(table, "REGON", reg.regon)
        row(table, "BDO", reg.bdo)
    return table


# --- VAT ---------------------------------------------------------------------------------------


def vat(inv: Invoice) -> Group:
    show_pln = any(r.vat_pln is not None for r in inv.vat_rates)
    table = Table(box=None, padding=(0, 1), header_style="bold", show_footer=False)
    table.add_column(Text(_("Rate")), overflow="fold")
    table.add_column(Text(_("Net")), justify="right", no_wrap=True)
    table.add_column(Text(_("VAT")), justify="right", no_wrap=True)
    if show_pln:
        table.add_column(Text(_("VAT in PLN")), justify="right", no_wrap=True)
    for rate in inv.vat_rates:
        cells = [
            Text(_(rate.label)),
            Text(format_amount(rate.net, missing="")),
            Text(format_amount(rate.vat, missing="")),
        ]
        if show_pln:
            cells.append(Text(format_amount(rate.vat_pln, missing="")))
        table.add_row(*cells)
    if not inv.vat_rates:
        table.add_row(Text(_("No amounts by rate on this invoice."), style="dim"), Text(""), Text(""))
    totals = grid()
    totals.columns[1].justify = "right"
    row(totals, _("Net total"), format_amount(inv.total_net, inv.currency))
    row(totals, _("VAT total"), format_amount(inv.total_vat, inv.currency))
    row(totals, _("Gross total (P_15)"), Text(format_amount(inv.gross, inv.currency), style="bold"))
    return sections(
        (_("VAT by rate ({currency})").format(currency=inv.currency or "?"), table), (_("Totals"), totals)
    )


# --- Payment -----------------------------------------------------------------------------------


def payment(inv: Invoice) -> Group:
    pay = inv.payment
    if pay is None:
        return Group(Text(_("The invoice says nothing about payment."), style="dim"))
    status = grid()
    if pay.paid:
        row(status, _("Paid"), Text(_("yes, on {date}").format(date=day(pay.paid_date)), style="bold green"))
    elif pay.partly_paid:
        row(status, _("Paid"), Text(_(PARTLY_PAID.get(pay.partly_paid, N_("paid in part"))), style="yellow"))
    else:
        row(status, _("Paid"), _("no"))
    for part in pay.partial_payments:
        text = f"{day(part.date)}  {format_amount(part.amount, inv.currency)}"
        if part.form:
            text += "  " + _(PAYMENT_FORMS.get(part.form, part.form))
        if part.description:
            text += "  " + part.description
        row(status, _("Part payment"), text)
    for due in pay.due_dates:
        row(
            status,
            _("Due"),
            " ".join(x for x in (day(due.date) if due.date else "", due.description or "") if x),
        )
    if pay.form:
        row(status, _("Payment form"), _(PAYMENT_FORMS[pay.form]) if pay.form in PAYMENT_FORMS else pay.form)
    elif pay.other_form:
        row(status, _("Payment form"), pay.other_form)
    row(status, _("Discount terms"), pay.discount_terms)
    row(status, _("Discount"), pay.discount_amount)
    row(status, _("Payment link"), pay.link)
    row(status, "IPKSeF", pay.ipksef)

    accounts = grid()
    for account in pay.bank_accounts:
        cell = Text(format_bank_account(account.number), style="bold")
        for extra in (account.swift and f"SWIFT {account.swift}", account.bank_name, account.description):
            if extra:
                cell.append("\n" + extra)
        if account.factor:
            cell.append("\n" + _("factor's account"), style="italic")
        accounts.add_row(Text(_("Account")), cell)
    return sections((_("Payment"), status), (_("Bank accounts"), accounts))


# --- Parties -----------------------------------------------------------------------------------


def _party(party: Party, role: str | None = None) -> Table:
    table = grid()
    row(table, _("Name"), Text(party.name or "?", style="bold"))
    row(table, _("Role"), role)
    row(table, _("Identifier"), party_id(party))
    if party.vat_prefix:
        row(table, _("VAT prefix"), party.vat_prefix)
    row(table, _("Address"), address_text(party.address))
    row(table, _("Correspondence"), address_text(party.correspondence_address))
    row(table, _("E-mail"), ", ".join(party.emails))
    row(table, _("Phone"), ", ".join(party.phones))
    row(table, _("Customer number"), party.customer_number)
    row(table, _("Buyer ID"), party.buyer_id)
    row(table, "EORI", party.eori)
    if party.share is not None:
        row(table, _("Share"), f"{format_quantity(party.share)} %")
    if party.jst:
        row(table, _("Local government unit"), _("yes"))
    if party.gv:
        row(table, _("VAT group member"), _("yes"))
    return table


def _third_party_role(party: Party) -> str | None:
    if party.role in THIRD_PARTY_ROLES:
        return _(THIRD_PARTY_ROLES[party.role])
    return party.role_other or party.role


def parties(inv: Invoice) -> Group:
    parts: list[tuple[str, Table | None]] = [
        (_("Seller"), _party(inv.seller) if inv.seller else None),
        (_("Buyer"), _party(inv.buyer) if inv.buyer else None),
    ]
    for index, third in enumerate(inv.third_parties, start=1):
        parts.append((_("Third party {n}").format(n=index), _party(third, _third_party_role(third))))
    if inv.authorised is not None:
        role = AUTHORISED_ROLES.get(inv.authorised.role or "")
        parts.append(
            (_("Authorised party"), _party(inv.authorised, _(role) if role else inv.authorised.role))
        )
    return sections(*parts)


# --- Checks ------------------------------------------------------------------------------------


def checks(valid: bool, problems: Sequence[Finding]) -> Group:
    verdict = (
        Text(f"{OK_GLYPH} " + _("Valid against the official XSD schema."), style="bold green")
        if valid
        else Text("✖ " + _("Not valid against the official XSD schema."), style="bold red")
    )
    if not problems:
        return Group(verdict, Text(""), Text(f"{OK_GLYPH} " + _("No problems found."), style="green"))
    return Group(verdict, Text(""), findings_table(problems))


def findings_table(problems: Iterable[Finding]) -> Table:
    table = Table(box=None, padding=(0, 1), header_style="bold", expand=True)
    table.add_column(Text(" "), width=1, no_wrap=True)
    table.add_column(Text(_("Code")), no_wrap=True, max_width=28, overflow="ellipsis")
    table.add_column(Text(_("Message")), ratio=1, overflow="fold")
    table.add_column(Text(_("Line")), justify="right", no_wrap=True)
    for p in problems:
        table.add_row(
            Text(SEVERITY_GLYPH[p.severity], style=SEVERITY_STYLE[p.severity]),
            Text(p.code),
            Text(p.message),
            Text(str(p.line) if p.line else ""),
        )
    return table
