"""Invoice metadata query and single-invoice download (API-NOTES §10-§11)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from starlette.responses import Response

from ksef_tui.core.clock import WARSAW
from ksef_tui.core.ksef_number import PATTERN as KSEF_PATTERN
from ksef_tui.simulator.errors import ApiError, validation
from ksef_tui.simulator.model import FA3_FORM, Invoice
from ksef_tui.simulator.refs import iso, sha256_b64
from ksef_tui.simulator.routing import Ctx, json_response, route

RESULT_CAP = 10_000
SUBJECT_TYPES = ("Subject1", "Subject2", "Subject3", "SubjectAuthorized")
DATE_TYPES = ("Issue", "Invoicing", "PermanentStorage")
INVOICE_TYPES = (
    "Vat",
    "Zal",
    "Kor",
    "Roz",
    "Upr",
    "KorZal",
    "KorRoz",
    "VatPef",
    "VatPefSp",
    "KorPef",
    "VatRr",
    "KorVatRr",
)


def parse_dt(value: object, name: str) -> datetime:
    """Z, an explicit offset, or none (read as Europe/Warsaw) (API-NOTES §2)."""
    if not isinstance(value, str):
        raise validation(f"Pole {name} musi być datą (ISO-8601).")
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise validation(f"Pole {name} nie jest poprawną datą.") from exc
    return dt if dt.tzinfo else dt.replace(tzinfo=WARSAW)


def hwm(ctx: Ctx) -> datetime:
    """permanentStorageHwmDate now: below it KSeF's permanent storage is complete (World.hwm)."""
    return ctx.world.hwm(ctx.now(), timedelta(seconds=ctx.faults.hwm_lag_seconds))


@dataclass
class Query:
    subject_type: str
    date_type: str
    start: datetime
    end: datetime
    filters: dict

    def date_of(self, inv: Invoice) -> datetime:
        if self.date_type == "Issue":
            return datetime.combine(inv.issue_date, datetime.min.time(), WARSAW)
        if self.date_type == "Invoicing":
            return inv.invoicing_date
        assert inv.permanent_storage_date is not None
        return inv.permanent_storage_date


def parse_filters(ctx: Ctx, data: object, *, for_export: bool = False) -> Query:
    if not isinstance(data, dict):
        raise validation("Brak filtrów zapytania.")
    subject = data.get("subjectType")
    if subject not in SUBJECT_TYPES:
        raise validation("Pole subjectType jest wymagane (Subject1|Subject2|Subject3|SubjectAuthorized).")
    rng = data.get("dateRange")
    if not isinstance(rng, dict) or rng.get("dateType") not in DATE_TYPES:
        raise validation("Pole dateRange jest wymagane (dateType: Issue|Invoicing|PermanentStorage, from).")
    start = parse_dt(rng.get("from"), "dateRange.from")
    end = parse_dt(rng["to"], "dateRange.to") if rng.get("to") is not None else ctx.now()
    if end < start:
        raise validation("Data dateRange.to jest wcześniejsza niż dateRange.from.")
    if end - start > timedelta(days=92):
        raise validation("Zakres dat nie może przekraczać 3 miesięcy.")
    if rng.get("restrictToPermanentStorageHwmDate"):
        mark = hwm(ctx)
        if start > mark:
            raise ApiError(
                21183,
                "Parametr dateRange.from jest późniejszy niż PermanentStorageHwmDate przy włączonym "
                "restrictToPermanentStorageHwmDate.",
            )
        end = min(end, mark)
    if data.get("invoiceTypes") is not None and (
        not isinstance(data["invoiceTypes"], list)
        or any(t not in INVOICE_TYPES for t in data["invoiceTypes"])
    ):
        raise validation("Nieprawidłowa wartość invoiceTypes.")
    if data.get("ksefNumber") is not None and not KSEF_PATTERN.match(str(data["ksefNumber"])):
        raise validation("Nieprawidłowy numer KSeF.")
    amount = data.get("amount")
    if amount is not None and (
        not isinstance(amount, dict) or amount.get("type") not in ("Brutto", "Netto", "Vat")
    ):
        raise validation("Nieprawidłowy filtr amount.")
    return Query(subject, rng["dateType"], start, end, data)


def _matches(inv: Invoice, q: Query) -> bool:
    f = q.filters
    if f.get("ksefNumber") and inv.ksef_number != f["ksefNumber"]:
        return False
    if f.get("invoiceNumber") and f["invoiceNumber"] != inv.invoice_number:
        return False
    if f.get("sellerNip") and f["sellerNip"] != inv.seller_nip:
        return False
    buyer = f.get("buyerIdentifier")
    if (
        isinstance(buyer, dict)
        and buyer.get("value")
        and (buyer.get("type") != "Nip" or buyer["value"] != inv.buyer_nip)
    ):
        return False
    if f.get("currencyCodes") and inv.currency not in f["currencyCodes"]:
        return False
    if f.get("invoicingMode") and f["invoicingMode"] != inv.invoicing_mode:
        return False
    if f.get("invoiceTypes") and inv.invoice_type not in f["invoiceTypes"]:
        return False
    if f.get("formType") not in (None, "FA"):
        return False
    if f.get("hasAttachment") is True or f.get("isSelfInvoicing") is True:
        return False
    amount = f.get("amount")
    if isinstance(amount, dict):
        net, vat, gross = inv.amounts
        value = {"Brutto": gross, "Netto": net, "Vat": vat}[amount["type"]]
        if amount.get("from") is not None and value < Decimal(str(amount["from"])):
            return False
        if amount.get("to") is not None and value > Decimal(str(amount["to"])):
            return False
    return True


def select(ctx: Ctx, q: Query, descending: bool = False) -> list[Invoice]:
    """Accepted invoices of the context for this subject type that KSeF lists now (permanently stored and
    visible: a late invoice only from its visible_from), sorted by date. Both bounds are inclusive, so an
    invoice stored exactly at a window's edge is in both adjacent windows."""
    tp = ctx.world.taxpayer(ctx.context_nip)
    if tp is None:
        return []
    if q.subject_type == "Subject1":
        pool = [i for i in tp.invoices if i.accepted]
    elif q.subject_type == "Subject2":
        pool = list(tp.purchases)
    elif q.subject_type == "Subject3":
        pool = list(tp.third_party)  # the context named in Podmiot3 (arrivals.third_party_purchase)
    else:
        pool = []  # no authorised subjects in the simulated world
    now = ctx.now()
    out = [i for i in pool if i.visible(now) and q.start <= q.date_of(i) <= q.end and _matches(i, q)]
    out.sort(key=lambda i: (q.date_of(i), i.ksef_number or ""), reverse=descending)
    return out


def _money(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01")))


def metadata_json(inv: Invoice) -> dict:
    net, vat, gross = inv.amounts
    assert inv.ksef_number and inv.acquisition_date and inv.permanent_storage_date
    out = {
        "ksefNumber": inv.ksef_number,
        "invoiceNumber": inv.invoice_number,
        "issueDate": inv.issue_date.isoformat(),
        "invoicingDate": iso(inv.invoicing_date),
        "acquisitionDate": iso(inv.acquisition_date),
        "permanentStorageDate": iso(inv.permanent_storage_date),
        "seller": {"nip": inv.seller_nip, "name": inv.seller_name or None},
        "buyer": {"identifier": {"type": "Nip", "value": inv.buyer_nip}, "name": inv.buyer_name or None},
        "netAmount": _money(net),
        "grossAmount": _money(gross),
        "vatAmount": _money(vat),
        "currency": inv.currency,
        "invoicingMode": inv.invoicing_mode,
        "invoiceType": inv.invoice_type,
        "formCode": dict(FA3_FORM),
        "isSelfInvoicing": False,
        "hasAttachment": False,
        "invoiceHash": inv.hash,
    }
    return out


def result_cap(ctx: Ctx) -> int:
    cap = ctx.faults.metadata_truncate_at
    return cap if cap is not None and cap > 0 else RESULT_CAP


@route("POST", "/invoices/query/metadata", permissions=("InvoiceRead",))
async def query_metadata(ctx: Ctx) -> Response:
    offset = ctx.query_int("pageOffset", 0, 0)
    size = ctx.query_int("pageSize", 10, 10, 250)
    order = ctx.request.query_params.get("sortOrder", "Asc")
    if order not in ("Asc", "Desc"):
        raise validation("Parametr sortOrder: Asc|Desc.")
    q = parse_filters(ctx, await ctx.json())
    matched = select(ctx, q, descending=order == "Desc")
    cap = result_cap(ctx)
    capped = matched[:cap]
    page = capped[offset * size : (offset + 1) * size]
    end_of_window = (offset + 1) * size >= len(capped)
    truncated = len(matched) > cap and end_of_window
    body = {
        "hasMore": not end_of_window or truncated,
        "isTruncated": truncated,
        "permanentStorageHwmDate": iso(hwm(ctx)),
        "invoices": [metadata_json(i) for i in page],
    }
    return json_response(body)


@route("GET", "/invoices/ksef/{ksefNumber}", permissions=("InvoiceRead",))
async def download_invoice(ctx: Ctx) -> Response:
    number = ctx.request.path_params["ksefNumber"]
    if not KSEF_PATTERN.match(number):
        raise validation(f"Nieprawidłowy numer KSeF: {number}.")
    inv = ctx.world.invoices.get(number)
    parties = (inv.seller_nip, inv.buyer_nip, inv.third_party_nip) if inv is not None else ()
    if inv is None or ctx.context_nip not in parties or not inv.visible(ctx.now()):
        raise ApiError(21164, f"Faktura o numerze KSeF {number} nie została znaleziona.")
    n = ctx.faults.invoice_not_available_requests
    if n > 0 and ctx.sim.fault_state.count("invoice", number) < n:
        raise ApiError(
            21165,
            f"Faktura o numerze KSeF {number} została przetworzona, ale nie jest jeszcze dostępna "
            "do pobrania. Spróbuj ponownie później.",
        )
    body = inv.body
    return Response(body, media_type="application/xml", headers={"x-ms-meta-hash": sha256_b64(body)})
