"""Export packages, streamed and checked before anything from them is used (issue 12 item 2).

    reader = await open_export_package(client, key, status.package)
    with reader:                                   # closes the spool file
        rows = reader.metadata                     # validated, before any invoice
        for meta, xml in reader.invoices():        # exact bytes, SHA-256 == meta.invoice_hash
            ...

What `open_export_package` does, in this order, and refuses the WHOLE package (`PackageRefused`, with a
Polish sentence naming what was wrong) at the first thing that is not right:

1. Each part, in ordinal order, is downloaded as a stream (64 KiB chunks, never a whole part in memory)
   from its pre-signed URL. While it streams: the SHA-256 of the ciphertext (checked against
   `encryptedPartHash`), the ciphertext appended to a private spool file, and the plaintext computed
   and hashed on the fly (cryptography's CBC decryptor `update()`, PKCS#7 unpadder) and thrown away;
   at the end the padding (a wrong key fails here, 255 times in 256) and `partHash`. The spool holds
   ciphertext only: it is created 0600 (`mkstemp`) and unlinked at once, so it disappears when closed,
   on an error, and when the process is killed. A network failure repeats the part's download
   (`retry_operation`), never a hash mismatch.
2. The plaintext archive (the parts' plaintexts, concatenated) is read through a seekable, read-only
   file object that decrypts on demand from the spool: in CBC, plaintext block i = D(C_i) XOR C_{i-1},
   with the IV before the first block of each part (each part is encrypted on its own, with the same
   key and IV); the sizes come from step 1. Zip (`zipfile` reads it in place) or TarGz (`tarfile`
   `r|gz`, a stream), told by the first bytes.
3. A validation pass over every entry, before `open_export_package` returns: names (only
   `_metadata.json` and `<KSeF number>.xml`; a name is never used as a path), regular files only, no
   duplicates, at most `max_entries`; every entry read in chunks with a hard cap (at most cap + 1 bytes
   are read, whatever the archive declares), the total and the compression ratio bounded;
   `_metadata.json` parsed and checked (KSeF numbers, hashes, duplicates); every XML's SHA-256 checked
   against its row's `invoiceHash`; every XML has a row and every row its XML (unless the export was
   `onlyMetadata`). So once the reader is returned, the package is known good, and `metadata` is fully
   validated before the first invoice is yielded.
4. `invoices()` reads the entries again (a second pass: nothing but the current invoice is held in
   memory) and checks every hash again as it yields.

The validation pass runs in a worker thread (decompressing hundreds of megabytes must not freeze the
event loop); `invoices()` is a plain generator for the store's thread, consumed inside one transaction.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import bisect
import contextlib
import functools
import hashlib
import io
import json
import os
import struct
import tarfile
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ksef_tui.core.i18n import _, ngettext
from ksef_tui.core.ksef_number import InvalidKsefNumber, normalize_ksef_number
from ksef_tui.ksef.base import ApiBase
from ksef_tui.ksef.crypto import SymmetricKey
from ksef_tui.ksef.errors import PackageRefused
from ksef_tui.ksef.http import HttpCore
from ksef_tui.ksef.models import ExportPackage, ExportPart, InvoiceMetadata, from_json
from ksef_tui.ksef.retry import retry_operation

METADATA_NAME = "_metadata.json"
PART_ROUTE = "<pre-signed export part URL>"  # how a part's download is named in the API log
MiB = 1024 * 1024
CHUNK = 64 * 1024
_BLOCK = 16
# A tar long-name or pax header is read whole by tarfile: a hostile one could claim gigabytes.
_MAX_TAR_HEADER_BYTES = 64 * 1024
# Per central-directory record: 46 fixed bytes + our names (<= 40) + a zip64/time extra; generous.
_MAX_CD_BYTES_PER_ENTRY = 1024


@dataclass(frozen=True)
class PackageLimits:
    """What one package may hold. KSeF: at most 10,000 invoices (plus `_metadata.json`), parts of at
    most 50 MB; an FA(3) invoice with attachments is at most ~3 MB."""

    max_entries: int = 10_001
    max_entry_bytes: int = 8 * MiB  # one invoice XML, uncompressed
    max_total_bytes: int = 4 * 1024 * MiB  # every entry, uncompressed
    max_ratio: float = 200.0  # uncompressed / compressed, per Zip entry (TarGz: the whole stream)
    ratio_min_bytes: int = 1 * MiB  # the ratio of a smaller entry says nothing and costs little
    max_metadata_bytes: int = 64 * MiB  # `_metadata.json` (10,000 rows of ~1-2 KB, generously)
    max_part_bytes: int = 256 * MiB  # one encrypted part (and never more than it declares)


DEFAULT_LIMITS = PackageLimits()


def _show(name: str) -> str:
    """An entry name as it may appear in a message: quoted, escaped (no control characters reach a
    terminal), shortened."""
    return ascii(name if len(name) <= 100 else name[:100] + "...")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _hash_bytes(value: Any) -> bytes | None:
    """A `Sha256HashBase64` as its 32 bytes; None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 32 else None


# --- the spool: ciphertext only, private, gone when closed ------------------------------------------


class _Spool:
    def __init__(self, directory: Path | None) -> None:
        fd, path = tempfile.mkstemp(prefix="ksef-export-", suffix=".spool", dir=directory)  # 0600, O_EXCL
        self.fd: int | None = fd
        self._path: str | None = path
        self._lock = threading.Lock()
        try:
            os.unlink(path)  # POSIX: the file lives while the descriptor is open, and no longer
            self._path = None
        except OSError:  # pragma: no cover - Windows: an open file cannot be removed; done on close
            pass

    def _fd(self) -> int:
        if self.fd is None:
            raise ValueError("export package reader is closed")
        return self.fd

    def truncate(self, size: int) -> None:
        os.ftruncate(self._fd(), size)

    def write_at(self, offset: int, data: bytes) -> None:
        fd = self._fd()
        view = memoryview(data)
        with self._lock:
            os.lseek(fd, offset, os.SEEK_SET)
            while view:
                written = os.write(fd, view)
                view = view[written:]

    def read_at(self, offset: int, size: int) -> bytes:
        fd = self._fd()
        with self._lock:  # one position per descriptor: reads and writes must not interleave
            os.lseek(fd, offset, os.SEEK_SET)
            out = bytearray()
            while len(out) < size:
                chunk = os.read(fd, size - len(out))
                if not chunk:
                    raise OSError("export spool file is shorter than expected")
                out += chunk
            return bytes(out)

    def mode(self) -> int:
        return os.fstat(self._fd()).st_mode & 0o777

    def close(self) -> None:
        fd, self.fd = self.fd, None
        if fd is not None:
            os.close(fd)
        if self._path:  # pragma: no cover - Windows only
            with contextlib.suppress(OSError):
                os.unlink(self._path)
            self._path = None


@dataclass(frozen=True)
class _Part:
    ordinal: int
    cipher_start: int
    cipher_len: int
    plain_start: int
    plain_len: int


class _PlainFile(io.RawIOBase):
    """The archive's plaintext, decrypted on demand from the spool (read-only, seekable)."""

    _MAX_READ = 1 * MiB

    def __init__(self, spool: _Spool, key: SymmetricKey, parts: list[_Part]) -> None:
        super().__init__()
        self._spool = spool
        self._key = key
        self._parts = [p for p in parts if p.plain_len]
        self._starts = [p.plain_start for p in self._parts]
        self._size = sum(p.plain_len for p in parts)
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer: Any) -> int:
        target = memoryview(buffer).cast("B")
        if self._pos >= self._size or not len(target):
            return 0
        part = self._parts[bisect.bisect_right(self._starts, self._pos) - 1]
        offset = self._pos - part.plain_start
        count = min(len(target), part.plain_len - offset, self._MAX_READ)
        first, last = offset // _BLOCK, (offset + count - 1) // _BLOCK
        iv = (
            self._key.iv
            if first == 0
            else self._spool.read_at(part.cipher_start + (first - 1) * _BLOCK, _BLOCK)
        )
        ciphertext = self._spool.read_at(part.cipher_start + first * _BLOCK, (last - first + 1) * _BLOCK)
        plain = Cipher(algorithms.AES(self._key.key), modes.CBC(iv)).decryptor().update(ciphertext)
        skip = offset - first * _BLOCK
        target[:count] = plain[skip : skip + count]
        self._pos += count
        return count


class _Counting:
    """Counts the (compressed) bytes tarfile pulls from the plaintext, for the TarGz ratio."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.consumed = 0

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self.consumed += len(data)
        return data


class _GuardedTarInfo(tarfile.TarInfo):
    """Refuses the tar headers tarfile would read whole into memory (long names, pax) when they claim
    more than a few kilobytes, and sparse files."""

    def _proc_member(self, tf: tarfile.TarFile) -> Any:
        long_or_pax = (
            tarfile.GNUTYPE_LONGNAME,
            tarfile.GNUTYPE_LONGLINK,
            tarfile.XHDTYPE,
            tarfile.XGLTYPE,
            tarfile.SOLARIS_XHDTYPE,
        )
        if self.type in long_or_pax and self.size > _MAX_TAR_HEADER_BYTES:
            raise PackageRefused(_("The archive has an oversized tar header."))
        if self.type == tarfile.GNUTYPE_SPARSE:
            raise PackageRefused(_("The archive holds something other than plain files."))
        return super()._proc_member(tf)  # type: ignore[misc]  # private tarfile hook, not in typeshed


# --- the archive: entries, limits, metadata ---------------------------------------------------------


def _entry_ratio(compressed: int, floor: int, read: int) -> float:
    return read / max(compressed, 1) if read >= floor else 0.0


@dataclass
class _Entry:
    name: str
    is_file: bool
    declared_size: int
    open: Callable[[], IO[bytes] | None]
    ratio: Callable[[int], float]  # given the bytes read of this entry: the ratio to check (0: none)


_ARCHIVE_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    tarfile.TarError,
    zlib.error,
    EOFError,
    OSError,
    struct.error,
    UnicodeDecodeError,
    NotImplementedError,
    RuntimeError,
)


class _Stopped(Exception):
    """The caller was cancelled while a pass ran in a thread."""


class _Archive:
    """One package's archive (Zip or TarGz) over a seekable plaintext file object."""

    def __init__(self, plain: IO[bytes], size: int, limits: PackageLimits, only_metadata: bool) -> None:
        self._plain = plain
        self.size = size
        self.limits = limits
        self.only_metadata = only_metadata
        self.compression = ""
        if size:
            plain.seek(0)
            magic = plain.read(4)
            if magic[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
                self.compression = "Zip"
            elif magic[:2] == b"\x1f\x8b":
                self.compression = "TarGz"
            else:
                raise PackageRefused(_("The package is neither a Zip nor a TarGz archive."))
        self.metadata: list[InvoiceMetadata] = []
        self._by_number: dict[str, InvoiceMetadata] = {}
        self._hashes: dict[str, bytes] = {}

    # entries ---------------------------------------------------------------------------------------

    def _entries(self) -> Iterator[_Entry]:
        if self.compression == "Zip":
            yield from self._zip_entries()
        elif self.compression == "TarGz":
            yield from self._tar_entries()

    def _check_zip_directory(self) -> None:
        """The entry count and the central directory's size, from the end record, before zipfile reads
        the directory into memory."""
        tail_len = min(self.size, 22 + 65_535)
        self._plain.seek(self.size - tail_len)
        tail = self._plain.read(tail_len)
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            raise zipfile.BadZipFile("no end of central directory")
        entries, cd_size = struct.unpack("<HI", tail[at + 10 : at + 16])
        if entries == 0xFFFF or cd_size == 0xFFFFFFFF:
            locator = at - 20
            if locator >= 0 and tail[locator : locator + 4] == b"PK\x06\x07":
                (record_at,) = struct.unpack("<Q", tail[locator + 8 : locator + 16])
                self._plain.seek(record_at)
                record = self._plain.read(56)
                if len(record) == 56 and record[:4] == b"PK\x06\x06":
                    entries, cd_size = struct.unpack("<QQ", record[32:48])
        if entries > self.limits.max_entries or cd_size > self.limits.max_entries * _MAX_CD_BYTES_PER_ENTRY:
            raise PackageRefused(self._too_many())

    def _zip_entries(self) -> Iterator[_Entry]:
        self._check_zip_directory()
        self._plain.seek(0)
        with zipfile.ZipFile(self._plain) as zf:
            for info in zf.infolist():
                name = info.filename
                if info.orig_filename != name:  # zipfile cut the name at a NUL byte
                    name = info.orig_filename
                supported = info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
                if info.flag_bits & 0x1 or not supported:
                    raise PackageRefused(
                        _("Entry {name} is encrypted or compressed in an unsupported way.").format(
                            name=_show(name)
                        )
                    )
                yield _Entry(
                    name,
                    not info.is_dir(),
                    info.file_size,
                    functools.partial(zf.open, info),
                    functools.partial(_entry_ratio, info.compress_size, self.limits.ratio_min_bytes),
                )

    def _tar_entries(self) -> Iterator[_Entry]:
        self._plain.seek(0)
        counting = _Counting(self._plain)
        floor = self.limits.ratio_min_bytes
        # tarfile's stream mode calls only read() on its file object.
        with tarfile.open(None, "r|gz", cast(IO[bytes], counting), CHUNK, tarinfo=_GuardedTarInfo) as tar:
            stream: Any = tar.fileobj  # tarfile's _Stream: its tell() is the uncompressed position

            def ratio(_n: int) -> float:
                position = stream.tell()
                return position / max(counting.consumed, 1) if position >= floor else 0.0

            while (member := tar.next()) is not None:
                yield _Entry(
                    member.name,
                    member.isreg(),
                    member.size,
                    functools.partial(tar.extractfile, member),
                    ratio,
                )
                cast(Any, tar).members.clear()  # stream mode: no going back, nothing to remember

    # checks ----------------------------------------------------------------------------------------

    def _too_many(self) -> str:
        return _("The package has more than {limit} entries.").format(limit=self.limits.max_entries)

    def _classify(self, entry: _Entry, seen: set[str]) -> str | None:
        """The entry's KSeF number (None: `_metadata.json`); refuses any other name or kind."""
        name = entry.name
        if name in seen:
            raise PackageRefused(_("Entry {name} appears twice in the package.").format(name=_show(name)))
        seen.add(name)
        if len(seen) > self.limits.max_entries:
            raise PackageRefused(self._too_many())
        number: str | None = None
        allowed = name == METADATA_NAME
        if not allowed and name.endswith(".xml"):
            try:
                number = normalize_ksef_number(name[:-4])
            except InvalidKsefNumber:
                number = None
            allowed = number is not None and number + ".xml" == name
        if not allowed:
            raise PackageRefused(
                _(
                    "Entry {name} is not allowed: a package may hold only _metadata.json and "
                    "<KSeF number>.xml files."
                ).format(name=_show(name))
            )
        if not entry.is_file:
            raise PackageRefused(_("Entry {name} is not a plain file.").format(name=_show(name)))
        cap = self.limits.max_metadata_bytes if number is None else self.limits.max_entry_bytes
        if entry.declared_size > cap:
            raise PackageRefused(self._too_large(name, cap))
        return number

    def _too_large(self, name: str, cap: int) -> str:
        return _("Entry {name} is larger than the limit of {limit} bytes.").format(
            name=_show(name), limit=cap
        )

    def _read(
        self, entry: _Entry, cap: int, keep: bool, totals: list[int], stop: threading.Event | None
    ) -> tuple[bytes, bytes]:
        """(content or b"", SHA-256): at most cap + 1 bytes are ever read, whatever the entry claims."""
        digest = hashlib.sha256()
        content = bytearray()
        read = 0
        handle = entry.open()
        if handle is None:
            raise PackageRefused(_("Entry {name} is not a plain file.").format(name=_show(entry.name)))
        with handle:
            while True:
                if stop is not None and stop.is_set():
                    raise _Stopped()
                chunk = handle.read(min(CHUNK, cap + 1 - read))
                if not chunk:
                    break
                read += len(chunk)
                if read > cap:
                    raise PackageRefused(self._too_large(entry.name, cap))
                totals[0] += len(chunk)
                if totals[0] > self.limits.max_total_bytes:
                    raise PackageRefused(
                        _("The package unpacks to more than the limit of {limit} bytes.").format(
                            limit=self.limits.max_total_bytes
                        )
                    )
                if entry.ratio(read) > self.limits.max_ratio:
                    raise PackageRefused(
                        _(
                            "Entry {name} is compressed more than {ratio}:1 (a zip bomb?); the limit is "
                            "{limit}:1."
                        ).format(
                            name=_show(entry.name),
                            ratio=int(entry.ratio(read)),
                            limit=int(self.limits.max_ratio),
                        )
                    )
                digest.update(chunk)
                if keep:
                    content += chunk
        return bytes(content), digest.digest()

    def validate(self, stop: threading.Event | None = None) -> None:
        """The validation pass (module docstring, step 3)."""
        seen: set[str] = set()
        totals = [0]
        xml_hashes: dict[str, bytes] = {}
        raw_metadata: bytes | None = None
        try:
            for entry in self._entries():
                number = self._classify(entry, seen)
                if number is None:
                    raw_metadata, _digest = self._read(
                        entry, self.limits.max_metadata_bytes, True, totals, stop
                    )
                else:
                    _content, xml_hashes[number] = self._read(
                        entry, self.limits.max_entry_bytes, False, totals, stop
                    )
        except _ARCHIVE_ERRORS as exc:
            raise PackageRefused(
                _("The archive cannot be read: {error}").format(error=str(exc)[:200] or type(exc).__name__)
            ) from None
        if not self.size:
            return
        if raw_metadata is None:
            raise PackageRefused(_("The package has no _metadata.json."))
        self._parse_metadata(raw_metadata)
        for number, digest in xml_hashes.items():
            if number not in self._hashes:
                raise PackageRefused(
                    _("Invoice {number} is in the package but not in _metadata.json.").format(number=number)
                )
            if self._hashes[number] != digest:
                raise PackageRefused(
                    _(
                        "The SHA-256 of invoice {number} does not match the invoiceHash in _metadata.json."
                    ).format(number=number)
                )
        if not self.only_metadata:
            missing = [n for n in self._by_number if n not in xml_hashes]
            if missing:
                raise PackageRefused(
                    ngettext(
                        "{count} invoice listed in _metadata.json is missing from the package "
                        "(the first: {number}).",
                        "{count} invoices listed in _metadata.json are missing from the package "
                        "(the first: {number}).",
                        len(missing),
                    ).format(count=len(missing), number=missing[0])
                )

    def _parse_metadata(self, raw: bytes) -> None:
        def malformed(what: str) -> PackageRefused:
            return PackageRefused(_("_metadata.json is malformed: {what}").format(what=what))

        try:
            parsed = json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise malformed(_("it is not valid JSON.")) from None
        if isinstance(parsed, dict):
            rows = parsed.get("invoices")
            if not isinstance(rows, list):
                raise malformed(_('it has no "invoices" list.'))
        elif isinstance(parsed, list):
            rows = parsed
        else:
            raise malformed(_('it is neither an object with an "invoices" list nor a list.'))
        if len(rows) > self.limits.max_entries:
            raise PackageRefused(self._too_many())
        for index, row in enumerate(rows, 1):
            if not isinstance(row, dict):
                raise malformed(_("row {row} is not an object.").format(row=index))
            raw_number = row.get("ksefNumber")
            try:
                number = normalize_ksef_number(raw_number if isinstance(raw_number, str) else "")
            except InvalidKsefNumber:
                raise malformed(
                    _("row {row} has no valid KSeF number ({value}).").format(
                        row=index, value=_show(str(raw_number))
                    )
                ) from None
            digest = _hash_bytes(row.get("invoiceHash"))
            if digest is None:
                raise malformed(
                    _("row {row} ({number}) has no invoiceHash (SHA-256 in Base64).").format(
                        row=index, number=number
                    )
                )
            known = self._hashes.get(number)
            if known is not None:
                if known != digest:
                    raise malformed(
                        _("{number} is listed twice with different hashes.").format(number=number)
                    )
                continue  # the same invoice twice: once is enough
            try:
                meta = from_json(InvoiceMetadata, row)
            except (TypeError, ValueError, AttributeError, OverflowError):
                raise malformed(
                    _("row {row} ({number}) cannot be read.").format(row=index, number=number)
                ) from None
            meta.ksef_number = number
            meta.invoice_hash = _b64(digest)
            self._hashes[number] = digest
            self._by_number[number] = meta
            self.metadata.append(meta)

    def invoices(self) -> Iterator[tuple[InvoiceMetadata, bytes]]:
        """The second pass (module docstring, step 4)."""
        seen: set[str] = set()
        totals = [0]
        try:
            for entry in self._entries():
                number = self._classify(entry, seen)
                if number is None:
                    continue
                meta = self._by_number.get(number)
                if meta is None:  # the validation pass saw another archive: cannot happen
                    raise PackageRefused(
                        _("Invoice {number} is in the package but not in _metadata.json.").format(
                            number=number
                        )
                    )
                content, digest = self._read(entry, self.limits.max_entry_bytes, True, totals, None)
                if digest != self._hashes[number]:
                    raise PackageRefused(
                        _(
                            "The SHA-256 of invoice {number} does not match the invoiceHash in "
                            "_metadata.json."
                        ).format(number=number)
                    )
                yield meta, content
        except _ARCHIVE_ERRORS as exc:
            raise PackageRefused(
                _("The archive cannot be read: {error}").format(error=str(exc)[:200] or type(exc).__name__)
            ) from None


# --- the reader -------------------------------------------------------------------------------------


class ExportPackageReader:
    """A downloaded, checked export package (see the module docstring). Close it (or use `with`):
    that removes the spool file. `metadata` and `invoices()` are blocking (disk, AES, inflate): call
    them in a worker thread for big packages."""

    def __init__(
        self,
        package: ExportPackage,
        spool: _Spool | None,
        plain: IO[bytes],
        size: int,
        limits: PackageLimits,
        only_metadata: bool,
    ) -> None:
        self.package = package
        self._spool = spool
        self._plain = plain
        self.plain_size = size
        self._archive = _Archive(plain, size, limits, only_metadata)

    @property
    def compression(self) -> str:
        """ "Zip", "TarGz", or "" for a package without content."""
        return self._archive.compression

    @property
    def metadata(self) -> list[InvoiceMetadata]:
        """`_metadata.json`, validated; one row per KSeF number (normalised, upper case)."""
        return list(self._archive.metadata)

    def invoices(self) -> Iterator[tuple[InvoiceMetadata, bytes]]:
        """Each invoice's metadata row and exact XML bytes (SHA-256 checked), in archive order."""
        self._check_open()
        yield from self._archive.invoices()

    def open_plain(self) -> IO[bytes]:
        """The archive's plaintext: a seekable, read-only file object decrypting on demand."""
        self._check_open()
        self._plain.seek(0)
        return self._plain

    def _check_open(self) -> None:
        if self._plain.closed:
            raise ValueError("export package reader is closed")

    def close(self) -> None:
        self._plain.close()
        if self._spool is not None:
            self._spool.close()

    def __enter__(self) -> ExportPackageReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- download ---------------------------------------------------------------------------------------


async def _fetch_part(
    core: HttpCore,
    context: str | None,
    spool: _Spool,
    part: ExportPart,
    start: int,
    key: SymmetricKey,
    limits: PackageLimits,
) -> tuple[int, int]:
    """Stream one part into the spool at `start`; (ciphertext bytes, plaintext bytes), both hashes
    checked. Starts over from `start` when repeated."""
    n = part.ordinal_number
    spool.truncate(start)
    cipher_hash, plain_hash = hashlib.sha256(), hashlib.sha256()
    decryptor = Cipher(algorithms.AES(key.key), modes.CBC(key.iv)).decryptor()
    unpadder = padding.PKCS7(128).unpadder()
    cap = limits.max_part_bytes
    if part.encrypted_part_size:
        cap = min(cap, part.encrypted_part_size)
    written = plain = 0
    async with core.stream(part.method or "GET", PART_ROUTE, absolute_url=part.url, context=context) as resp:
        async for chunk in resp.aiter_bytes(CHUNK):
            if written + len(chunk) > cap:
                raise PackageRefused(
                    _("Part {n} is larger than declared ({limit} bytes).").format(n=n, limit=cap)
                )
            cipher_hash.update(chunk)
            spool.write_at(start + written, chunk)
            written += len(chunk)
            out = unpadder.update(decryptor.update(chunk))
            plain_hash.update(out)
            plain += len(out)
    if _b64(cipher_hash.digest()) != (part.encrypted_part_hash or "").strip():
        raise PackageRefused(
            _("Part {n}: the SHA-256 of the downloaded data does not match encryptedPartHash.").format(n=n)
        )
    try:
        out = decryptor.finalize()
        out = unpadder.update(out) + unpadder.finalize()
    except ValueError:
        raise PackageRefused(
            _("Part {n} cannot be decrypted with this export's key (wrong key or damaged part).").format(n=n)
        ) from None
    plain_hash.update(out)
    plain += len(out)
    if _b64(plain_hash.digest()) != (part.part_hash or "").strip():
        raise PackageRefused(
            _(
                "Part {n}: the SHA-256 after decryption does not match partHash (wrong key or damaged part)."
            ).format(n=n)
        )
    return written, plain


async def _in_thread(work: Callable[[threading.Event], None]) -> None:
    """Run `work` in a thread; if we are cancelled, tell it to stop and wait until it has (it uses
    the spool, which the caller closes next)."""
    stop = threading.Event()
    task = asyncio.ensure_future(asyncio.to_thread(work, stop))
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        stop.set()
        with contextlib.suppress(BaseException):
            await task
        raise


async def open_export_package(
    api: ApiBase | HttpCore,
    key: SymmetricKey,
    package: ExportPackage,
    *,
    context: str | None = None,
    limits: PackageLimits = DEFAULT_LIMITS,
    spool_dir: Path | None = None,
    only_metadata: bool = False,
) -> ExportPackageReader:
    """Download, decrypt-check and validate an export package (module docstring); the reader to read
    it from. Raises `PackageRefused` (nothing from the package may be stored), or the HTTP layer's
    KsefError when a part cannot be fetched (after the retry policy's attempts).

    `api`: an `ExportsApi` (a `KsefClient`), or an `HttpCore` with `context` (the NIP the download is
    logged under). `key`: the export's key (`SymmetricKey.restore` after a restart). `only_metadata`:
    the export was asked with `onlyMetadata`, so rows without XML are expected."""
    if isinstance(api, HttpCore):
        core = api
    else:
        core, context = api.core, context or api.context_nip
    parts = sorted(package.parts, key=lambda p: p.ordinal_number)
    if len({p.ordinal_number for p in parts}) != len(parts):
        raise PackageRefused(_("The package lists the same part twice."))
    for part in parts:
        if not part.encrypted_part_hash or not part.part_hash or not part.url:
            raise PackageRefused(
                _("Part {n} has no URL or no hashes to check it against.").format(n=part.ordinal_number)
            )
    spool = _Spool(spool_dir)
    plain: IO[bytes] | None = None
    try:
        table: list[_Part] = []
        cipher_at = plain_at = 0
        for part in parts:

            async def fetch(part: ExportPart = part, start: int = cipher_at) -> tuple[int, int]:
                return await _fetch_part(core, context, spool, part, start, key, limits)

            cipher_len, plain_len = await retry_operation(
                fetch, core.retry, core.timing, what=f"export part {part.ordinal_number}"
            )
            table.append(_Part(part.ordinal_number, cipher_at, cipher_len, plain_at, plain_len))
            cipher_at += cipher_len
            plain_at += plain_len
        plain = io.BufferedReader(_PlainFile(spool, key, table), buffer_size=CHUNK)
        reader = ExportPackageReader(package, spool, plain, plain_at, limits, only_metadata)
        await _in_thread(reader._archive.validate)
        return reader
    except BaseException:
        if plain is not None:
            plain.close()
        spool.close()
        raise


def read_archive(
    archive: bytes,
    package: ExportPackage | None = None,
    *,
    limits: PackageLimits = DEFAULT_LIMITS,
    only_metadata: bool = False,
) -> ExportPackageReader:
    """A reader over an archive already in memory (the parts' plaintexts, concatenated), with the
    same checks; blocking."""
    plain = io.BytesIO(archive)
    reader = ExportPackageReader(package or ExportPackage(), None, plain, len(archive), limits, only_metadata)
    try:
        reader._archive.validate()
    except BaseException:
        reader.close()
        raise
    return reader
