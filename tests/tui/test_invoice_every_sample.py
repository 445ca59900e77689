"""Issue 5, done when: every sample reads right in the TUI.

Two halves:
- every amount of every sample: each amount field of the parsed model equals the XML's own value, read
  here independently with ElementTree (Fa's P_13_x/P_14_x/P_15, every line, order, advance, settlement,
  part payment, share and exchange rate);
- every sample in a running app: the header names the invoice's number and its full gross amount, every
  tab opens by its key, and the VAT, Lines and Summary tabs show those same amounts in full.

Why this was slow (110 s) and is not any more: each tab key waited for Tabs' 0.3 s underline animation
(`pilot.press` waits for the animator) on top of the idle checks, 7 tabs × 31 samples. The app here
runs with animations off, and the samples are split into a few apps so the halves can run in parallel.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import TabbedContent

from ksef_tui.core.fa.model import Invoice, InvoiceLine
from ksef_tui.core.fa.report import inspect_bytes, inspect_file
from ksef_tui.core.i18n import _
from ksef_tui.core.money_format import format_amount
from ksef_tui.screens.invoice import TABS, InvoiceScreen
from ksef_tui.ui.app import KsefApp
from ksef_tui.ui.config import AppConfig
from ksef_tui.widgets.invoice_lines import InvoiceLinesTable
from ksef_tui.widgets.invoice_xml import XmlView
from tests.fa.helpers import FA3_SAMPLES, TODAY, sample_bytes, sample_files

from .helpers import screen_text, settle

# The client templates carry #placeholders#: the app opens only real invoices; the amounts half reads
# them too, substituted (tests/fa/helpers.py).
APP_SAMPLES = [p for p in sample_files() if "client-templates" not in p.parts]
ALL_SAMPLES = sample_files()
APPS = 4  # the app half runs as this many apps, each over a share of the samples


def _id(path: Path) -> str:
    return str(path.relative_to(FA3_SAMPLES))


# --- an independent reading of the XML ----------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _children(el: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in el if _local(c.tag) == name]


def _dec(el: ET.Element | None, name: str) -> Decimal | None:
    found = _children(el, name) if el is not None else []
    return Decimal(found[0].text.strip()) if found and found[0].text else None


def _decs(el: ET.Element, names: tuple[str, ...]) -> dict[str, Decimal | None]:
    return {name: _dec(el, name) for name in names}


LINE = ("P_8B", "P_9A", "P_9B", "P_10", "P_11", "P_11A", "P_11Vat", "P_12_XII", "KwotaAkcyzy", "KursWaluty")
ORDER_LINE = ("P_8BZ", "P_9AZ", "P_11NettoZ", "P_11VatZ", "P_12Z_XII", "KwotaAkcyzyZ")


def xml_amounts(data: bytes) -> dict[str, Any]:
    """Every amount of the invoice, as the XML writes it, by the FA(3) element names."""
    root = ET.fromstring(data)
    (fa,) = _children(root, "Fa")
    by_rate = {
        _local(c.tag): Decimal(c.text.strip()) for c in fa if _local(c.tag).startswith(("P_13_", "P_14_"))
    }
    codes = dict.fromkeys(
        name.removeprefix("P_13_").removeprefix("P_14_").removesuffix("W") for name in by_rate
    )
    orders = _children(fa, "Zamowienie")
    settlements = _children(fa, "Rozliczenie")
    payments = _children(fa, "Platnosc")
    terms = _children(fa, "WarunkiTransakcji")
    return {
        "by_rate": by_rate,
        "rates": {
            code: (by_rate.get(f"P_13_{code}"), by_rate.get(f"P_14_{code}"), by_rate.get(f"P_14_{code}W"))
            for code in codes
        },
        **_decs(fa, ("P_15", "KursWalutyZ", "P_15ZK", "KursWalutyZK")),
        "lines": [_decs(line, LINE) for line in _children(fa, "FaWiersz")],
        "order": (
            _dec(orders[0], "WartoscZamowienia"),
            [_decs(line, ORDER_LINE) for line in _children(orders[0], "ZamowienieWiersz")],
        )
        if orders
        else None,
        "advances": [(_dec(a, "P_15Z"), _dec(a, "KursWalutyZW")) for a in _children(fa, "ZaliczkaCzesciowa")],
        "settlement": {
            "Obciazenia": [_dec(c, "Kwota") for c in _children(settlements[0], "Obciazenia")],
            "Odliczenia": [_dec(c, "Kwota") for c in _children(settlements[0], "Odliczenia")],
            **_decs(settlements[0], ("SumaObciazen", "SumaOdliczen", "DoZaplaty", "DoRozliczenia")),
        }
        if settlements
        else None,
        "part_payments": [
            _dec(p, "KwotaZaplatyCzesciowej") for p in _children(payments[0], "ZaplataCzesciowa")
        ]
        if payments
        else [],
        "KursUmowny": _dec(terms[0], "KursUmowny") if terms else None,
        "shares": [_dec(p, "Udzial") for p in _children(root, "Podmiot3")],
    }


def model_amounts(inv: Invoice) -> dict[str, Any]:
    """The same shape, from the parsed model."""

    def line(x: InvoiceLine) -> dict[str, Decimal | None]:
        values = (x.quantity, x.unit_net_price, x.unit_gross_price, x.discount, x.net, x.gross, x.vat)
        return dict(zip(LINE, (*values, x.oss_rate, x.excise, x.exchange_rate), strict=True))

    st = inv.settlement
    return {
        "by_rate": inv.amounts,
        "rates": {r.code: (r.net, r.vat, r.vat_pln) for r in inv.vat_rates},
        "P_15": inv.gross,
        "KursWalutyZ": inv.exchange_rate,
        "P_15ZK": inv.advances.gross_before_correction,
        "KursWalutyZK": inv.advances.exchange_rate_before_correction,
        "lines": [line(x) for x in inv.lines],
        "order": (
            inv.order.value,
            [
                dict(
                    zip(
                        ORDER_LINE,
                        (x.quantity, x.unit_net_price, x.net, x.vat, x.oss_rate, x.excise),
                        strict=True,
                    )
                )
                for x in inv.order.lines
            ],
        )
        if inv.order is not None
        else None,
        "advances": [(a.amount, a.exchange_rate) for a in inv.advances.partial_advances],
        "settlement": {
            "Obciazenia": [c.amount for c in st.charges],
            "Odliczenia": [d.amount for d in st.deductions],
            "SumaObciazen": st.charges_total,
            "SumaOdliczen": st.deductions_total,
            "DoZaplaty": st.to_pay,
            "DoRozliczenia": st.to_settle,
        }
        if st is not None
        else None,
        "part_payments": [p.amount for p in inv.payment.partial_payments] if inv.payment else [],
        "KursUmowny": inv.terms.contract_rate if inv.terms else None,
        "shares": [p.share for p in inv.third_parties],
    }


@pytest.mark.parametrize("path", ALL_SAMPLES, ids=_id)
def test_every_amount_of_every_sample(path: Path) -> None:
    data = sample_bytes(path)
    inv = inspect_bytes(data, today=TODAY).invoice
    assert inv is not None
    expected = xml_amounts(data)
    assert expected["P_15"] is not None, "every FA(3) invoice has P_15"
    assert model_amounts(inv) == expected
    # Digits are kept as written (1829.2683 stays 1829.2683, 100.50 is not 100.5 on screen).
    assert {k: str(v) for k, v in inv.amounts.items()} == {k: str(v) for k, v in expected["by_rate"].items()}


def test_the_reading_above_can_fail() -> None:
    """The comparison sees a changed amount in any place (not only the total)."""
    path = FA3_SAMPLES / "ksef2-test-suite" / "KSEF_01_VAT_STANDARD.xml"
    data = path.read_bytes()
    inv = inspect_bytes(data, today=TODAY).invoice
    assert inv is not None and model_amounts(inv) == xml_amounts(data)
    net = inv.lines[0].net
    assert net is not None
    tampered = data.replace(f"<P_11>{net}</P_11>".encode(), f"<P_11>{net + 1}</P_11>".encode(), 1)
    assert tampered != data
    assert model_amounts(inv) != xml_amounts(tampered)


# --- every sample in a running app ----------------------------------------------------------------


def _on_screen(app: KsefApp) -> str:
    return screen_text(app).replace("\n", " ")


async def _check_sample(pilot, path: Path) -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    report = inspect_file(path, today=TODAY)
    inv = report.invoice
    assert inv is not None, path.name
    expected = xml_amounts(path.read_bytes())
    app.push_screen(InvoiceScreen(report))
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, InvoiceScreen), path.name
    head = screen_text(app).splitlines()[0]
    assert inv.number and inv.number in head, (path.name, head)
    gross = format_amount(expected["P_15"], inv.currency)
    assert gross in head, (path.name, gross, head)

    tabs = screen.query_one(TabbedContent)
    for key, (tab_id, _title) in enumerate(TABS, start=1):
        await pilot.press(str(key))
        assert tabs.active == f"tab-{tab_id}", (path.name, key, tabs.active)
        assert app.screen is screen, (path.name, key)
        if tab_id == "summary":
            assert gross in _on_screen(app), (path.name, "summary", gross)
        elif tab_id == "vat":
            shown = _on_screen(app)
            for name, value in expected["by_rate"].items():
                assert format_amount(value) in shown, (path.name, "vat", name, format_amount(value))
        elif tab_id == "lines":
            table = screen.query_one(InvoiceLinesTable)
            # FaWiersz (net, or gross on a gross-priced invoice), else the order's lines, else none.
            wanted = [x["P_11"] if x["P_11"] is not None else x["P_11A"] for x in expected["lines"]]
            if not wanted and expected["order"] is not None:
                wanted = [x["P_11NettoZ"] for x in expected["order"][1]]
            net_column = [c.label.plain for c in table.columns.values()].index(_("Net"))
            cells = [table.get_row_at(row)[net_column].plain for row in range(table.row_count)]
            assert cells == [format_amount(v, missing="") for v in wanted], (path.name, "lines", cells)
            if cells:
                assert cells[0] in _on_screen(app), (path.name, "lines on screen", cells[0])
    await settle(pilot)  # the XML tab reads the file in a worker
    assert f">{inv.number}</" in screen.query_one(XmlView).text, (path.name, "xml")
    await pilot.press("escape")
    await settle(pilot)
    assert app.screen is not screen, path.name


@pytest.mark.parametrize("part", range(APPS), ids=lambda n: f"app{n + 1}of{APPS}")
async def test_every_sample_opens_and_every_tab_shows(tmp_path: Path, part: int) -> None:
    samples = APP_SAMPLES[part::APPS]
    assert samples and len(APP_SAMPLES) >= 30
    app = KsefApp(AppConfig(home=tmp_path), initial_screen=lambda: InvoiceScreen(inspect_file(samples[0])))
    app.animation_level = "none"  # nothing here is about motion; see the module's docstring
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        for path in samples:
            await _check_sample(pilot, path)
