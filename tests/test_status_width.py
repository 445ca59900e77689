"""Issue 17 item 9: `status` prints bounded rows whatever a store holds (a 10 MB name printed 230 MB:
every row was padded to the widest cell)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ksef_tui.cli.status import TABLE_CAPS, TABLE_WIDTH, as_json, as_table, clip
from ksef_tui.core.board import build_board
from ksef_tui.core.models import CheckOutcome, Client, Credential, CredentialKind, LiveCheck

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def _rows(names: list[str]) -> list[tuple]:  # type: ignore[type-arg]
    rows = []
    for cid, name in enumerate(names, start=1):
        client = Client(name, f"C{cid:02d}_X", ["1234563218"], id=cid)
        cred = Credential(cid, CredentialKind.KSEF_CERTIFICATE, valid_until=NOW + timedelta(days=400), id=cid)
        perms = frozenset({"InvoiceRead"})
        check = LiveCheck(cid, NOW, CheckOutcome.OK, credential_id=cid, permissions=perms)
        rows.append((client, [cred], {cid: check}, None))
    return rows


def test_a_huge_name_does_not_widen_every_row() -> None:
    names = ["Z" * 10_000_000] + [f"Klient {n}" for n in range(22)]
    table = as_table(build_board(_rows(names), NOW))
    lines = table.splitlines()
    assert len([line for line in lines if line[:1] in "✖▲●"]) == 23  # one line per client, reasons under
    assert lines[-1].startswith("Klienci: 23") or lines[-1].startswith("Clients: 23")
    assert max(len(line) for line in lines) <= TABLE_WIDTH
    assert len(table) < 48 * 400  # not 230 MB
    assert "Z" * (TABLE_CAPS[2] - 1) + "…" in table


def test_short_values_are_shown_whole() -> None:
    table = as_table(build_board(_rows(["Piekarnia Nowak"]), NOW))
    assert "Piekarnia Nowak" in table and "…" not in table
    assert clip("abc", 3) == "abc" and clip("abcd", 3) == "ab…"


def test_json_keeps_the_whole_value() -> None:
    """Machines get the value as stored (the store caps what it accepts)."""
    assert "Q" * 500 in as_json(build_board(_rows(["Q" * 500]), NOW))


def test_the_table_fits_80_columns_and_ends_with_the_counts() -> None:
    """Issue 16 item 7: the table wrapped at 80 columns; the longest code, name, NIP list and reason
    now fit, the reason wrapped under its client, and a summary line counts each colour."""
    from ksef_tui.core.i18n import set_language

    set_language("pl")
    names = ["Przedsiębiorstwo Handlowo-Usługowe Wielka Nazwa Sp. z o.o.", "Piekarnia Nowak", "Apteka"]
    entries = build_board(_rows(names), NOW)
    table = as_table(entries)
    lines = table.splitlines()
    assert max(len(line) for line in lines) <= 80, table
    assert lines[-1] == "Klienci: 3 · ✖ czerwoni: 0 · ▲ żółci: 3 · ● zieloni: 0"  # no InvoiceWrite: yellow
    reason = []
    for line in lines[2:]:
        if not line.startswith("   "):
            break
        reason.append(line.strip())
    assert " ".join(reason) == entries[0].health.reason


def test_cron_output_names_the_command_not_the_app_s_key() -> None:
    """A never-checked client: the app says "naciśnij c", `status` (read in cron mail) says which
    command to run."""
    from ksef_tui.core.i18n import set_language
    from ksef_tui.widgets.client_table import APP_STEPS

    set_language("pl")
    rows = _rows(["Piekarnia Nowak"])
    rows[0][2].clear()  # no live check yet
    (entry,) = build_board(rows, NOW)
    table = as_table([entry])
    assert "Nigdy nie sprawdzony w KSeF. Uruchom: ksef-tui check" in table
    assert "naciśnij" not in table.lower()
    assert entry.health.said(APP_STEPS) == "Nigdy nie sprawdzony w KSeF. Naciśnij c, aby sprawdzić."
    assert "ksef-tui" not in as_json([entry])  # machines get the reason alone
