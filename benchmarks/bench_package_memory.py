"""Peak memory while reading a big export package (issue 12: under 250 MB RSS for a 200 MB package).

    .venv/bin/python benchmarks/bench_package_memory.py [--mb 200] [--compression Zip|TarGz]
                                                        [--dir FOLDER] [--json]

The parent builds, streaming, on disk: about --mb megabytes of compressed archive (`{ksefNumber}.xml`
invoices of ~30 KB, compressible but not trivial: FA-like lines with random values and a Base64
attachment of random bytes; `_metadata.json` last, as the simulator and KSeF put it), split into
50 MiB parts like KSeF's, each AES-256-CBC encrypted with the same key and IV. It serves the parts
over local HTTP (`http.server` in a thread) and starts a child process that opens the package with
`open_export_package` (real httpx over TCP: streamed download, both hashes, the ciphertext spool, the
validation pass), reads `metadata` and every invoice, and prints its peak RSS
(`resource.getrusage(RUSAGE_SELF).ru_maxrss`) next to its RSS right after the imports (the floor).
The parent's own memory (it builds the package) is not measured. Nothing here is timed in tests;
tests/ksef/test_export_package.py runs this script and asserts only the memory bound.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import functools
import hashlib
import http.server
import json
import random
import resource
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

MiB = 1024 * 1024
PART_SIZE = 50 * MiB
KEY = bytes(range(32))
IV = bytes(range(100, 116))
MAX_INVOICES = 10_000


def _rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (MiB if sys.platform == "darwin" else 1024)  # bytes on macOS, KiB on Linux


def _invoice(number: str, i: int, rng: random.Random) -> bytes:
    lines = "".join(
        f"<FaWiersz><NrWierszaFa>{n}</NrWierszaFa><P_7>Usługa {rng.choice(WORDS)} {rng.randrange(10**6)}"
        f"</P_7><P_8A>szt.</P_8A><P_8B>{rng.randrange(1, 50)}</P_8B>"
        f"<P_9A>{rng.randrange(10**4)}.{rng.randrange(100):02d}"
        f"</P_9A><P_11>{rng.randrange(10**5)}.{rng.randrange(100):02d}</P_11><P_12>23</P_12></FaWiersz>"
        for n in range(1, 20 + rng.randrange(20))
    )
    attachment = base64.encodebytes(rng.randbytes(21_000)).decode("ascii")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Faktura xmlns="http://crd.gov.pl/wzor/2025/06/25/13775/">'
        f"<Naglowek><KodFormularza>FA</KodFormularza></Naglowek><Fa><P_1>2026-03-02</P_1><P_2>FV/{i}/2026</P_2>"
        f"{lines}</Fa><Zalacznik><Tekst>{attachment}</Tekst></Zalacznik><!-- {number} --></Faktura>\n"
    ).encode()


WORDS = ["transportowa", "serwisowa", "doradcza", "księgowa", "najmu", "energii", "paliwa", "materiałów"]


class _ArchiveWriter:
    """Entries appended one by one to a Zip or TarGz file, streaming."""

    def __init__(self, path: Path, compression: str) -> None:
        self.raw = path.open("wb")
        self.compression = compression
        if compression == "TarGz":
            self.tar = tarfile.open(fileobj=self.raw, mode="w:gz", compresslevel=1)  # noqa: SIM115
        else:
            self.zip = zipfile.ZipFile(self.raw, "w", zipfile.ZIP_DEFLATED, compresslevel=1)

    def add(self, name: str, data: bytes) -> None:
        if self.compression == "TarGz":
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1772438400
            self.tar.addfile(info, _Reader(data))
        else:
            self.zip.writestr(
                zipfile.ZipInfo(name, date_time=(2026, 3, 2, 9, 0, 0)), data, zipfile.ZIP_DEFLATED
            )

    def size(self) -> int:
        return self.raw.tell()

    def close(self) -> None:
        (self.tar if self.compression == "TarGz" else self.zip).close()
        self.raw.close()


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def read(self, n: int = -1) -> bytes:
        end = len(self.data) if n < 0 else self.at + n
        out, self.at = self.data[self.at : end], min(end, len(self.data))
        return out


def generate(folder: Path, mb: int, compression: str) -> dict[str, Any]:
    """The archive, its encrypted parts under folder/parts, and what the package JSON needs."""
    from ksef_tui.core.ksef_number import make_ksef_number

    rng = random.Random(12)
    archive_path = folder / "archive.bin"
    writer = _ArchiveWriter(archive_path, compression)
    rows = []
    uncompressed = 0
    target = mb * MiB - 512 * 1024  # leave room for _metadata.json
    i = 0
    while writer.size() < target and i < MAX_INVOICES:
        i += 1
        number = make_ksef_number("5555555555", "20260302", f"{i:012X}")
        xml = _invoice(number, i, rng)
        uncompressed += len(xml)
        writer.add(f"{number}.xml", xml)
        rows.append(
            {
                "ksefNumber": number,
                "invoiceNumber": f"FV/{i}/2026",
                "issueDate": "2026-03-02",
                "acquisitionDate": "2026-03-02T09:00:00+01:00",
                "permanentStorageDate": "2026-03-02T09:00:01+01:00",
                "seller": {"nip": "5555555555", "name": "Dostawca sp. z o.o."},
                "buyer": {"identifier": {"type": "Nip", "value": "5265877635"}, "name": "Klient"},
                "netAmount": 100.0,
                "vatAmount": 23.0,
                "grossAmount": 123.0,
                "currency": "PLN",
                "invoiceHash": base64.b64encode(hashlib.sha256(xml).digest()).decode(),
            }
        )
    metadata = json.dumps({"invoices": rows}, ensure_ascii=False).encode()
    uncompressed += len(metadata)
    writer.add("_metadata.json", metadata)
    writer.close()
    parts_dir = folder / "parts"
    parts_dir.mkdir()
    parts = []
    size = archive_path.stat().st_size
    with archive_path.open("rb") as src:
        n = 0
        while src.tell() < size:
            n += 1
            plain_hash, enc_hash = hashlib.sha256(), hashlib.sha256()
            encryptor = Cipher(algorithms.AES(KEY), modes.CBC(IV)).encryptor()
            padder = padding.PKCS7(128).padder()
            left, plain_len, enc_len = PART_SIZE, 0, 0
            with (parts_dir / str(n)).open("wb") as out:
                while left:
                    chunk = src.read(min(MiB, left))
                    if not chunk:
                        break
                    left -= len(chunk)
                    plain_len += len(chunk)
                    plain_hash.update(chunk)
                    enc = encryptor.update(padder.update(chunk))
                    enc_hash.update(enc)
                    out.write(enc)
                    enc_len += len(enc)
                enc = encryptor.update(padder.finalize()) + encryptor.finalize()
                enc_hash.update(enc)
                out.write(enc)
                enc_len += len(enc)
            parts.append(
                {
                    "ordinalNumber": n,
                    "partName": f"bench-{n:03d}.aes",
                    "method": "GET",
                    "path": f"/parts/{n}",
                    "partSize": plain_len,
                    "partHash": base64.b64encode(plain_hash.digest()).decode(),
                    "encryptedPartSize": enc_len,
                    "encryptedPartHash": base64.b64encode(enc_hash.digest()).decode(),
                }
            )
    archive_path.unlink()
    return {
        "parts": parts,
        "invoices": i,
        "package_bytes": size,
        "uncompressed_bytes": uncompressed,
        "compression": compression,
    }


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, int]:
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


# --- the child: what is measured --------------------------------------------------------------------


def child(folder: Path) -> None:
    from ksef_tui.ksef.crypto import SymmetricKey
    from ksef_tui.ksef.export_package import open_export_package
    from ksef_tui.ksef.http import HttpCore
    from ksef_tui.ksef.models import ExportPackage, from_json

    floor = _rss_mb()
    spec = json.loads((folder / "package.json").read_text(encoding="utf-8"))
    package = from_json(ExportPackage, spec["package"])

    async def run() -> dict[str, Any]:
        core = HttpCore(spec["base_url"], timeout=120.0)
        started = time.perf_counter()
        reader = await open_export_package(
            core, SymmetricKey.restore(KEY, IV), package, spool_dir=folder / "spool"
        )
        opened = time.perf_counter()
        with reader:
            rows = len(reader.metadata)
            count = total = 0
            for _meta, xml in reader.invoices():
                count += 1
                total += len(xml)
        done = time.perf_counter()
        await core.aclose()
        return {
            "metadata_rows": rows,
            "invoices": count,
            "xml_bytes": total,
            "open_s": round(opened - started, 2),
            "invoices_s": round(done - opened, 2),
        }

    result = asyncio.run(run())
    result.update(floor_rss_mb=round(floor, 1), peak_rss_mb=round(_rss_mb(), 1))
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=int, default=200, help="compressed archive size (default 200)")
    parser.add_argument("--compression", choices=["Zip", "TarGz"], default="Zip")
    parser.add_argument("--dir", type=Path, help="work folder (default: a temporary one)")
    parser.add_argument("--json", action="store_true", help="print one JSON line at the end")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    with tempfile.TemporaryDirectory(prefix="bench-package-", dir=args.dir) as work:
        folder = Path(work)
        (folder / "spool").mkdir()
        started = time.perf_counter()
        built = generate(folder, args.mb, args.compression)
        generated = time.perf_counter() - started
        server, port = serve(folder)
        try:
            base = f"http://127.0.0.1:{port}"
            package = {
                "invoiceCount": built["invoices"],
                "size": built["package_bytes"],
                "isTruncated": False,
                "parts": [{**p, "url": base + p.pop("path")} for p in built["parts"]],
            }
            (folder / "package.json").write_text(
                json.dumps({"base_url": base, "package": package}), encoding="utf-8"
            )
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(folder)], capture_output=True, text=True
            )
        finally:
            server.shutdown()
        if out.returncode:
            sys.stderr.write(out.stderr)
            raise SystemExit(out.returncode)
        result = json.loads(out.stdout.strip().splitlines()[-1])
    result.update(
        compression=args.compression,
        package_bytes=built["package_bytes"],
        uncompressed_bytes=built["uncompressed_bytes"],
        parts=len(built["parts"]),
        generate_s=round(generated, 1),
    )
    print(
        f"{args.compression} package: {result['package_bytes'] / MiB:.0f} MiB compressed in "
        f"{result['parts']} parts, {result['uncompressed_bytes'] / MiB:.0f} MiB unpacked, "
        f"{result['invoices']} invoices"
    )
    print(
        f"reader: open (download, hashes, validation pass) {result['open_s']} s, "
        f"invoices() {result['invoices_s']} s"
    )
    print(
        f"peak RSS {result['peak_rss_mb']} MB (after imports: {result['floor_rss_mb']} MB); target < 250 MB"
    )
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
