"""Offboarding a client (issue 15 item 3), replacing the old "remove client" dialog: the screen says exactly
what will happen (the plan's lists: tokens, grants, files, what the shred takes), asks for the client's
short code typed to confirm, runs the steps one by one with a result per step, and ends with the text for
the client (`c` copies it with OSC 52, `s` saves it in the export folder, never over a file). Dismissed
with True once the client is gone (the board reloads)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, Static

from ksef_tui.core.i18n import _
from ksef_tui.core.models import Client
from ksef_tui.sync import upo as upo_sync
from ksef_tui.sync.offboarding import (
    OffboardingPlan,
    OffboardingRefused,
    OffboardingResult,
    Outcome,
    Step,
    StepResult,
    describe_plan,
    look_at_grants,
    prepare_plan,
    run_offboarding,
    save_client_text,
    step_title,
)
from ksef_tui.ui.commands import RegistryKeys, bindings_for
from ksef_tui.ui.config import AppConfig
from ksef_tui.widgets.key_bar import KeyBar
from ksef_tui.widgets.safe_text import plain

MARKS = {Outcome.OK: "✔", Outcome.WARNING: "⚠", Outcome.FAILED: "✖", Outcome.SKIPPED: "–"}


class OffboardingScreen(RegistryKeys, Screen[bool]):
    SCOPE = "offboard"
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    OffboardingScreen #title { height: 1; padding: 0 1; background: $error-darken-2; }
    OffboardingScreen #body { height: 1fr; padding: 0 1; }
    OffboardingScreen #plan, OffboardingScreen #steps, OffboardingScreen #text { height: auto; }
    OffboardingScreen #text { padding: 1 0 0 0; }
    OffboardingScreen #confirm { margin: 0 1; }
    OffboardingScreen #status { height: auto; padding: 0 1; background: $accent-darken-2; }
    """

    def __init__(self, services: AppConfig, client: Client) -> None:
        super().__init__()
        self.services = services
        self.client = client
        self.plan: OffboardingPlan | None = None
        self.result: OffboardingResult | None = None
        self._steps: list[str] = []
        self._busy = False

    def compose(self) -> ComposeResult:
        yield Static(
            plain(_("Offboard {name} ({code})").format(name=self.client.name, code=self.client.short_code)),
            id="title",
        )
        with VerticalScroll(id="body"):
            yield Static(plain(_("Reading what offboarding would do…")), id="plan")
            yield Static("", id="steps")
            yield Static("", id="text")
        yield Input(id="confirm", placeholder=self.client.short_code, disabled=True)
        yield Static("", id="status")
        yield KeyBar()

    def on_mount(self) -> None:
        self._load()

    # --- the plan ------------------------------------------------------------------------------------------

    @work(exclusive=True, group="offboard-plan", exit_on_error=False)
    async def _load(self) -> None:
        store = self.services.store
        assert store is not None and self.client.id is not None
        folder = await upo_sync.read_upo_folder(store, self.services.home, self.services.demo)
        try:
            plan = await asyncio.to_thread(prepare_plan, store, self.client.id, folder)
        except OffboardingRefused as err:
            self._say(str(err))
            return
        self._show_plan(plan)
        factory = self.services.ksef_factory
        if factory is not None:
            self._say(_("Looking at the client's grants in KSeF…"))
            await look_at_grants(store, factory, plan, self.services.clock)
        else:
            plan.grants_note = _("No fresh look at the grants: KSeF is not configured.")
        self._show_plan(plan)
        self.plan = plan
        confirm = self.query_one("#confirm", Input)
        confirm.disabled = False
        confirm.focus()
        self._say(
            _(
                "This cannot be undone. To confirm, type the short code {code} and press Enter; Esc closes"
                " without doing anything."
            ).format(code=self.client.short_code)
        )

    def _show_plan(self, plan: OffboardingPlan) -> None:
        self.query_one("#plan", Static).update(plain("\n".join(describe_plan(plan))))

    # --- confirming and running ---------------------------------------------------------------------------

    @on(Input.Submitted, "#confirm")
    def _submitted(self, event: Input.Submitted) -> None:
        if self.plan is None or self._busy:
            return
        if event.value.strip().upper() != self.client.short_code.upper():
            self._say(_("The code does not match: nothing was done."))
            return
        self._busy = True
        event.input.disabled = True
        event.input.display = False
        self.query_one("#body").focus()
        self._run(self.plan)

    @work(exclusive=True, group="offboard-run", exit_on_error=False)
    async def _run(self, plan: OffboardingPlan) -> None:
        store, factory = self.services.store, self.services.ksef_factory
        assert store is not None
        self._say(_("Offboarding… do not close ksef-tui."))
        result = await run_offboarding(store, factory, plan, self.services.clock, self._step_done)
        self.result = result
        self._busy = False
        if result.client_text:
            self.query_one("#text", Static).update(
                plain(_("Text for the client:") + "\n\n" + result.client_text)
            )
        if result.shred is not None:
            self._say(_("Done. c copies the text for the client, s saves it, Esc goes back."))
        else:
            self._say(_("Offboarding stopped; the client is kept. Esc goes back."))

    def _step_done(self, step: StepResult) -> None:
        lines = [f"{MARKS[step.outcome]} {step_title(step.step)}"]
        if step.step is not Step.PLAN:
            lines += [f"    {line}" for line in step.lines]
        self._steps += lines
        self.query_one("#steps", Static).update(plain("\n".join(self._steps)))

    # --- the text for the client -------------------------------------------------------------------------

    def action_copy(self) -> None:
        if self.result is None or not self.result.client_text:
            return
        self.app.copy_to_clipboard(self.result.client_text)
        self._say(_("The text for the client is in the clipboard."))

    def action_save_file(self) -> None:
        if self.result is None or not self.result.client_text:
            return
        self._save(self.services.office.export_path())

    @work(thread=True, exclusive=True, group="offboard-save")
    def _save(self, folder: Path) -> None:
        assert self.result is not None
        try:
            path = save_client_text(
                folder, self.client.short_code, self.result.client_text, self.services.clock()
            )
        except OSError as err:
            self.app.call_from_thread(
                self._say, _("Not saved: {reason}").format(reason=err.strerror or str(err))
            )
            return
        self.app.call_from_thread(self._say, _("Saved to {path}.").format(path=path))

    def _say(self, message: str) -> None:
        self.query_one("#status", Static).update(plain(message))

    def action_cancel(self) -> None:
        if self._busy:
            self._say(_("Offboarding is running; wait for it to end."))
            return
        self.dismiss(self.result is not None and self.result.shred is not None)
