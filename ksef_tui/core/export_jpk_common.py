"""What the two JPK writers share (issue 14 items 3 and 4): the official XSDs, their code lists, text
that fits an XSD type, the taxpayer's header data, and the last check before a file is handed out.

The XSDs are the Ministry of Finance's own (`resources/schemas/JPK/`, sources in
`resources/schemas/README.md`); each is compiled once per process (lxml, offline, through
`core.xml_safety.load_schema`). Their code lists (countries, tax offices) are read from the same files,
so a value is checked against exactly what the schema accepts.

Every writer validates its document against the schema before returning it: a file that the official
XSD would refuse is never handed out (it becomes a problem naming the schema's complaint instead).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date
from decimal import Decimal
from functools import cache
from pathlib import Path

from lxml import etree

from ksef_tui.core.bookings import Booking, BookingStatus
from ksef_tui.core.exports import ExportContext, ExportItem, ExportWarning, TaxpayerKind
from ksef_tui.core.i18n import _
from ksef_tui.core.xml_safety import SCHEMA_ROOT, load_schema, parse_untrusted

JPK_DIR = SCHEMA_ROOT / "JPK"
V7M_SCHEMA = JPK_DIR / "JPK_V7M_3" / "schemat_JPK_V7M(3)_v1-0E.xsd"
PKPIR_SCHEMA = JPK_DIR / "JPK_PKPIR_3" / "schemat_JPK_PKPIR(3)_v1-0.xsd"
_XS = "{http://www.w3.org/2001/XMLSchema}"
_lock = threading.Lock()

# What XML 1.0 cannot carry at all (lxml refuses it): C0 controls except tab/newline/CR, surrogates,
# U+FFFE/U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SPACES = re.compile(r"\s+")
_NIP = re.compile(r"[1-9]((\d[1-9])|([1-9]\d))\d{7}")
_EMAIL = re.compile(r".+@.+")
# The KSeF number pattern of both JPK XSDs (TNumerKSeF), anchored.
KSEF_NUMBER = re.compile(
    r"([1-9]((\d[1-9])|([1-9]\d))\d{7}|M\d{9}|[A-Z]{3}\d{7})-(20[2-9][0-9]|2[1-9][0-9]{2}|[3-9][0-9]{3})"
    r"(0[1-9]|1[0-2])(0[1-9]|[1-2][0-9]|3[0-1])-([0-9A-F]{6})-?([0-9A-F]{6})-([0-9A-F]{2})"
)
NO_ID = "brak"  # what the MF's JPK guidance writes for a counterparty without a tax identifier
CENT = Decimal("0.01")


@cache
def schema(path: Path) -> etree.XMLSchema:
    """The compiled XSD (once per process; libxml2 schema objects are used under a lock)."""
    with _lock:
        return load_schema(path)


def validate(path: Path, root: etree._Element) -> list[str]:
    """The schema's complaints about `root` (empty when valid), namespaces stripped."""
    compiled = schema(path)
    with _lock:
        if compiled.validate(root):
            return []
        return [re.sub(r"\{[^}]*\}", "", entry.message) for entry in compiled.error_log][:5]


@cache
def enumeration(path: Path, type_name: str) -> frozenset[str]:
    """The values of the simple type `type_name` in one of the packaged XSDs."""
    root = parse_untrusted(path.read_bytes())
    for simple in root.iter(f"{_XS}simpleType"):
        if simple.get("name") == type_name:
            return frozenset(str(e.get("value")) for e in simple.iter(f"{_XS}enumeration"))
    raise LookupError(f"{type_name} not in {path.name}")


def v7m_countries() -> frozenset[str]:
    """JPK_V7M(3) `TKodKrajuJPK`: the ISO list plus EL, without GR (Greece is EL in VAT)."""
    codes = enumeration(JPK_DIR / "JPK_V7M_3" / "KodyKrajow.xsd", "TKodKraju")
    return (codes | {"EL"}) - {"GR"}


def pkpir_countries() -> frozenset[str]:
    return enumeration(JPK_DIR / "JPK_PKPIR_3" / "bazowe" / "KodyKrajow_v10-0E.xsd", "TKodKraju")


def tax_offices() -> frozenset[str]:
    return enumeration(JPK_DIR / "JPK_V7M_3" / "KodyUrzedowSkarbowych.xsd", "TKodUS")


@dataclass
class Findings:
    """Warnings (the file is written, the user is told) and problems (nothing is written)."""

    warnings: list[ExportWarning] = field(default_factory=list)
    problems: list[ExportWarning] = field(default_factory=list)

    def warn(self, code: str, message: str, ksef_number: str = "") -> None:
        self.warnings.append(ExportWarning(code, message, ksef_number))

    def problem(self, code: str, message: str, ksef_number: str = "") -> None:
        self.problems.append(ExportWarning(code, message, ksef_number))


def token(value: str) -> str:
    """`xsd:token` as the schema sees it: no characters XML cannot carry, whitespace collapsed."""
    return _SPACES.sub(" ", _NOT_XML.sub("", value)).strip()


def fit(value: str, limit: int, field_name: str, found: Findings, prefix: str, ksef_number: str = "") -> str:
    """`value` as a token of at most `limit` characters; a cut is a warning naming the field."""
    text = token(value)
    if len(text) > limit:
        found.warn(
            f"{prefix}.text_cut",
            _("{field} is longer than the {limit} characters the JPK file allows; cut to: {text}").format(
                field=field_name, limit=limit, text=text[:limit]
            ),
            ksef_number,
        )
        text = text[:limit].rstrip()
    return text


def amount(value: Decimal) -> str:
    """An amount in PLN with two places (`TKwotowy`); no negative zero."""
    value = value.quantize(CENT)
    return "0.00" if value == 0 else f"{value:.2f}"


def created(context: ExportContext) -> str:
    """`DataWytworzeniaJPK`: the batch's time in UTC, to the second."""
    moment = context.created_at
    if moment.tzinfo is None:  # the contract says aware; a naive one is read as UTC rather than guessed
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def period_bounds(period: str) -> tuple[int, int] | None:
    """(year, month) of "YYYY-MM", None when it is not one."""
    found = re.fullmatch(r"(\d{4})-(\d{2})", period or "")
    if found is None or not 1 <= int(found.group(2)) <= 12:
        return None
    return int(found.group(1)), int(found.group(2))


def split_tax_id(raw: str, countries: frozenset[str]) -> tuple[str | None, str]:
    """(country code or None, number) of a counterparty's tax id: a Polish NIP → ("PL", digits); an id
    with a two-letter prefix the schema knows → (prefix, rest); anything else → (None, as given)."""
    text = token(raw).replace(" ", "")
    digits = text.replace("-", "")
    if _NIP.fullmatch(digits):
        return "PL", digits
    if len(text) > 2 and text[:2].isalpha() and text[:2].isupper():
        code = "EL" if text[:2] == "GR" and "EL" in countries else text[:2]
        if code in countries:
            rest = text[2:]
            if code == "PL" and _NIP.fullmatch(rest.replace("-", "")):
                rest = rest.replace("-", "")
            return code, rest
    return None, text


def taxpayer(context: ExportContext, ns: str, etd: str, parent: etree._Element, found: Findings) -> None:
    """`Podmiot1`'s identity (OsobaNiefizyczna or OsobaFizyczna) under `parent`; missing or unusable data
    is a problem naming the field in Polish. E-mail and phone are added by the callers (their schemas
    differ on whether e-mail is required)."""
    profile = context.profile
    nip = (context.client_nip or "").replace("-", "").strip()
    if not _NIP.fullmatch(nip):
        found.problem(
            "jpk.taxpayer_nip",
            _("The client's NIP ({nip}) is not a valid Polish NIP; the JPK file needs it.").format(
                nip=context.client_nip or "—"
            ),
        )
    if profile.kind is TaxpayerKind.PERSON:
        person = etree.SubElement(parent, f"{{{ns}}}OsobaFizyczna")
        etree.SubElement(person, f"{{{etd}}}NIP").text = nip
        first = token(profile.first_name)
        last = token(profile.last_name)
        if not first:
            found.problem(
                "jpk.taxpayer_missing", _("The client's profile has no first name; the JPK file needs it.")
            )
        elif len(first) > 30:
            found.problem(
                "jpk.taxpayer_too_long",
                _("The client's first name is longer than the 30 characters JPK allows."),
            )
        if not last:
            found.problem(
                "jpk.taxpayer_missing", _("The client's profile has no surname; the JPK file needs it.")
            )
        elif len(last) > 81:
            found.problem(
                "jpk.taxpayer_too_long",
                _("The client's surname is longer than the 81 characters JPK allows."),
            )
        etree.SubElement(person, f"{{{etd}}}ImiePierwsze").text = first
        etree.SubElement(person, f"{{{etd}}}Nazwisko").text = last
        birth: date | None = profile.birth_date
        if birth is None:
            found.problem(
                "jpk.taxpayer_missing", _("The client's profile has no date of birth; the JPK file needs it.")
            )
        etree.SubElement(person, f"{{{etd}}}DataUrodzenia").text = birth.isoformat() if birth else ""
        return
    company = etree.SubElement(parent, f"{{{ns}}}OsobaNiefizyczna")
    etree.SubElement(company, f"{{{ns}}}NIP").text = nip
    name = token(profile.full_name) or token(context.client_name)
    if not name:
        found.problem(
            "jpk.taxpayer_missing", _("The client's profile has no full name; the JPK file needs it.")
        )
    name = fit(name, 240, _("The client's full name (PelnaNazwa)"), found, "jpk")
    etree.SubElement(company, f"{{{ns}}}PelnaNazwa").text = name


def contact(
    context: ExportContext, ns: str, person: etree._Element, found: Findings, *, email_required: bool
) -> None:
    """`Email` and `Telefon` of Podmiot1 (a phone that does not fit is left out with a warning)."""
    profile = context.profile
    email = token(profile.email)
    if email and not (3 <= len(email) <= 255 and _EMAIL.fullmatch(email)):
        found.problem(
            "jpk.taxpayer_email",
            _("The client's e-mail address ({email}) is not one the JPK file accepts.").format(email=email),
        )
    elif not email and email_required:
        found.problem(
            "jpk.taxpayer_missing",
            _("The client's profile has no e-mail address; the JPK file needs it."),
        )
    if email:
        etree.SubElement(person, f"{{{ns}}}Email").text = email
    phone = token(profile.phone)
    if phone and len(phone) > 16:
        found.warn(
            "jpk.phone_left_out",
            _(
                "The client's phone number ({phone}) is longer than the 16 characters JPK allows; left out."
            ).format(phone=phone),
        )
    elif phone:
        etree.SubElement(person, f"{{{ns}}}Telefon").text = phone


def tax_office(context: ExportContext, found: Findings) -> str:
    code = token(context.profile.tax_office_code)
    if not code:
        found.problem(
            "jpk.missing_tax_office",
            _("The client's profile has no tax office code (KodUrzedu); the JPK file needs it."),
        )
    elif code not in tax_offices():
        found.problem(
            "jpk.bad_tax_office",
            _("The tax office code {code} is not on the Ministry of Finance's list.").format(code=code),
        )
    return code


def serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def schema_problems(path: Path, root: etree._Element, found: Findings, form: str) -> None:
    """The safety net: a document the official XSD refuses becomes a problem, never a file."""
    for message in validate(path, root):
        found.problem(
            "jpk.schema",
            _("The {form} file would not match the official schema: {detail}").format(
                form=form, detail=message
            ),
        )


EXPORTABLE = frozenset({BookingStatus.APPROVED, BookingStatus.EXPORTED})


def admitted(
    items: Sequence[ExportItem],
    context: ExportContext,
    found: Findings,
    prefix: str,
    period_of: Callable[[Booking], str],
    other_period: str,
) -> Iterator[ExportItem]:
    """The items a JPK file takes, once each, in the order given. Excluded, not approved and repeated
    ones are said in `found` (codes `<prefix>.excluded` etc.) and left out; one of another period
    (`other_period`, with {number}, {period}, {wanted}) is said and kept."""
    seen: set[str] = set()
    for item in items:
        booking = item.booking
        number = booking.ksef_number
        if booking.status is BookingStatus.EXCLUDED:
            text = _("Invoice {number} is excluded; it is not in the JPK file.")
            found.warn(f"{prefix}.excluded", text.format(number=number), number)
            continue
        if booking.status not in EXPORTABLE:
            text = _("Invoice {number} is not approved yet; it is not in the JPK file.")
            found.warn(f"{prefix}.not_approved", text.format(number=number), number)
            continue
        if number in seen:
            text = _("Invoice {number} was given twice; it is in the JPK file once.")
            found.warn(f"{prefix}.duplicate", text.format(number=number), number)
            continue
        seen.add(number)
        period = period_of(booking)
        if period and period != context.period:
            text = other_period.format(number=number, period=period, wanted=context.period)
            found.warn(f"{prefix}.other_period", text, number)
        yield item


def seller_name(booking: Booking, found: Findings, prefix: str) -> str:
    """The seller's name for a JPK row; a booking without one is said and written as "brak" (NO_ID)."""
    name = token(booking.seller_name)
    if not name:
        number = booking.ksef_number
        text = _('Invoice {number} has no seller name; written as "brak".')
        found.warn(f"{prefix}.no_seller_name", text.format(number=number), number)
        name = NO_ID
    return name
