"""The demo clients' taxpayer profiles (issue 14): what JPK headers and EDI++ need beyond the client record,
so `ksef-tui export --demo --format jpk-v7m --period <last month>` has everything.

Derived from each client's name, deterministically: a name without a legal form ("Warsztat Michalak") is
a sole trader — a natural person on KPiR, with a first name, surname and date of birth; a civil
partnership ("s.c.") keeps KPiR too; general partnerships ("Sp. j.") alternate between KPiR and full
accounting; limited partnerships, limited companies and joint-stock companies keep full accounting. The
tax office is a real one of the client's city (codes and names from the official
KodyUrzedowSkarbowych.xsd of JPK_V7M(3)); no city in the name means Warsaw.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from ksef_tui.core.demo_roster import RosterEntry
from ksef_tui.core.exports import Ledger, TaxpayerKind, TaxpayerProfile

# City → (voivodeship, county, postcode prefix, tax offices (code, name)).
CITIES: dict[str, tuple[str, str, str, tuple[tuple[str, str], ...]]] = {
    "Warszawa": (
        "mazowieckie",
        "Warszawa",
        "00-",
        (
            ("1433", "Urząd Skarbowy Warszawa-Mokotów"),
            ("1435", "Pierwszy Urząd Skarbowy Warszawa-Śródmieście"),
            ("1438", "Urząd Skarbowy Warszawa-Ursynów"),
            ("1440", "Urząd Skarbowy Warszawa-Wola"),
        ),
    ),
    "Płock": ("mazowieckie", "Płock", "09-4", (("1419", "Urząd Skarbowy w Płocku"),)),
    "Gdańsk": (
        "pomorskie",
        "Gdańsk",
        "80-",
        (("2205", "Pierwszy Urząd Skarbowy w Gdańsku"), ("2206", "Drugi Urząd Skarbowy w Gdańsku")),
    ),
    "Lublin": (
        "lubelskie",
        "Lublin",
        "20-",
        (("0610", "Pierwszy Urząd Skarbowy w Lublinie"), ("0611", "Drugi Urząd Skarbowy w Lublinie")),
    ),
    "Kraków": (
        "małopolskie",
        "Kraków",
        "31-",
        (
            ("1207", "Pierwszy Urząd Skarbowy Kraków"),
            ("1208", "Urząd Skarbowy Kraków-Krowodrza"),
            ("1213", "Urząd Skarbowy Kraków-Śródmieście"),
        ),
    ),
    "Toruń": ("kujawsko-pomorskie", "Toruń", "87-1", (("0416", "Pierwszy Urząd Skarbowy w Toruniu"),)),
    "Kielce": ("świętokrzyskie", "Kielce", "25-", (("2604", "Pierwszy Urząd Skarbowy w Kielcach"),)),
    "Rzeszów": ("podkarpackie", "Rzeszów", "35-", (("1816", "Pierwszy Urząd Skarbowy w Rzeszowie"),)),
}
# Big taxpayers (S.A.) in Warsaw file with the first Mazovian tax office.
LARGE_WARSAW = ("1471", "Pierwszy Mazowiecki Urząd Skarbowy w Warszawie")
STREETS = (
    "ul. Długa",
    "ul. Polna",
    "ul. Lipowa",
    "ul. Kościuszki",
    "ul. Mickiewicza",
    "ul. Przemysłowa",
    "ul. Słoneczna",
    "al. Jana Pawła II",
    "ul. Żwirki i Wigury",
    "ul. Rzemieślnicza",
)
MEN = ("Jan", "Piotr", "Krzysztof", "Andrzej", "Tomasz", "Paweł", "Marek", "Michał", "Grzegorz", "Łukasz")
WOMEN = ("Anna", "Maria", "Katarzyna", "Małgorzata", "Agnieszka", "Barbara", "Ewa", "Joanna", "Magdalena")
_CITY = re.compile(r"\s*\(([^)]+)\)\s*$")
_LEGAL_FORMS = ("Sp. z o.o.", "S.A.", "Sp. j.", "Sp. k.", "s.c.")


def _pick(seed: str, choices: Sequence[Any]) -> Any:
    digest = hashlib.sha256(seed.encode()).digest()
    return choices[int.from_bytes(digest[:4], "big") % len(choices)]


def _number(seed: str, low: int, high: int) -> int:
    digest = hashlib.sha256(seed.encode()).digest()
    return low + int.from_bytes(digest[4:8], "big") % (high - low + 1)


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L"))
    return folded.encode("ascii", "ignore").decode("ascii")


def split_name(name: str) -> tuple[str, str, str]:
    """(the name without its city, the legal form or "", the city or "")."""
    city = ""
    found = _CITY.search(name)
    if found is not None:
        city, name = found.group(1), name[: found.start()]
    for form in _LEGAL_FORMS:
        if name.endswith(" " + form):
            return name[: -len(form) - 1], form, city
    return name, "", city


def profile_for(entry: RosterEntry) -> TaxpayerProfile:
    base, form, city_name = split_name(entry.name)
    city = city_name if city_name in CITIES else "Warszawa"
    voivodeship, county, prefix, offices = CITIES[city]
    seed = entry.nip
    code, _office = LARGE_WARSAW if form == "S.A." and city == "Warszawa" else _pick(seed + "us", offices)
    fixed = prefix.replace("-", "")
    digits = fixed + f"{_number(seed + 'pc', 0, 99999):05d}"[len(fixed) :]
    postcode = f"{digits[:2]}-{digits[2:]}"
    slug = re.sub(r"[^a-z0-9]+", "-", _ascii(base).lower()).strip("-")
    address: dict[str, Any] = {
        "country": "PL",
        "voivodeship": voivodeship,
        "county": county,
        "commune": county,
        "street": _pick(seed + "st", STREETS),
        "house_no": str(_number(seed + "no", 1, 120)),
        "flat_no": str(_number(seed + "fl", 1, 30)) if _number(seed + "hasfl", 0, 2) == 0 else "",
        "city": city,
        "postcode": postcode,
        "post_office": city,
        "email": f"biuro@{slug}.pl",
        "phone": f"+48 {_number(seed + 'ph', 500, 799)} {_number(seed + 'p2', 100, 999)} "
        f"{_number(seed + 'p3', 100, 999)}",
        "tax_office_code": code,
    }
    if not form:  # a sole trader: the surname is the name's last word
        surname = base.split()[-1]
        female = surname.endswith("a")
        first = _pick(seed + "fn", WOMEN if female else MEN)
        born = date(1960, 1, 1) + timedelta(days=_number(seed + "bd", 0, 365 * 38))
        return TaxpayerProfile(
            kind=TaxpayerKind.PERSON,
            first_name=first,
            last_name=surname,
            birth_date=born,
            ledger=Ledger.KPIR,
            **address,
        )
    if form == "s.c.":
        ledger = Ledger.KPIR
    elif form == "Sp. j.":
        ledger = Ledger.KPIR if _number(seed + "lg", 0, 1) == 0 else Ledger.FULL
    else:
        ledger = Ledger.FULL
    return TaxpayerProfile(kind=TaxpayerKind.COMPANY, full_name=entry.name, ledger=ledger, **address)


def seed_profiles(store: Any, roster: Sequence[RosterEntry]) -> int:
    """Every demo client's taxpayer profile (by NIP); returns how many were saved."""
    saved = 0
    for entry in roster:
        client = store.clients.find_by_nip(entry.nip)
        if client is None or client.id is None:
            continue
        store.exports.set_profile(client.id, profile_for(entry))
        saved += 1
    return saved
