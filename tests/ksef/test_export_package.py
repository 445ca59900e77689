"""Export packages (issue 12 item 2): streamed, checked, refused whole when hostile.

Packages are built with the simulator's own packing (`simulator.packages.pack/split`, its AES), served
from a fake storage host through httpx, and read with `open_export_package`.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import subprocess
import sys
import tarfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from ksef_tui.core.ksef_number import make_ksef_number
from ksef_tui.ksef import export_package as ep
from ksef_tui.ksef.apilog import ApiLog, ApiLogEntry
from ksef_tui.ksef.crypto import SymmetricKey, sha256_b64
from ksef_tui.ksef.errors import IntegrityError, KsefError, PackageRefused
from ksef_tui.ksef.export_package import PackageLimits, open_export_package, read_archive
from ksef_tui.ksef.exports import unpack_export
from ksef_tui.ksef.http import HttpCore
from ksef_tui.ksef.models import ExportPackage, from_json
from ksef_tui.ksef.retry import RetryPolicy
from ksef_tui.simulator.keys import aes_cbc_encrypt
from ksef_tui.simulator.packages import pack, split
from tests.ksef.fakes import FakeTime

ROOT = Path(__file__).resolve().parents[2]
KEY = bytes(range(32))
IV = bytes(range(100, 116))
SYM = SymmetricKey.restore(KEY, IV)
NIP = "5265877635"
STORAGE = "https://storage.test"
WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REFUSED = "Paczka eksportu z KSeF została odrzucona; nic z niej nie zapisano."


def number(i: int) -> str:
    return make_ksef_number("5555555555", "20260302", f"{i:012X}")


def invoice_xml(i: int, rng: random.Random) -> bytes:
    lines = "".join(
        f"<FaWiersz><NrWierszaFa>{n}</NrWierszaFa><P_7>Towar {rng.randrange(10**6)}</P_7>"
        f"<P_11>{rng.randrange(10**5)}.{rng.randrange(100):02d}</P_11></FaWiersz>"
        for n in range(1, 2 + rng.randrange(30))
    )
    return (f'<?xml version="1.0" encoding="UTF-8"?><Faktura><P_2>FV/{i}</P_2>{lines}</Faktura>').encode()


def row(ksef_number: str, xml: bytes, **extra: Any) -> dict[str, Any]:
    return {
        "ksefNumber": ksef_number,
        "invoiceNumber": f"FV/{ksef_number[-5:]}",
        "seller": {"nip": "5555555555", "name": "Dostawca sp. z o.o."},
        "invoiceHash": sha256_b64(xml),
        **extra,
    }


def invoice_set(count: int, seed: int = 7) -> tuple[list[tuple[str, bytes]], dict[str, Any]]:
    rng = random.Random(seed)
    invoices = [(number(i), invoice_xml(i, rng)) for i in range(1, count + 1)]
    return invoices, {"invoices": [row(n, x) for n, x in invoices]}


def archive_of(entries: list[tuple[str, bytes]], compression: str = "Zip") -> bytes:
    """The simulator's own packing: entries in this order."""
    return pack([(name, data, WHEN) for name, data in entries], compression)


def standard_archive(count: int = 5, compression: str = "Zip") -> tuple[bytes, list[tuple[str, bytes]]]:
    invoices, metadata = invoice_set(count)
    entries = [(f"{n}.xml", x) for n, x in invoices] + [("_metadata.json", json.dumps(metadata).encode())]
    return archive_of(entries, compression), invoices


class Storage:
    """The pre-signed part URLs: an httpx transport serving the encrypted parts."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.requests: list[httpx.Request] = []
        self.failures: dict[str, int] = {}  # path -> connection errors still to raise

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if self.failures.get(path):
            self.failures[path] -= 1
            raise httpx.ConnectError("connection reset by peer", request=request)
        data = self.blobs.get(path)
        return httpx.Response(200, content=data) if data is not None else httpx.Response(404)

    def publish(
        self, archive: bytes, part_size: int, *, key: bytes = KEY, iv: bytes = IV, ref: str = "EX1"
    ) -> ExportPackage:
        """Split, encrypt and describe the parts exactly as simulator/exports.py does."""
        parts = []
        for n, chunk in enumerate(split(archive, part_size), 1):
            encrypted = aes_cbc_encrypt(key, iv, chunk)
            self.blobs[f"/{ref}/{n}"] = encrypted
            parts.append(
                {
                    "ordinalNumber": n,
                    "partName": f"{ref}-{n:03d}.zip.aes",
                    "method": "GET",
                    "url": f"{STORAGE}/{ref}/{n}?sv=1&sig=S3CRETSIG",
                    "partSize": max(1, len(chunk)),
                    "partHash": sha256_b64(chunk),
                    "encryptedPartSize": len(encrypted),
                    "encryptedPartHash": sha256_b64(encrypted),
                    "expirationDate": "2026-03-02T10:00:00+00:00",
                }
            )
        return from_json(ExportPackage, {"invoiceCount": 0, "parts": parts, "isTruncated": False})


@pytest.fixture
def storage() -> Storage:
    return Storage()


@pytest.fixture
def api_log() -> list[ApiLogEntry]:
    return []


@pytest.fixture
def core(storage: Storage, api_log: list[ApiLogEntry]) -> HttpCore:
    return HttpCore(
        "https://ksef.test/v2",
        transport=httpx.MockTransport(storage.handler),
        timing=FakeTime().timing(),
        retry=RetryPolicy(),
        api_log=ApiLog(sink=api_log.append),
    )


async def open_pkg(
    core: HttpCore, package: ExportPackage, tmp_path: Path, **kw: Any
) -> ep.ExportPackageReader:
    kw.setdefault("key", SYM)
    return await open_export_package(core, package=package, context=NIP, spool_dir=tmp_path, **kw)


def spool_descriptors(folder: Path) -> list[str]:
    """Open descriptors of this process pointing into `folder` (Linux /proc)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        with _suppress():
            target = os.readlink(f"/proc/self/fd/{fd}")
            if target.startswith(str(folder)):
                found.append(target)
    return found


class _suppress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return exc[0] is not None and issubclass(exc[0], OSError)  # type: ignore[arg-type]


needs_proc = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")


async def refused(core: HttpCore, package: ExportPackage, tmp_path: Path, **kw: Any) -> str:
    """Open must refuse; return the message. Nothing was handed out, nothing is left behind."""
    with pytest.raises(PackageRefused) as info:
        await open_pkg(core, package, tmp_path, **kw)
    message = str(info.value)
    assert message.startswith(REFUSED)
    assert isinstance(info.value, IntegrityError) and isinstance(info.value, KsefError)
    assert list(tmp_path.iterdir()) == []
    if Path("/proc/self/fd").is_dir():
        assert spool_descriptors(tmp_path) == []
    return message


# --- round trips ------------------------------------------------------------------------------------


@pytest.mark.parametrize("compression", ["Zip", "TarGz"])
async def test_round_trip_multi_part(
    compression: str, core: HttpCore, storage: Storage, tmp_path: Path
) -> None:
    archive, invoices = standard_archive(40, compression)
    # 1000 is not a multiple of the AES block: each part's own IV and padding are exercised.
    package = storage.publish(archive, 1000)
    assert len(package.parts) >= 5
    with await open_pkg(core, package, tmp_path) as reader:
        assert reader.compression == compression
        assert reader.plain_size == len(archive)
        assert [m.ksef_number for m in reader.metadata] == [n for n, _x in invoices]
        assert reader.metadata[0].seller.name == "Dostawca sp. z o.o."
        got = [(meta.ksef_number, xml) for meta, xml in reader.invoices()]
        assert got == invoices
        assert list(reader.invoices()) and len(list(reader.invoices())) == 40  # readable again
    assert list(tmp_path.iterdir()) == []


async def test_metadata_first_or_last_in_a_tar(core: HttpCore, storage: Storage, tmp_path: Path) -> None:
    invoices, metadata = invoice_set(3)
    entries = [("_metadata.json", json.dumps(metadata).encode())] + [(f"{n}.xml", x) for n, x in invoices]
    package = storage.publish(archive_of(entries, "TarGz"), 4096)
    with await open_pkg(core, package, tmp_path) as reader:
        assert [(m.ksef_number, x) for m, x in reader.invoices()] == invoices


async def test_plaintext_random_access_across_parts(core: HttpCore, storage: Storage, tmp_path: Path) -> None:
    archive, _invoices = standard_archive(30)
    package = storage.publish(archive, 777)
    rng = random.Random(3)
    with await open_pkg(core, package, tmp_path) as reader:
        plain = reader.open_plain()
        assert plain.read() == archive
        for _ in range(300):
            start = rng.randrange(len(archive))
            size = rng.randrange(1, 3000)
            plain.seek(start)
            assert plain.read(size) == archive[start : start + size]
        plain.seek(-5, io.SEEK_END)
        assert plain.read() == archive[-5:]
        with pytest.raises(OSError):
            plain.write(b"x")  # type: ignore[attr-defined]


@needs_proc
async def test_spool_is_private_ciphertext_and_gone(core: HttpCore, storage: Storage, tmp_path: Path) -> None:
    archive, invoices = standard_archive(10)
    package = storage.publish(archive, 2048)
    reader = await open_pkg(core, package, tmp_path)
    spool = reader._spool
    assert spool is not None and spool.fd is not None
    assert spool.mode() == 0o600
    assert list(tmp_path.iterdir()) == []  # unlinked at once: nothing to find, even after a crash
    (target,) = spool_descriptors(tmp_path)
    assert target.endswith("(deleted)")
    size = os.fstat(spool.fd).st_size
    content = spool.read_at(0, size)
    assert content == b"".join(storage.blobs[f"/EX1/{n}"] for n in range(1, len(package.parts) + 1))
    for _number, xml in invoices:
        assert xml[:60] not in content
    assert b"Faktura" not in content and b"_metadata" not in content
    reader.close()
    assert spool_descriptors(tmp_path) == []


async def test_part_download_is_logged_without_the_signature(
    core: HttpCore, storage: Storage, tmp_path: Path, api_log: list[ApiLogEntry]
) -> None:
    archive, _invoices = standard_archive(3)
    package = storage.publish(archive, 1 << 20)
    with await open_pkg(core, package, tmp_path):
        pass
    (entry,) = api_log
    assert entry.route == ep.PART_ROUTE and entry.status == 200 and entry.context_nip == NIP
    assert "S3CRETSIG" not in repr(entry)
    assert "authorization" not in storage.requests[0].headers
    assert storage.requests[0].headers["accept-encoding"] == "identity"


async def test_a_dropped_connection_repeats_the_part(
    core: HttpCore, storage: Storage, tmp_path: Path
) -> None:
    archive, invoices = standard_archive(10)
    package = storage.publish(archive, 1500)
    storage.failures["/EX1/2"] = 2
    with await open_pkg(core, package, tmp_path) as reader:
        assert [(m.ksef_number, x) for m, x in reader.invoices()] == invoices
    assert [r.url.path for r in storage.requests].count("/EX1/2") == 3


async def test_an_empty_package(core: HttpCore, tmp_path: Path) -> None:
    with await open_pkg(core, ExportPackage(), tmp_path) as reader:
        assert reader.metadata == [] and list(reader.invoices()) == [] and reader.compression == ""


async def test_only_metadata_rows_need_no_xml(core: HttpCore, storage: Storage, tmp_path: Path) -> None:
    _invoices, metadata = invoice_set(4)
    package = storage.publish(archive_of([("_metadata.json", json.dumps(metadata).encode())]), 1 << 20)
    with await open_pkg(core, package, tmp_path, only_metadata=True) as reader:
        assert len(reader.metadata) == 4 and list(reader.invoices()) == []
    message = await refused(core, package, tmp_path)
    assert "W paczce brakuje 4 faktur wymienionych w _metadata.json" in message


async def test_duplicate_rows_with_one_hash_are_one_invoice(
    core: HttpCore, storage: Storage, tmp_path: Path
) -> None:
    invoices, metadata = invoice_set(2)
    metadata["invoices"].append(dict(metadata["invoices"][0]))
    entries = [(f"{n}.xml", x) for n, x in invoices] + [("_metadata.json", json.dumps(metadata).encode())]
    package = storage.publish(archive_of(entries), 1 << 20)
    with await open_pkg(core, package, tmp_path) as reader:
        assert [m.ksef_number for m in reader.metadata] == [n for n, _x in invoices]


def test_restored_key_decrypts_but_cannot_be_sent() -> None:
    encrypted = aes_cbc_encrypt(KEY, IV, b"faktura")
    assert SYM.decrypt(encrypted) == b"faktura"
    with pytest.raises(ValueError):
        SYM.encryption_json()
    with pytest.raises(ValueError):
        SymmetricKey.restore(KEY[:16], IV)
    assert KEY.hex() not in repr(SYM)


# --- hostile packages -------------------------------------------------------------------------------


def _hostile_zip(bad_name: str) -> bytes:
    invoices, metadata = invoice_set(2)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, x in invoices:
            zf.writestr(f"{n}.xml", x)
        zf.writestr(zipfile.ZipInfo(bad_name), b"<evil/>")
        zf.writestr("_metadata.json", json.dumps(metadata))
    return buf.getvalue()


@pytest.mark.parametrize(
    "bad_name",
    [
        f"../{number(9)}.xml",
        f"/etc/{number(9)}.xml",
        f"..\\{number(9)}.xml",
        f"sub/{number(9)}.xml",
        f"{number(0xABCDEF).lower()}.xml",
        "notes.txt",
    ],
)
async def test_entry_names_other_than_metadata_and_ksef_numbers_are_refused(
    bad_name: str, core: HttpCore, storage: Storage, tmp_path: Path
) -> None:
    package = storage.publish(_hostile_zip(bad_name), 1 << 20)
    message = await refused(core, package, tmp_path)
    assert "Niedozwolony plik " in message and "\x00" not in message
    assert ascii(bad_name)[1:-1][:20] in message


async def test_a_directory_entry_is_refused(core: HttpCore, storage: Storage, tmp_path: Path) -> None:
    package = storage.publish(_hostile_zip(f"{number(9)}.xml/"), 1 << 20)
    assert "Niedozwolony plik" in await refused(core, package, tmp_path)


async def test_a_duplicate_entry_is_refused(core: HttpCore, storage: Storage, tmp_path: Path) -> None:
    invoices, metadata = invoice_set(1)
    ((n, x),) = invoices
    entries = [(f"{n}.xml", x), (f"{n}.xml", b"<other/>"), ("_metadata.json", json.dumps(metadata).encode())]
    with pytest.warns(UserWarning):  # zipfile warns about the duplicate it writes
        package = storage.publish(archive_of(entries), 1 << 20)
    assert f"Plik '{n}.xml' występuje w paczce dwukrotnie." in await refused(core, package, tmp_path)


async def test_a_link_in_a_tar_is_refused(core: HttpCore, storage: Storage, tmp_path: Path) -> None:
    _invoices, metadata = invoice_set(1)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        link = tarfile.TarInfo(f"{number(1)}.xml")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
        data = json.dumps(metadata).encode()
        info = tarfile.TarInfo("_metadata.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    package = storage.publish(buf.getvalue(), 1 << 20)
    assert f"'{number(1)}.xml' nie jest zwykłym plikiem." in await refused(core, package, tmp_path)


async def test_an_oversized_tar_header_is_refused_before_it_is_read(
    core: HttpCore, storage: Storage, tmp_path: Path
) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("_metadata.json")
        info.pax_headers = {"comment": "x" * 200_000}
        info.size = 2
        tar.addfile(info, io.BytesIO(b"[]"))
    package = storage.publish(buf.getvalue(), 1 << 20)
    assert "nagłówek tar o nadmiernym rozmiarze" in await refused(core, package, tmp_path)


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    """1 GiB of zeros as one invoice, streamed into the archive: about 1 MB compressed."""
    buf = io.BytesIO()
    _invoices, metadata = invoice_set(1)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("_metadata.json", json.dumps(metadata))
        with zf.open(f"{number(1)}.xml", "w") as fh:
            chunk = bytes(1 << 20)
            for _ in range(1024):
                fh.write(chunk)
    return buf.getvalue()


class _ReadCounter:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.total = 0
        original = zipfile.ZipExtFile.read

        def counting(fh: zipfile.ZipExtFile, n: int = -1) -> bytes:
            data = original(fh, n)
            if fh.name.endswith(".xml"):
                self.total += len(data)
            return data

        monkeypatch.setattr(zipfile.ZipExtFile, "read", counting)


async def test_a_zip_bomb_is_refused_reading_at_most_the_cap(
    zip_bomb: bytes, core: HttpCore, storage: Storage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert len(zip_bomb) < 3 * 1024 * 1024
    counter = _ReadCounter(monkeypatch)
    package = storage.publish(zip_bomb, 512 * 1024)
    message = await refused(core, package, tmp_path)
    assert f"Plik '{number(1)}.xml' przekracza limit {8 * 1024 * 1024} bajtów." in message
    assert counter.total <= 8 * 1024 * 1024 + 1


def test_an_entry_read_stops_at_cap_plus_one_whatever_it_declares() -> None:
    """The hard cap does not rely on the declared size: an entry claiming 0 bytes that never ends."""

    class Endless(io.RawIOBase):
        served = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            view = memoryview(buffer).cast("B")
            view[:] = bytes(len(view))
            Endless.served += len(view)
            return len(view)

    limits = PackageLimits(max_entry_bytes=100_000)
    archive = ep._Archive(io.BytesIO(b""), 0, limits, False)
    entry = ep._Entry(f"{number(1)}.xml", True, 0, Endless, lambda _n: 0.0)
    with pytest.raises(PackageRefused, match="przekracza limit 100000 bajtów"):
        archive._read(entry, limits.max_entry_bytes, True, [0], None)
    assert Endless.served == 100_001


async def test_a_high_compression_ratio_is_refused(core: HttpCore, storage: Storage, tmp_path: Path) -> None:
    _invoices, metadata = invoice_set(1)
    zeros = bytes(4 * 1024 * 1024)  # under the 8 MiB cap, but ~1000:1
    metadata["invoices"][0]["invoiceHash"] = sha256_b64(zeros)
    entries = [(f"{number(1)}.xml", zeros), ("_metadata.json", json.dumps(metadata).encode())]
    package = storage.publish(archive_of(entries), 1 << 20)
    message = await refused(core, package, tmp_path)
    assert f"Plik '{number(1)}.xml' jest skompresowany w stopniu" in message and "bomba zip" in message


async def test_a_package_unpacking_beyond_the_total_is_refused(
    core: HttpCore, storage: Storage, tmp_path: Path
) -> None:
    archive, _invoices = standard_archive(20)
    package = storage.publish(archive, 1 << 20)
    message = await refused(core, package, tmp_path, limits=PackageLimits(max_total_bytes=5_000))
    assert "Po rozpakowaniu paczka przekracza limit 5000 bajtów." in message


@pytest.mark.parametrize("compression", ["Zip", "TarGz"])
async def test_too_many_entries_are_refused(
    compression: str, core: HttpCore, storage: Storage, tmp_path: Path
) -> None:
    archive, _invoices = standard_archive(6, compression)  # 7 entries
    package = storage.publish(archive, 1 << 20)
    message = await refused(core, package, tmp_path, limits=PackageLimits(max_entries=5))
    assert "Paczka ma więcej niż 5 plików." in message


async def test_a_wrong_encrypted_part_hash_is_refused(
    core: HttpCore, storage: Storage, tmp_path: Path
) -> None:
    archive, _invoices = standard_archive(10)
    package = storage.publish(archive, 1000)
    blob = bytearray(storage.blobs["/EX1/2"])
    blob[40] ^= 1
    storage.blobs["/EX1/2"] = bytes(blob)
    message = await refused(core, package, tmp_path)
    assert "Część 2: skrót SHA-256 pobranych danych nie zgadza się z encryptedPartHash." in message


async def test_a_wrong_plain_part_hash_is_refused(core: HttpCore, storage: Storage, tmp_path: Path) -> None:
    archive, _invoices = standard_archive(10)
    package = storage.publish(archive, 1000)
    package.parts[2].part_hash = sha256_b64(b"something else")
    message = await refused(core, package, tmp_path)
    assert "Część 3: skrót SHA-256 po odszyfrowaniu nie zgadza się z partHash" in message


async def test_a_part_longer_than_declared_is_refused(
    core: HttpCore, storage: Storage, tmp_path: Path
) -> None:
    archive, _invoices = standard_archive(10)
    package = storage.publish(archive, 1000)
    package.parts[0].encrypted_part_size = 512
    assert "Część 1 jest większa, niż zadeklarowano (512 bajtów)." in await refused(core, package, tmp_path)


async def test_the_wrong_key_is_refused(core: HttpCore, storage: Storage, tmp_path: Path) -> None:
    archive, _invoices = standard_archive(10)
    package = storage.publish(archive, 1000)
    message = await refused(core, package, tmp_path, key=SymmetricKey.restore(bytes(32), IV))
    # Bad padding (255 times in 256), else the plain hash: either way the first part, "wrong key".
    assert ("Części 1 nie da się odszyfrować" in message or "Część 1: skrót" in message) and (
        "(zły klucz albo uszkodzona część)" in message
    )


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        (b'{"invoices": [', "to nie jest poprawny JSON."),
        (b"\xff\xfe garbage", "to nie jest poprawny JSON."),
        (b'{"invoices": {"a": 1}}', 'nie ma w nim listy "invoices".'),
        (b'"invoices"', 'nie jest ani obiektem z listą "invoices", ani listą.'),
        (b"[1]", "wiersz 1 nie jest obiektem."),
        (b'[{"ksefNumber": "123", "invoiceHash": "x"}]', "wiersz 1 nie ma poprawnego numeru KSeF ('123')."),
        (b"[" + b"[" * 100_000 + b"]" * 100_000 + b"]", "to nie jest poprawny JSON."),
    ],
)
async def test_malformed_metadata_is_refused(
    metadata: bytes, expected: str, core: HttpCore, storage: Storage, tmp_path: Path
) -> None:
    invoices, _metadata = invoice_set(2)
    entries = [(f"{n}.xml", x) for n, x in invoices] + [("_metadata.json", metadata)]
    package = storage.publish(archive_of(entries), 1 << 20)
    message = await refused(core, package, tmp_path)
    assert "Plik _metadata.json jest nieprawidłowy: " + expected in message


async def test_a_row_without_a_hash_or_with_two_hashes_is_refused(
    core: HttpCore, storage: Storage, tmp_path: Path
) -> None:
    invoices, metadata = invoice_set(2)
    entries = [(f"{n}.xml", x) for n, x in invoices]
    no_hash = {
        "invoices": [dict(metadata["invoices"][0], invoiceHash="bm90IGEgaGFzaA=="), metadata["invoices"][1]]
    }
    package = storage.publish(
        archive_of([*entries, ("_metadata.json", json.dumps(no_hash).encode())]), 1 << 20
    )
    assert f"wiersz 1 ({number(1)}) nie ma invoiceHash" in await refused(core, package, tmp_path)
    twice = {"invoices": [*metadata["invoices"], dict(metadata["invoices"][0], invoiceHash=sha256_b64(b"x"))]}
    package = storage.publish(archive_of([*entries, ("_metadata.json", json.dumps(twice).encode())]), 1 << 20)
    assert f"{number(1)} występuje dwukrotnie z różnymi skrótami." in await refused(core, package, tmp_path)


async def test_an_invoice_whose_hash_does_not_match_is_refused(
    core: HttpCore, storage: Storage, tmp_path: Path
) -> None:
    invoices, metadata = invoice_set(3)
    entries = [(f"{n}.xml", x) for n, x in invoices]
    entries[1] = (entries[1][0], entries[1][1].replace(b"FV/", b"FX/"))
    package = storage.publish(
        archive_of([*entries, ("_metadata.json", json.dumps(metadata).encode())]), 1 << 20
    )
    message = await refused(core, package, tmp_path)
    assert f"Skrót SHA-256 faktury {number(2)} nie zgadza się z invoiceHash w _metadata.json." in message


async def test_an_invoice_without_a_metadata_row_is_refused(
    core: HttpCore, storage: Storage, tmp_path: Path
) -> None:
    invoices, metadata = invoice_set(3)
    metadata["invoices"].pop()
    entries = [(f"{n}.xml", x) for n, x in invoices] + [("_metadata.json", json.dumps(metadata).encode())]
    package = storage.publish(archive_of(entries, "TarGz"), 1 << 20)
    message = await refused(core, package, tmp_path)
    assert f"Faktura {number(3)} jest w paczce, ale nie ma jej w _metadata.json." in message


async def test_a_package_without_metadata_or_not_an_archive_is_refused(
    core: HttpCore, storage: Storage, tmp_path: Path
) -> None:
    invoices, _metadata = invoice_set(2)
    package = storage.publish(archive_of([(f"{n}.xml", x) for n, x in invoices]), 1 << 20)
    assert "W paczce brakuje pliku _metadata.json." in await refused(core, package, tmp_path)
    package = storage.publish(b"%PDF-1.7 not an archive", 1 << 20)
    assert "Paczka nie jest archiwum Zip ani TarGz." in await refused(core, package, tmp_path)
    archive, _invoices = standard_archive(3)
    package = storage.publish(archive[:-30], 1 << 20)  # the central directory cut short
    assert "Nie można odczytać archiwum" in await refused(core, package, tmp_path)


async def test_the_refusal_comes_before_any_invoice(core: HttpCore, storage: Storage, tmp_path: Path) -> None:
    """The store consumes `invoices()` in one transaction; a bad row at the END of `_metadata.json` (the
    XML entries come first) must stop the package before the first invoice is handed out."""
    invoices, metadata = invoice_set(5)
    metadata["invoices"][-1]["invoiceHash"] = "?"
    entries = [(f"{n}.xml", x) for n, x in invoices] + [("_metadata.json", json.dumps(metadata).encode())]
    for compression in ("Zip", "TarGz"):
        package = storage.publish(archive_of(entries, compression), 1 << 20)
        yielded: list[str] = []
        with pytest.raises(PackageRefused):
            reader = await open_pkg(core, package, tmp_path)
            yielded += [m.ksef_number for m, _x in reader.invoices()]
        assert yielded == []


async def test_invoices_recheck_each_hash_as_they_yield(
    core: HttpCore, storage: Storage, tmp_path: Path
) -> None:
    archive, invoices = standard_archive(3)
    package = storage.publish(archive, 1 << 20)
    with await open_pkg(core, package, tmp_path) as reader:
        reader._archive._hashes[invoices[1][0]] = hashlib.sha256(b"other").digest()
        got = []
        with pytest.raises(PackageRefused, match=f"faktury {invoices[1][0]} nie zgadza się"):
            for meta, _xml in reader.invoices():
                got.append(meta.ksef_number)
        assert got == [invoices[0][0]]


def test_unpack_export_in_memory_has_the_same_checks() -> None:
    archive, invoices = standard_archive(3)
    result = unpack_export("EX1", archive, ExportPackage())
    assert result.files == {f"{n}.xml": x for n, x in invoices}
    with pytest.raises(PackageRefused, match="Niedozwolony plik"):
        unpack_export("EX1", _hostile_zip(f"../{number(9)}.xml"), ExportPackage())
    with read_archive(archive) as reader:
        assert len(reader.metadata) == 3


# --- memory -----------------------------------------------------------------------------------------


def test_a_package_streams_in_bounded_memory(tmp_path: Path) -> None:
    """benchmarks/bench_package_memory.py in a subprocess: a ~48 MB multi-part package, served over
    local HTTP, read by a child process that prints its peak RSS. Streaming shows as a peak that grows by
    far less than the package (a reader holding the archive would grow by all of it). The 200 MB figure
    of the issue is the benchmark's (docs/PERFORMANCE.md); this keeps the suite fast."""
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_package_memory.py"),
            "--mb",
            "48",
            "--dir",
            str(tmp_path),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    package_mb = result["package_bytes"] / (1024 * 1024)
    assert package_mb >= 46
    assert result["invoices"] == result["metadata_rows"] > 0
    assert result["peak_rss_mb"] - result["floor_rss_mb"] < package_mb / 2, result


# --- against the simulator --------------------------------------------------------------------------


@pytest.mark.parametrize("compression", ["Zip", "TarGz"])
async def test_a_simulator_export_read_with_a_restored_key(compression: str, tmp_path: Path) -> None:
    """The real thing end to end: KsefClient against the in-process simulator (its export endpoint,
    its storage URLs), the key persisted as bytes and restored as after a restart."""
    from ksef_tui.ksef.client import KsefClient
    from ksef_tui.simulator.app import create_app
    from ksef_tui.simulator.ratelimit import RateLimitConfig
    from ksef_tui.simulator.world import build_world

    now = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    world = build_world(seed=2026, now=now)
    app = create_app(world, rate_limits=RateLimitConfig(enabled=False), clock=lambda: now)
    taxpayer = next(tp for tp in world.taxpayers.values() if tp.profile == "token_and_cert")
    token = world.token_for(taxpayer.nip)
    assert token is not None and len(taxpayer.purchases) > 15
    ftime = FakeTime(now)
    filters = {
        "subjectType": "Subject2",
        "dateRange": {"dateType": "PermanentStorage", "from": "2026-01-01T00:00:00Z", "to": now.isoformat()},
    }
    async with KsefClient(
        "http://sim.test/v2", transport=httpx.ASGITransport(app=app), timing=ftime.timing()
    ) as client:
        await client.authenticate_with_token(taxpayer.nip, token.token)
        started, key = await client.start_export(filters, compression_type=compression)
        persisted = (key.key, key.iv)  # what the store keeps of a pending export
        status = await client.wait_for_export(started.reference_number)
        assert status.package is not None
        restored = SymmetricKey.restore(*persisted)
        with await client.open_package(restored, status.package, spool_dir=tmp_path) as reader:
            assert reader.compression == compression
            numbers = {m.ksef_number for m in reader.metadata}
            got = dict((m.ksef_number, xml) for m, xml in reader.invoices())
    # The demo month goes on after `now`: only what KSeF shows by then is exported.
    shown = [i for i in taxpayer.purchases if i.visible(now)]
    assert shown and len(shown) < len(taxpayer.purchases)
    assert numbers == set(got) == {i.ksef_number for i in shown}
    assert all(got[i.ksef_number] == i.body for i in shown)
