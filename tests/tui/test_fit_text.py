"""Text fitted to the width without changing its meaning (issue 16 item 4): whole phrases left out, least
important first, never the end of one cut; on a wide screen names and reasons share the width."""

from __future__ import annotations

from pathlib import Path

from ksef_tui.ui.app import KsefApp
from ksef_tui.widgets.client_table import ClientTable
from ksef_tui.widgets.line_table import Column, lay_out, widths
from ksef_tui.widgets.phrases import fit_phrases, sentences

from .helpers import make_store, screen_text, services, settle


def test_fit_phrases_leaves_out_whole_phrases_least_important_first() -> None:
    phrases = [
        ("Poświadczenie: certyfikat", 0),
        ("wygasa: 4 dni temu", 2),
        ("sprawdzony w KSeF: 4 godziny temu", 1),
    ]
    full = "Poświadczenie: certyfikat · wygasa: 4 dni temu · sprawdzony w KSeF: 4 godziny temu"
    assert fit_phrases(phrases, 100) == full
    assert fit_phrases(phrases, 78) == "Poświadczenie: certyfikat · sprawdzony w KSeF: 4 godziny temu"
    assert fit_phrases(phrases, 40) == "Poświadczenie: certyfikat"
    assert fit_phrases(phrases, 10) == "Poświadcz…"  # only the phrase that must stay is cut, and says so


def test_sentences_go_last_first() -> None:
    reason = "Brak certyfikatu ważnego 2027-01-01. Biuro nie ma certyfikatu KSeF ważnego 2027-01-01."
    assert fit_phrases(sentences(reason), 60, sep=" ") == "Brak certyfikatu ważnego 2027-01-01."
    assert fit_phrases(sentences(reason), 200, sep=" ") == reason


def test_growing_columns_share_the_width_of_a_wide_screen() -> None:
    columns = (
        Column("code", "Kod", 12),
        Column("name", "Klient", 22, grow=30),
        Column("reason", "Powód", 12),
    )
    shown, last = lay_out(columns, 60)
    assert widths(shown, last) == [12, 22, 19]  # narrow: the reason keeps all it has
    shown, last = lay_out(columns, 160)
    name, reason = widths(shown, last)[1:]
    assert name > 22 and reason >= 30 and 1 + 14 + name + 2 + reason + 2 == 160


async def test_board_detail_at_80_keeps_temu_and_the_wide_board_shows_whole_names(tmp_path: Path) -> None:
    app = KsefApp(services(tmp_path, make_store(tmp_path)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "sprawdzony w KSeF: 4 godziny temu" in text
        assert "2027: ✗ nie gotowy — Brak certyfikatu ważnego 2027-01-01." in text
        assert not any(line.rstrip().endswith("…") for line in text.splitlines()[-5:])  # detail: nothing cut
        await pilot.resize_terminal(160, 45)
        await settle(pilot)
        text = screen_text(app)
        assert "Piekarnia Dąbrowski Sp. z o.o." in text  # cut at 22 cells before
        assert "Poświadczenie: certyfikat · wygasa: 4 dni temu · sprawdzony w KSeF: 4 godziny temu" in text
        assert app.screen.query_one(ClientTable).row_count


async def test_add_client_form_fits_80x24_with_the_summary_and_hint_in_view(tmp_path: Path) -> None:
    from textual.widgets import Input, Select

    app = KsefApp(services(tmp_path, make_store(tmp_path)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press(*"Piekarnia", "tab", *"1234563219", "enter")
        await settle(pilot)
        text = screen_text(app)
        assert "Nie zapisano: popraw zaznaczone pola." in text
        assert "Enter lub F2 zapisuje · Esc anuluje" in text
        screen_box = app.screen.region
        for _step in range(8):  # round the fields and back: the focused one is always whole on screen
            await pilot.press("tab")
            await settle(pilot)
            focused = app.focused
            assert isinstance(focused, Input | Select), focused
            region = focused.region
            assert screen_box.contains_region(region) and region.bottom <= 23, (focused, region)
            visible = app.screen.find_widget(focused).region
            assert visible.height == region.height, (focused, visible)
            assert "Enter lub F2 zapisuje · Esc anuluje" in screen_text(app)


async def test_token_dialog_labels_wrap_instead_of_being_cut(tmp_path: Path) -> None:
    from textual.widgets import Label

    app = KsefApp(services(tmp_path, make_store(tmp_path)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        lines = screen_text(app).splitlines()
        labels = list(app.screen.query(Label))
        assert len(labels) == 2
        for label in labels:
            box = label.region
            shown = " ".join(line[box.x : box.right].strip() for line in lines[box.y : box.bottom])
            assert shown == str(label.render()), (shown, box)
        assert any("z końcem 2026)" in str(label.render()) for label in labels)
