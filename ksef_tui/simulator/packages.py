"""Zip / tar.gz archives, split into parts and AES-encrypted, for exports and batch sessions."""

from __future__ import annotations

import io
import tarfile
import zipfile
from datetime import datetime


def pack(files: list[tuple[str, bytes, datetime]], compression: str) -> bytes:
    buf = io.BytesIO()
    if compression == "TarGz":
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            for name, data, when in files:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                info.mtime = int(when.timestamp())
                tar.addfile(info, io.BytesIO(data))
    else:
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, data, when in files:
                stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
                zf.writestr(zipfile.ZipInfo(name, date_time=stamp), data, compress_type=zipfile.ZIP_DEFLATED)
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
