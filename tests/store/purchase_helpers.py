"""Purchase records, packages and sync states for the store tests (importable by spawned processes)."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from ksef_tui.core.clock import WARSAW
from ksef_tui.core.purchases import PendingExport, PurchaseRecord, PurchaseStatus, PurchaseSyncState

T0 = datetime(2026, 2, 3, 8, 0, tzinfo=UTC)
SELLER_NIP = "5260250274"


def ksef_number(n: int, day: str = "20260203") -> str:
    return f"{SELLER_NIP}-{day}-{n:06X}00-{n % 251:02X}"


def invoice_xml(n: int, *, variant: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Faktura xmlns="http://crd.gov.pl/wzor/2025/06/25/13775/">'
        f"<Fa><P_2>FV/{n}/2026{variant}</P_2><P_15>{n}.23</P_15><Opis>Zakup paliwa żółć nr {n}</Opis></Fa>"
        "</Faktura>\n"
    ).encode()


def sha256_b64(xml: bytes) -> str:
    return base64.b64encode(hashlib.sha256(xml).digest()).decode("ascii")


def purchase(client_id: int, n: int, *, xml: bytes | None = None, **changes: object) -> PurchaseRecord:
    body = invoice_xml(n) if xml is None else xml
    acquired = T0 + timedelta(hours=n)
    values: dict[str, object] = {
        "client_id": client_id,
        "ksef_number": ksef_number(n),
        "seller_nip": SELLER_NIP,
        "seller_name": f"Dostawca Energii Źródło {n} S.A.",
        "buyer_nip": "1234563218",
        "invoice_number": f"FV/{n}/2026",
        "issue_date": acquired.date(),
        "acquisition_date": acquired,
        "permanent_storage_date": acquired - timedelta(minutes=3),
        "net": Decimal(f"{n}.00"),
        "vat": Decimal(f"{n * 23 // 100}.23"),
        "gross": Decimal(f"{n + n * 23 // 100}.23"),
        "invoice_type": "Vat",
        "invoice_hash": sha256_b64(body),
        "fetched_at": T0 + timedelta(days=1),
    }
    values.update(changes)
    return PurchaseRecord(**values)  # type: ignore[arg-type]


def package(client_id: int, numbers: range) -> list[tuple[PurchaseRecord, bytes]]:
    return [(purchase(client_id, n), invoice_xml(n)) for n in numbers]


def export_key(seed: int) -> bytes:
    return hashlib.sha256(f"aes key {seed}".encode()).digest()


def sync_state(client_id: int, k: int, **changes: object) -> PurchaseSyncState:
    """The state saved with the k-th package: its cursor and pending export name k."""
    values: dict[str, object] = {
        "client_id": client_id,
        "cursor": datetime(2026, 2, 1, tzinfo=WARSAW) + timedelta(hours=k),
        "pending": PendingExport(
            reference=f"20260203-EE-{k:010d}-AB-CD",
            key=export_key(k),
            iv=hashlib.md5(f"iv {k}".encode()).digest(),
            window_from=datetime(2026, 2, 1, tzinfo=WARSAW) + timedelta(hours=k + 1),
            window_to=None,
            created=T0 + timedelta(minutes=k),
        ),
        "last_attempt": T0 + timedelta(minutes=k),
        "last_success": T0 + timedelta(minutes=k),
    }
    values.update(changes)
    return PurchaseSyncState(**values)  # type: ignore[arg-type]


STORED = PurchaseStatus.STORED
