"""The KSeF bundle writer (issue 14 item 1): the exact XML, a CSV a Polish Excel opens, lossless JSON, a
manifest whose hashes match. Read back with independent readers (csv, json, hashlib)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import replace
from decimal import Decimal

from ksef_tui.core.booking_draft import vat_deductible
from ksef_tui.core.bookings import Booking, BookingStatus
from ksef_tui.core.export_bundle import CSV_HEADER, write_bundle
from ksef_tui.core.export_writers import WRITERS
from ksef_tui.core.exports import ExportFormat, ExportItem
from ksef_tui.store.repositories.bookings import from_json
from tests.export_helpers import CLIENT_NIP, booking, context, invoice_xml


def _items(bookings: list[Booking]) -> list[ExportItem]:
    return [ExportItem(b, invoice_xml(b.ksef_number)) for b in bookings]


def _files(bookings: list[Booking]) -> dict[str, bytes]:
    out = write_bundle(_items(bookings), context())
    assert not out.problems, out.problems
    return {f.name: f.data for f in out.files}


def _csv_rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads it as UTF-8
    text = data[3:].decode("utf-8")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")  # CRLF, no bare LF
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))


def _amount(text: str) -> Decimal:
    assert "." not in text  # decimal comma, no thousands dot
    return Decimal(text.replace(",", "."))


def test_registered_as_the_bundle_format() -> None:
    assert WRITERS[ExportFormat.BUNDLE] is write_bundle


def test_xml_files_are_the_exact_bytes_and_named_by_ksef_number() -> None:
    bookings = [booking(1, n) for n in (1, 2, 3)]
    files = _files(bookings)
    for b in bookings:
        assert files[f"{b.ksef_number}.xml"] == invoice_xml(b.ksef_number)
    assert list(files)[-3:] == ["bookings.csv", "bookings.json", "manifest.json"]


def test_csv_reads_back_with_semicolons_bom_and_decimal_comma() -> None:
    fx = booking(1, 2, currency="EUR", fx_rate=Decimal("4.2934"))
    bookings = [booking(1, 1), fx]
    rows = _csv_rows(_files(bookings)["bookings.csv"])
    assert len(rows) == sum(len(b.lines) for b in bookings)  # one row per booking line
    assert tuple(rows[0]) == CSV_HEADER
    pairs = [(one, x) for one in bookings for x in one.lines]
    for row, (b, line) in zip(rows, pairs, strict=True):
        assert row["ksef_number"] == b.ksef_number and row["client_nip"] == CLIENT_NIP
        assert row["seller_name"] == b.seller_name  # `;` and quotes inside survive quoting
        assert row["invoice_number"] == b.invoice_number  # Polish letters in UTF-8
        assert _amount(row["net"]) == line.net and _amount(row["vat"]) == line.vat
        assert _amount(row["vat_deductible"]) == vat_deductible(line)
        assert _amount(row["gross"]) == b.gross
        assert row["deduction"] == line.deduction.value and row["jpk_group"] == line.jpk_group.value
        assert row["kpir_column"] == line.kpir_column.value
        assert row["cost_share_pct"] == str(line.cost_share_pct)
        assert row["gl_account"] == line.gl_account and row["cost_centre"] == line.cost_centre
        assert b.receipt_date is not None and row["receipt_date"] == b.receipt_date.isoformat()
        assert row["vat_period"] == "2026-03" and row["status"] == "approved"
        assert row["decided_by"] == "Anna Nowak" and row["decided_at"].startswith("2026-03-20T")
    correction = rows[1]
    assert correction["net"] == "-12,50" and correction["vat"] == "-1,00"  # a negative number, not text
    assert correction["deduction_pct"] == "76" and correction["source_lines"] == "2,3"
    assert rows[0]["vat"] == "230,32" and rows[0]["vat_deductible"] == "115,16"  # 50 %, half up
    assert rows[2]["currency"] == "EUR" and rows[2]["fx_rate"] == "4,2934"
    assert rows[0]["fx_rate"] == ""


def test_text_a_spreadsheet_would_run_is_neutralised() -> None:
    hostile = booking(
        1,
        1,
        seller_name='=HYPERLINK("http://evil","klik")',
        invoice_number="+48 123",
        description="-2+3",
        note="@SUM(A1)",
        vat_register="\tZAKUP",
    )
    (row, correction) = _csv_rows(_files([hostile])["bookings.csv"])
    assert row["seller_name"] == '\'=HYPERLINK("http://evil","klik")'
    assert row["invoice_number"] == "'+48 123"
    assert row["description"] == "'-2+3" and row["note"] == "'@SUM(A1)"
    assert row["vat_register"] == "'\tZAKUP"
    assert correction["net"] == "-12,50"  # amounts are ours: never touched


def test_json_is_lossless() -> None:
    bookings = [
        booking(1, 1),
        booking(1, 2, currency="EUR", fx_rate=Decimal("4.2934"), doc_kind="KOR", note="korekta ceny"),
    ]
    data = json.loads(_files(bookings)["bookings.json"])
    assert data["schema"] == "ksef-tui/bookings/1"
    assert data["client"]["nip"] == CLIENT_NIP and data["period"] == "2026-03"
    assert data["period_kind"] == "vat" and data["created_at"] == "2026-04-03T10:15:00+00:00"
    back = [from_json(Booking, b, client_id=1) for b in data["bookings"]]
    assert back == bookings
    first_line = data["bookings"][0]["lines"][0]
    assert first_line["net"] == "1001.37" and isinstance(first_line["net"], str)  # never a float
    assert "id" not in data["bookings"][0] and "client_id" not in data["bookings"][0]


def test_manifest_hashes_every_other_file() -> None:
    files = _files([booking(1, 1), booking(1, 2)])
    manifest = json.loads(files["manifest.json"])
    assert manifest["schema"] == "ksef-tui/manifest/1" and manifest["format"] == "bundle"
    assert manifest["bookings"] == 2
    listed = {f["name"]: f for f in manifest["files"]}
    assert set(listed) == set(files) - {"manifest.json"}
    for name, entry in listed.items():
        assert entry["sha256"] == hashlib.sha256(files[name]).hexdigest()
        assert entry["size"] == len(files[name])


def test_missing_xml_is_a_problem_and_nothing_is_written() -> None:
    b1, b2 = booking(1, 1), booking(1, 2)
    out = write_bundle([ExportItem(b1, invoice_xml(b1.ksef_number)), ExportItem(b2, None)], context())
    assert out.files == ()
    (problem,) = out.problems
    assert problem.code == "bundle.missing_xml" and problem.ksef_number == b2.ksef_number
    assert "XML" in problem.message and b2.ksef_number in problem.message


def test_an_excluded_booking_is_skipped_with_a_warning() -> None:
    kept, excluded = booking(1, 1), booking(1, 2, status=BookingStatus.EXCLUDED)
    out = write_bundle(_items([kept, excluded]), context())
    names = {f.name for f in out.files}
    assert f"{kept.ksef_number}.xml" in names and f"{excluded.ksef_number}.xml" not in names
    (warning,) = out.warnings
    assert warning.code == "bundle.excluded" and warning.ksef_number == excluded.ksef_number
    data = json.loads(next(f.data for f in out.files if f.name == "bookings.json"))
    assert [b["ksef_number"] for b in data["bookings"]] == [kept.ksef_number]


def test_an_empty_period_gives_valid_empty_files() -> None:
    out = write_bundle([], context())
    files = {f.name: f.data for f in out.files}
    assert set(files) == {"bookings.csv", "bookings.json", "manifest.json"}
    assert _csv_rows(files["bookings.csv"]) == []
    assert files["bookings.csv"] == ("\ufeff" + ";".join(CSV_HEADER) + "\r\n").encode()
    assert json.loads(files["bookings.json"])["bookings"] == []
    assert json.loads(files["manifest.json"])["bookings"] == 0


def test_same_input_same_bytes_and_the_time_is_the_contexts() -> None:
    bookings = [booking(1, 1), booking(1, 2)]
    first = write_bundle(_items(bookings), context())
    assert write_bundle(_items(bookings), context()) == first
    later = write_bundle(_items(bookings), context(created_at=context().created_at.replace(hour=11)))
    assert later.files[-1].data != first.files[-1].data  # the manifest says when


def test_a_number_that_cannot_be_a_file_name_is_a_problem() -> None:
    bad = replace(booking(1, 1), ksef_number="../../etc/passwd")
    out = write_bundle([ExportItem(bad, b"<x/>")], context())
    assert out.files == () and out.problems[0].code == "bundle.bad_number"
