"""The suppliers the demo clients buy from: fictional Polish companies (valid NIP checksums) with the
items they invoice, in their units and at their usual VAT rates.

Monthly suppliers (energy, telecom, rent, some services) bill once a month on their `billing_day`; the
others invoice whenever the client buys (fuel, materials, office supplies, transport ...). `eur`, `advances`
and `reverse_charge` say which suppliers sometimes invoice in EUR, issue advance invoices (ZAL, settled by a
final ROZ) or sell under the reverse charge ("oo"). The price and quantity ranges are the catalogue's; each
client takes its usual quantity at its usual price within them (purchase_fa._base), so a client's rent or
retainer is the same every month and its fuel stop of a usual size. Read by world.py (the demo month) and
purchase_fa.py (the invoice bodies).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    name: str  # P_7
    unit: str  # P_8A
    price: tuple[int, int]  # unit net price range in grosze (P_9A)
    qty: tuple[int, int]  # quantity range; in hundredths when `fractional`
    rate: str  # P_12: "23", "8", "5" or "zw" ("oo" is set per invoice, see purchase_fa.py)
    fractional: bool = False  # litres, kWh: quantities with two decimals


@dataclass(frozen=True)
class Supplier:
    key: str
    nip: str
    name: str
    category: str  # energy | telecom | fuel | rent | building | office | it | legal | transport
    street: str
    city: str  # postcode and city (AdresL2)
    prefix: str  # invoice numbering: PREFIX/n/MM/YYYY
    items: tuple[Item, ...]
    lines: tuple[int, int] = (1, 3)  # lines per invoice
    monthly: bool = False  # one bill a month on billing_day
    billing_day: int = 1
    fixed_lines: bool = False  # every item on every invoice, in catalogue order (utility bills)
    weight: float = 1.0  # how often a client buys from it, relative to the other non-monthly suppliers
    eur: bool = False
    advances: bool = False
    reverse_charge: bool = False


def _i(
    name: str, unit: str, lo: int, hi: int, qty: tuple[int, int], rate: str = "23", frac: bool = False
) -> Item:
    return Item(name, unit, (lo, hi), qty, rate, frac)


CATALOGUE: tuple[Supplier, ...] = (
    # ---- energy (monthly) ------------------------------------------------------------------------
    Supplier(
        "energa-obrot",
        "1481292323",
        "Energia Pomorze Obrót S.A.",
        "energy",
        "ul. Grunwaldzka 80",
        "80-244 Gdańsk",
        "EP",
        (
            _i("Energia elektryczna czynna - taryfa C11", "kWh", 62, 89, (18000, 260000), frac=True),
            _i("Opłata dystrybucyjna zmienna", "kWh", 28, 41, (18000, 260000), frac=True),
            _i("Opłata handlowa", "mies.", 1200, 3500, (1, 1)),
            _i("Opłata mocowa", "mies.", 900, 4800, (1, 1)),
        ),
        monthly=True,
        billing_day=5,
        fixed_lines=True,
    ),
    Supplier(
        "prad-centrum",
        "1661372331",
        "Prąd i Gaz Centrum Sp. z o.o.",
        "energy",
        "al. Jerozolimskie 212",
        "02-486 Warszawa",
        "PGC",
        (
            _i("Energia elektryczna - taryfa C12a", "kWh", 58, 84, (25000, 400000), frac=True),
            _i("Paliwo gazowe - taryfa W-3.6", "kWh", 21, 33, (40000, 900000), frac=True),
            _i("Opłata abonamentowa", "mies.", 800, 2500, (1, 1)),
        ),
        monthly=True,
        billing_day=12,
        fixed_lines=True,
    ),
    # ---- telecom (monthly) -----------------------------------------------------------------------
    Supplier(
        "telkom-net",
        "8709788711",
        "TelKom Net Sp. z o.o.",
        "telecom",
        "ul. Postępu 14",
        "02-676 Warszawa",
        "TK",
        (
            _i("Abonament internet światłowodowy 1 Gb/s", "mies.", 9900, 19900, (1, 1)),
            _i("Abonament komórkowy firmowy", "mies.", 3900, 8900, (1, 6)),
            _i("Połączenia poza pakietem", "min", 9, 29, (10, 400)),
        ),
        monthly=True,
        billing_day=1,
        fixed_lines=True,
    ),
    Supplier(
        "fala-mobile",
        "5352242147",
        "Fala Mobile S.A.",
        "telecom",
        "ul. Wołoska 24",
        "02-675 Warszawa",
        "FM",
        (
            _i("Abonament głosowy Biznes", "mies.", 4500, 7900, (1, 4)),
            _i("Pakiet danych 100 GB", "mies.", 2500, 4900, (1, 4)),
            _i("Roaming UE ponad limit", "MB", 1, 5, (0, 2000)),
        ),
        monthly=True,
        billing_day=20,
        fixed_lines=True,
    ),
    # ---- rent (monthly) --------------------------------------------------------------------------
    Supplier(
        "biurowiec-arkada",
        "5446173932",
        "Centrum Biurowe Arkada Sp. z o.o.",
        "rent",
        "ul. Piłsudskiego 33",
        "50-032 Wrocław",
        "CBA",
        (
            _i("Czynsz najmu lokalu użytkowego", "mies.", 250000, 900000, (1, 1)),
            _i("Opłata eksploatacyjna", "mies.", 30000, 120000, (1, 1)),
            _i("Miejsce parkingowe", "mies.", 25000, 45000, (1, 3)),
        ),
        monthly=True,
        billing_day=1,
        fixed_lines=True,
    ),
    Supplier(
        "lokale-nowak",
        "4175172221",
        "Zarząd Nieruchomości Nowak i Syn Sp. j.",
        "rent",
        "ul. Długa 7",
        "31-147 Kraków",
        "ZN",
        (
            _i("Najem lokalu użytkowego", "mies.", 180000, 520000, (1, 1)),
            _i("Zaliczka na media", "mies.", 20000, 60000, (1, 1)),
        ),
        monthly=True,
        billing_day=10,
        fixed_lines=True,
    ),
    Supplier(
        "mieszkania-kowalska",
        "6701850013",
        "Najem Mieszkań Kowalska",
        "rent",
        "ul. Słoneczna 3/12",
        "20-012 Lublin",
        "NMK",
        (
            _i(
                "Najem lokalu mieszkalnego na cele mieszkaniowe pracownika",
                "mies.",
                150000,
                320000,
                (1, 1),
                "zw",
            ),
        ),
        monthly=True,
        billing_day=3,
        fixed_lines=True,
    ),
    # ---- fuel ------------------------------------------------------------------------------------
    Supplier(
        "orlen-stacja",
        "7934628101",
        "Stacja Paliw Autostrada Sp. z o.o.",
        "fuel",
        "ul. Krakowska 241",
        "02-133 Warszawa",
        "SPA",
        (
            _i("Olej napędowy ON", "l", 589, 689, (2000, 9500), frac=True),
            _i("Benzyna bezołowiowa Pb95", "l", 579, 669, (2000, 6000), frac=True),
            _i("AdBlue", "l", 399, 549, (500, 2000), frac=True),
            _i("Hot-dog", "szt.", 899, 1299, (1, 3), "5"),
            _i("Kawa z ekspresu", "szt.", 799, 1399, (1, 3), "8"),
        ),
        lines=(1, 2),
        weight=5.0,
    ),
    Supplier(
        "paliwa-mazur",
        "3619660258",
        "Paliwa Mazur Sp. j.",
        "fuel",
        "ul. Szczecińska 12",
        "75-135 Koszalin",
        "PM",
        (
            _i("Olej napędowy ON", "l", 585, 679, (3000, 12000), frac=True),
            _i("Gaz LPG", "l", 279, 329, (2000, 6000), frac=True),
            _i("Płyn do spryskiwaczy zimowy 5 l", "szt.", 1999, 2999, (1, 2)),
        ),
        lines=(1, 2),
        weight=4.0,
    ),
    Supplier(
        "flota-karta",
        "1702635834",
        "FlotaKarta Polska S.A.",
        "fuel",
        "ul. Marynarska 15",
        "02-674 Warszawa",
        "FK",
        (
            _i("Olej napędowy ON - karta flotowa", "l", 579, 669, (3000, 15000), frac=True),
            _i("Benzyna Pb95 - karta flotowa", "l", 569, 659, (2000, 8000), frac=True),
            _i("Myjnia automatyczna", "usł.", 2500, 5500, (1, 1)),
        ),
        lines=(1, 3),
        weight=4.0,
    ),
    # ---- building materials ----------------------------------------------------------------------
    Supplier(
        "budmat",
        "7145170756",
        "BudMat Hurtownia Materiałów Budowlanych Sp. z o.o.",
        "building",
        "ul. Przemysłowa 8",
        "60-101 Poznań",
        "BM",
        (
            _i("Cement CEM II 32,5R 25 kg", "worek", 1899, 2599, (10, 120)),
            _i("Pustak ceramiczny P+W 25", "szt.", 699, 999, (50, 800)),
            _i("Płyta gipsowo-kartonowa 12,5 mm", "szt.", 2199, 3299, (10, 150)),
            _i("Klej do płytek C2TE 25 kg", "worek", 3999, 6499, (5, 60)),
            _i("Transport HDS", "usł.", 25000, 60000, (1, 1)),
        ),
        lines=(1, 5),
        weight=2.5,
        advances=True,
    ),
    Supplier(
        "stal-slask",
        "9825472144",
        "Stal-Śląsk Dystrybucja Sp. z o.o.",
        "building",
        "ul. Hutnicza 40",
        "40-241 Katowice",
        "SS",
        (
            _i("Pręt zbrojeniowy fi 12 B500SP", "kg", 389, 529, (200, 4000)),
            _i("Siatka zbrojeniowa 15x15 fi 6", "szt.", 8900, 12900, (5, 80)),
            _i("Drut wiązałkowy 1,2 mm", "kg", 799, 1199, (5, 50)),
        ),
        lines=(1, 3),
        weight=1.5,
        reverse_charge=True,
    ),
    Supplier(
        "drewno-baran",
        "1359353190",
        "Tartak i Skład Drewna Baran",
        "building",
        "ul. Leśna 2",
        "26-600 Radom",
        "TB",
        (
            _i("Kantówka konstrukcyjna C24 45x95", "m3", 189000, 259000, (1, 12)),
            _i("Deska tarasowa modrzew", "m2", 12900, 18900, (5, 80)),
            _i("Płyta OSB/3 18 mm", "szt.", 8900, 13900, (5, 60)),
        ),
        lines=(1, 3),
        weight=1.0,
        advances=True,
    ),
    # ---- office supplies -------------------------------------------------------------------------
    Supplier(
        "biuro-plus",
        "9122832456",
        "Biuro Plus Artykuły Biurowe Sp. z o.o.",
        "office",
        "ul. Jagiellońska 74",
        "03-301 Warszawa",
        "BP",
        (
            _i("Papier ksero A4 80 g/m2", "ryza", 1899, 2899, (5, 50)),
            _i("Toner do drukarki laserowej", "szt.", 18900, 45900, (1, 4)),
            _i("Segregator A4 75 mm", "szt.", 699, 1299, (5, 40)),
            _i("Kawa ziarnista 1 kg", "szt.", 5900, 9900, (1, 6)),
            _i("Mleko UHT 3,2% 1 l", "szt.", 349, 499, (6, 36), "5"),
            _i("Herbatniki maślane 100 g", "szt.", 299, 599, (5, 30), "5"),
        ),
        lines=(2, 6),
        weight=2.0,
    ),
    Supplier(
        "papiernik",
        "6179231329",
        "Papiernik Zając s.c.",
        "office",
        "ul. Mickiewicza 18",
        "87-100 Toruń",
        "PZ",
        (
            _i("Koperty C4 samoprzylepne", "op.", 2999, 4999, (1, 10)),
            _i("Długopis żelowy", "szt.", 399, 899, (10, 50)),
            _i("Etykiety samoprzylepne A4", "op.", 3999, 6999, (1, 5)),
        ),
        lines=(1, 3),
        weight=1.0,
    ),
    Supplier(
        "catering-smak",
        "1778919408",
        "Catering Smak Sp. z o.o.",
        "office",
        "ul. Piotrkowska 101",
        "90-425 Łódź",
        "CS",
        (
            _i("Usługa cateringowa - lunch dla pracowników", "os.", 2500, 4500, (5, 40), "8"),
            _i("Woda mineralna 0,5 l", "szt.", 149, 299, (24, 120), "5"),
        ),
        lines=(1, 2),
        weight=1.0,
    ),
    # ---- IT services -----------------------------------------------------------------------------
    Supplier(
        "chmura-it",
        "6505167395",
        "Chmura IT Sp. z o.o.",
        "it",
        "ul. Lubicz 23",
        "31-503 Kraków",
        "CIT",
        (
            _i("Abonament hosting i poczta e-mail", "mies.", 4900, 29900, (1, 1)),
            _i("Kopia zapasowa w chmurze 500 GB", "mies.", 3900, 9900, (1, 1)),
        ),
        monthly=True,
        billing_day=15,
        fixed_lines=True,
        eur=True,
    ),
    Supplier(
        "soft-serwis",
        "3446156737",
        "Soft-Serwis Wróbel i Wspólnicy Sp. k.",
        "it",
        "ul. Zwycięstwa 52",
        "44-100 Gliwice",
        "SSW",
        (
            _i("Wsparcie techniczne IT", "godz.", 12000, 22000, (1, 24)),
            _i("Licencja oprogramowania - odnowienie roczne", "szt.", 49900, 249900, (1, 10)),
            _i("Wdrożenie i konfiguracja", "godz.", 15000, 25000, (2, 40)),
        ),
        lines=(1, 3),
        weight=1.0,
        eur=True,
        advances=True,
    ),
    Supplier(
        "komputery-sikora",
        "5276289497",
        "Komputery Sikora Sp. z o.o.",
        "it",
        "ul. Kościuszki 40",
        "15-420 Białystok",
        "KS",
        (
            _i("Laptop 14 cali i5/16GB/512GB", "szt.", 329900, 549900, (1, 3)),
            _i("Monitor 27 cali", "szt.", 79900, 159900, (1, 4)),
            _i("Stacja dokująca USB-C", "szt.", 49900, 89900, (1, 4)),
            _i("Serwer rack 2U Xeon/64GB/4x2TB", "szt.", 1490000, 2290000, (1, 1)),
        ),
        lines=(1, 3),
        weight=0.7,
    ),
    # ---- accounting / legal ----------------------------------------------------------------------
    Supplier(
        "kancelaria-lex",
        "1436944981",
        "Kancelaria Radców Prawnych Lex Ostrowska Sp. p.",
        "legal",
        "ul. Królewska 16",
        "00-103 Warszawa",
        "KL",
        (
            _i("Obsługa prawna - ryczałt miesięczny", "mies.", 150000, 600000, (1, 1)),
            _i("Porada prawna ponad ryczałt", "godz.", 30000, 55000, (1, 6)),
        ),
        monthly=True,
        billing_day=28,
        fixed_lines=True,
    ),
    Supplier(
        "audyt-bilans",
        "8808067593",
        "Audyt i Doradztwo Bilans Sp. z o.o.",
        "legal",
        "ul. Wały Jagiellońskie 8",
        "80-887 Gdańsk",
        "AD",
        (
            _i("Doradztwo podatkowe", "godz.", 25000, 45000, (1, 12)),
            _i("Przegląd dokumentacji cen transferowych", "usł.", 300000, 900000, (1, 1)),
        ),
        lines=(1, 2),
        weight=0.6,
    ),
    Supplier(
        "bhp-serwis",
        "7926995322",
        "BHP Serwis Górski",
        "legal",
        "ul. Składowa 9",
        "45-125 Opole",
        "BHP",
        (
            _i("Szkolenie okresowe BHP", "os.", 9900, 18900, (1, 20)),
            _i("Obsługa BHP - ryczałt", "mies.", 19900, 49900, (1, 1)),
        ),
        lines=(1, 2),
        weight=0.6,
    ),
    # ---- transport -------------------------------------------------------------------------------
    Supplier(
        "kurier-express",
        "4888195545",
        "Kurier Express Polska Sp. z o.o.",
        "transport",
        "ul. Annopol 3",
        "03-236 Warszawa",
        "KE",
        (
            _i("Przesyłka kurierska krajowa do 5 kg", "szt.", 1499, 2499, (1, 60)),
            _i("Przesyłka paletowa", "szt.", 14900, 24900, (1, 6)),
            _i("Opłata paliwowa", "usł.", 500, 4000, (1, 1)),
        ),
        lines=(1, 3),
        weight=2.0,
    ),
    Supplier(
        "trans-krol",
        "4777987935",
        "Trans-Król Spedycja Sp. z o.o.",
        "transport",
        "ul. Portowa 21",
        "70-602 Szczecin",
        "TRK",
        (
            _i("Transport drogowy FTL", "km", 450, 690, (100, 1800)),
            _i("Spedycja międzynarodowa", "usł.", 180000, 520000, (1, 1)),
            _i("Postój pojazdu", "godz.", 8000, 12000, (1, 10)),
        ),
        lines=(1, 2),
        weight=1.0,
        eur=True,
    ),
    Supplier(
        "busy-sowa",
        "5654255224",
        "Przewozy Osobowe Sowa",
        "transport",
        "ul. Dworcowa 5",
        "25-001 Kielce",
        "POS",
        (_i("Przewóz osób - wyjazd firmowy", "usł.", 90000, 350000, (1, 1), "8"),),
        lines=(1, 1),
        weight=0.4,
    ),
)

BY_KEY: dict[str, Supplier] = {s.key: s for s in CATALOGUE}
BY_NIP: dict[str, Supplier] = {s.nip: s for s in CATALOGUE}
CATEGORIES = ("energy", "telecom", "fuel", "rent", "building", "office", "it", "legal", "transport")
