"""The board's client list import (`i`): a path, the per-row report, F2 imports; snapshots 80×24, 120×36."""

from __future__ import annotations

from pathlib import Path

import pytest

from ksef_tui.ui.app import KsefApp

from .helpers import make_store, screen_text, services, settle, wait_for_text

SECRET = "0123456789abcdef0123456789abcdef"
TOKEN = f"20251010-EC-2B0C8AB000-4A3D8E9C3B-8D|nip-5260250274|{SECRET}"


def _sheet(folder: Path, *, bad: bool) -> Path:
    lines = [
        "nip;nazwa;kod;środowisko;token;token_ważny_do",
        f"526-025-02-74;Zażółć Gęślą Sp. z o.o.;ZAZOLC;test;{TOKEN};31.12.2026",
        "701-000-21-39;Gamma Usługi;;;;",
    ]
    if bad:
        lines.append("123-456-32-19;Zła suma;;;;")
    path = folder / "klienci.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1250"))
    return path


async def _open_and_check(pilot, path: Path) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("i")
    await settle(pilot)
    await pilot.press(*str(path), "enter")
    await settle(pilot)


async def test_import_from_the_board_adds_the_clients(tmp_path: Path) -> None:
    store = make_store(tmp_path / "home", roster=False)
    path = _sheet(tmp_path, bad=False)
    app = KsefApp(services(tmp_path / "home", store))
    async with app.run_test(size=(120, 36)) as pilot:
        await _open_and_check(pilot, path)
        await wait_for_text(pilot, "Wiersz 2")
        text = screen_text(app)
        assert "nowy klient ZAZOLC" in text and "nowy token 20251010-EC" in text
        assert SECRET not in text
        await pilot.press("f2")
        await settle(pilot)
        await wait_for_text(pilot, "Gamma Usługi")
        assert "Zażółć Gęślą" in screen_text(app)
    assert {c.short_code for c in store.clients.list()} == {"ZAZOLC", "GAMMA_139"}
    store.close()


async def test_invalid_rows_block_the_import_until_skipped(tmp_path: Path) -> None:
    store = make_store(tmp_path / "home", roster=False)
    path = _sheet(tmp_path, bad=True)
    app = KsefApp(services(tmp_path / "home", store))
    async with app.run_test(size=(120, 36)) as pilot:
        await _open_and_check(pilot, path)
        await wait_for_text(pilot, "Wiersz 4")
        await pilot.press("f2")
        await settle(pilot)
        assert store.count_clients() == 0
        assert "Wiersze z błędami: 1" in screen_text(app)
        await pilot.click("#skip")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        await wait_for_text(pilot, "Gamma Usługi")
    assert store.count_clients() == 2
    store.close()


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_import_report_snapshot(
    snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    home = tmp_path / "home"
    _sheet(tmp_path, bad=True)
    monkeypatch.chdir(tmp_path)  # a relative path on screen: the snapshot never shows the temporary folder

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _open_and_check(pilot, Path("klienci.csv"))
        await wait_for_text(pilot, "Wiersz 4")

    assert snap_compare(KsefApp(services(home, make_store(home))), terminal_size=size, run_before=run_before)
