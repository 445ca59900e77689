"""Zip / tar.gz archives, split into parts and AES-encrypted, for exports and batch sessions."""

from __future__ import annotations

import io
import tarfile
import zipfile
from datetime import datetime

CHUNK = 1024 * 1024


class Zeros:
    """`size` zero bytes, streamed into the archive without ever being held whole (a zip bomb entry)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._left = size

    def read(self, n: int = -1) -> bytes:
        n = self._left if n is None or n < 0 else min(n, self._left)
        self._left -= n
        return bytes(n)


Entry = tuple[str, bytes | Zeros, datetime]


def pack(files: list[Entry], compression: str) -> bytes:
    buf = io.BytesIO()
    if compression == "TarGz":
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            for name, data, when in files:
                info = tarfile.TarInfo(name)
                info.size = data.size if isinstance(data, Zeros) else len(data)
                info.mtime = int(when.timestamp())
                tar.addfile(info, data if isinstance(data, Zeros) else io.BytesIO(data))
    else:
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, data, when in files:
                stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
                entry = zipfile.ZipInfo(name, date_time=stamp)
                entry.compress_type = zipfile.ZIP_DEFLATED
                if isinstance(data, Zeros):
                    with zf.open(entry, "w", force_zip64=True) as out:
                        while chunk := data.read(CHUNK):
                            out.write(chunk)
                else:
                    zf.writestr(entry, data)
    return buf.getvalue()


def unpack(data: bytes, compression: str | None) -> list[tuple[str, bytes]]:
    """Files in the archive (directories skipped); ValueError when it cannot be read."""
    try:
        if compression == "TarGz" or (compression is None and data[:2] == b"\x1f\x8b"):
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
                out = []
                for member in tar.getmembers():
                    if member.isfile():
                        fh = tar.extractfile(member)
                        out.append((member.name, fh.read() if fh else b""))
                return out
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return [(i.filename, zf.read(i)) for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError) as exc:
        raise ValueError(str(exc)) from exc


def split(data: bytes, part_size: int) -> list[bytes]:
    return [data[i : i + part_size] for i in range(0, len(data), part_size)] or [b""]
