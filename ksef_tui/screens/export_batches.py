"""The client screen's export batches (issue 14 item 5): the list, re-creating a batch, undoing one.

A mixin for `ClientDetailScreen` (which composes the section: `#batches-title`, the `ExportBatchTable`
`#batches` and `#batch-detail`). Batches are read in a thread (`sync.exports.list_batches`), newest first.
`w` writes the selected batch's files again, byte for byte, into its folder or another (asked, with the
batch's folder filled in; files already there are named in a second question before they are replaced);
`u` undoes it after a question (its bookings back to approved; the files stay). A refusal from the
service (a newer batch holds its bookings, or it was undone already) is shown as the message it is.
Everything that touches the store or the disk runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.widgets import Static

from ksef_tui.core.export_batch import BatchStatus, ExportBatch
from ksef_tui.core.i18n import _, ngettext
from ksef_tui.screens.queue_dialogs import AskScreen, ConfirmScreen
from ksef_tui.sync import exports as export_uc
from ksef_tui.sync.bookings import operator_name
from ksef_tui.sync.records import StoreError  # NotFound and BatchUndoRefused are StoreErrors
from ksef_tui.widgets.export_batch_table import ExportBatchTable, batch_detail
from ksef_tui.widgets.line_table import LineTable
from ksef_tui.widgets.safe_text import safe_text

if TYPE_CHECKING:
    from textual.screen import Screen

    from ksef_tui.ui.config import AppConfig

    _Base = Screen[Any]
else:
    _Base = object


def check_folder(value: str) -> str:
    text = value.strip()
    if not text:
        return _("Enter the folder to write into.")
    if not Path(text).expanduser().is_absolute():
        return _("Enter the full path of the folder (e.g. /home/biuro/KSeF/Eksport).")
    return ""


class ExportBatches(_Base):
    services: AppConfig
    client_id: int
    changed: bool

    # --- the list -----------------------------------------------------------------------------------

    @property
    def batch_table(self) -> ExportBatchTable:
        return self.query_one("#batches", ExportBatchTable)

    @work(exclusive=True, group="client-batches", exit_on_error=False)
    async def load_batches(self) -> None:
        store = self.services.store
        assert store is not None
        try:
            batches = await asyncio.to_thread(export_uc.list_batches, store, self.client_id)
        except StoreError as err:
            self._batches_title(_("Could not read the export batches: {error}").format(error=err))
            return
        self.show_batches(batches)

    def _batches_title(self, note: str = "") -> None:
        title = Text(_("Export batches"), style="bold underline")
        title.append("  ")
        title.append(note or _("Tab selects, w writes again, u undoes"), style="dim not underline not bold")
        self.query_one("#batches-title", Static).update(safe_text(title))

    def show_batches(self, batches: list[ExportBatch]) -> None:
        table = self.batch_table
        table.display = bool(batches)
        self.query_one("#batch-detail", Static).display = bool(batches)
        if not batches:
            self._batches_title(_("none yet: E in the approval queue exports"))
            return
        self._batches_title()
        table.show(batches, max(table.size.width, self.size.width - 4))

    def on_line_table_highlighted(self, event: LineTable.Highlighted) -> None:
        # By name, not `@on`: this mixin is a plain class at run time, which Textual's `@on` does not see.
        if event.table is not self.batch_table:
            return
        batch = self.batch_table.selected()
        detail = self.query_one("#batch-detail", Static)
        detail.update(safe_text(batch_detail(batch)) if batch is not None else "")

    def _selected_batch(self) -> ExportBatch | None:
        batch = self.batch_table.selected()
        if batch is None:
            self.notify(_("This client has no export batch yet."), severity="warning")
        return batch

    # --- re-create ----------------------------------------------------------------------------------

    def action_recreate_batch(self) -> None:
        batch = self._selected_batch()
        if batch is None or batch.id is None:
            return
        batch_id, names = batch.id, tuple(f.name for f in batch.files)

        def asked(folder: str | None) -> None:
            if folder:
                self._recreate(batch_id, names, Path(folder).expanduser(), None)

        self.app.push_screen(
            AskScreen(
                _("Write batch {id} again").format(id=batch_id),
                _("The same files, byte for byte, into the folder:"),
                batch.folder,
                check_folder,
            ),
            callback=asked,
        )

    @work(exclusive=True, group="client-recreate", exit_on_error=False)
    async def _recreate(
        self, batch_id: int, names: tuple[str, ...], folder: Path, overwrite: bool | None
    ) -> None:
        """`overwrite` None: first see which files are there (and ask before replacing them)."""
        store = self.services.store
        assert store is not None
        if overwrite is None:
            existing = await asyncio.to_thread(lambda: [n for n in names if os.path.lexists(folder / n)])
            if existing:
                self._ask_replace(batch_id, names, folder, existing)
                return
        try:
            result = await asyncio.to_thread(
                export_uc.recreate_batch, store, batch_id, folder, overwrite=bool(overwrite)
            )
        except StoreError as err:
            self.notify(str(err), severity="error", markup=False)
            return
        if result.problems:
            lines = [_("Batch {id} was not written again:").format(id=batch_id)]
            lines += [f"✖ {p.message}" for p in result.problems]
            self.notify("\n".join(lines), severity="error", markup=False, timeout=15)
            return
        self.notify(
            _("Batch {id}: {n} files written again to {folder}, identical to the original.").format(
                id=batch_id, n=len(result.written), folder=result.folder
            ),
            markup=False,
            timeout=10,
        )

    def _ask_replace(self, batch_id: int, names: tuple[str, ...], folder: Path, existing: list[str]) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self._recreate(batch_id, names, folder, True)

        self.app.push_screen(
            ConfirmScreen(
                _("Replace files?"),
                ngettext(
                    "This file is already in {folder}: {names}. Replace it?",
                    "These files are already in {folder}: {names}. Replace them?",
                    len(existing),
                ).format(folder=folder, names=", ".join(existing)),
            ),
            callback=answered,
        )

    # --- undo ---------------------------------------------------------------------------------------

    def action_undo_batch(self) -> None:
        batch = self._selected_batch()
        if batch is None or batch.id is None:
            return
        if batch.status is BatchStatus.UNDONE:
            self.notify(_("Batch {id} is undone already.").format(id=batch.id), severity="warning")
            return
        batch_id = batch.id

        def answered(yes: bool | None) -> None:
            if yes:
                self._undo_batch(batch_id)

        self.app.push_screen(
            ConfirmScreen(
                _("Undo batch {id}?").format(id=batch_id),
                ngettext(
                    "{n} booking goes back to its state before the export (approved). The files stay "
                    "in {folder}; export the period again to replace them.",
                    "{n} bookings go back to their state before the export (approved). The files stay "
                    "in {folder}; export the period again to replace them.",
                    batch.booking_count,
                ).format(n=batch.booking_count, folder=batch.folder),
            ),
            callback=answered,
        )

    @work(exclusive=True, group="client-undo-batch", exit_on_error=False)
    async def _undo_batch(self, batch_id: int) -> None:
        store = self.services.store
        assert store is not None
        try:
            batch = await asyncio.to_thread(
                lambda: export_uc.undo_batch(store, batch_id, operator_name(store), self.services.clock)
            )
        except StoreError as err:  # BatchUndoRefused (a newer batch holds its bookings): said as it is
            self.notify(str(err), severity="error", markup=False, timeout=12)
            return
        self.changed = True
        self.notify(
            _("Batch {id} undone: {n} bookings are back in their state before it.").format(
                id=batch_id, n=batch.booking_count
            ),
            markup=False,
        )
        self.load_batches()
