"""The office level (issue 11 items 1-2): the office's own KSeF certificate, used in every client's context.

Shows its expiry and how many clients depend on it ("certyfikat biura wygasa za 25 dni — zależy od niego
120 klientów"); `i` imports it from a file or replaces it (a renewal: the certificate import dialog,
saving as the office certificate); `e` enrols a new one in KSeF with the office's qualified seal or
signature (a form: the file is read for that login only and never stored); `l` lists the office's
certificates in KSeF and `v` revokes the selected one (confirmed by typing its serial's last characters).

`O` on the board and `k` on the readiness screen open it (docs/DECISIONS.md "The office level on screen").
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from ksef_tui.core.clock import WARSAW
from ksef_tui.core.i18n import _
from ksef_tui.core.models import CREDENTIAL_KIND_LABELS
from ksef_tui.screens.client_detail import STATUS_WORDS
from ksef_tui.screens.ksef_work import KsefWorking
from ksef_tui.sync.office_certificate import load_office_certificate_view
from ksef_tui.ui.commands import RegistryKeys, bindings_for
from ksef_tui.ui.config import AppConfig
from ksef_tui.ui.messages import (
    EnrolmentProgressed,
    OfficeCertificateEnrolled,
    OfficeCertificateLoaded,
    OfficeCertificateRevoked,
    OfficeCertificatesListed,
)
from ksef_tui.widgets.key_bar import KeyBar
from ksef_tui.widgets.safe_text import plain, safe_text

REVOKE_CODE_LENGTH = 6  # the last characters of the serial typed to confirm a revocation


def _day(moment: Any) -> str:
    return f"{moment.astimezone(WARSAW):%Y-%m-%d}" if moment is not None else "—"


def revoke_code(serial: str) -> str:
    return serial[-REVOKE_CODE_LENGTH:].upper()


class OfficeCertificateScreen(KsefWorking, RegistryKeys, Screen[bool]):
    """Dismissed with True when the office certificate changed (the board's health depends on it)."""

    SCOPE = "office_certificate"
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    OfficeCertificateScreen #title { height: 1; padding: 0 1; background: $primary-darken-3; }
    OfficeCertificateScreen #summary { height: auto; padding: 1 1 0 1; }
    OfficeCertificateScreen #current { height: auto; padding: 1 1; }
    OfficeCertificateScreen #list-title { height: 1; padding: 0 1; text-style: bold; }
    OfficeCertificateScreen #certificates { height: 1fr; margin: 0 1; }
    OfficeCertificateScreen #progress { height: auto; padding: 0 1; background: $accent-darken-2; }
    """

    def __init__(self, services: AppConfig) -> None:
        super().__init__()
        self.services = services
        self.items: list[Any] = []  # the office's certificates as KSeF lists them (after `l`)
        self._changed = False
        self._work: Worker[None] | None = None
        self._current_serial: str | None = None  # the stored office certificate's

    def compose(self) -> ComposeResult:
        yield Static(plain(_("The office's KSeF certificate")), id="title")
        yield Static("", id="summary")
        yield Static("", id="current")
        yield Static(plain(_("Certificates in KSeF (l lists them)")), id="list-title")
        yield OptionList(id="certificates")
        yield Static("", id="progress")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#progress", Static).display = False
        self.query_one(OptionList).focus()
        self.reload()

    # --- the office certificate in the store ------------------------------------------------------

    def reload(self) -> None:
        self._load()

    @work(exclusive=True, group="office-certificate-load")
    async def _load(self) -> None:
        store = self.services.store
        assert store is not None
        self.post_message(
            OfficeCertificateLoaded(await load_office_certificate_view(store, self.services.clock))
        )

    def on_office_certificate_loaded(self, message: OfficeCertificateLoaded) -> None:
        view = message.view
        self.query_one("#summary", Static).update(plain(view.summary.text))
        cert = view.certificate
        self._current_serial = cert.serial if cert is not None else None
        text = Text()
        if cert is None:
            text.append(_("No office certificate: i imports one from a file, e enrols one in KSeF."))
        else:
            text.append(_(CREDENTIAL_KIND_LABELS[cert.kind]), style="bold")
            if cert.label:
                text.append(f"  {cert.label}", style="dim")
            text.append("\n")
            text.append(
                _("Serial: {serial} · valid {start} – {end} · status: {status}").format(
                    serial=cert.serial or "—",
                    start=_day(cert.valid_from),
                    end=_day(cert.valid_until),
                    status=_(STATUS_WORDS.get(cert.status, cert.status.value)),
                )
            )
        self.query_one("#current", Static).update(safe_text(text))

    # --- import, enrol -------------------------------------------------------------------------------

    def action_import_certificate(self) -> None:
        from ksef_tui.screens.certificate_import import CertificateImportScreen

        self.app.push_screen(CertificateImportScreen(self.services, None), callback=self._after)

    def action_enrol(self) -> None:
        if self.services.ksef_factory is None:
            self.notify(_("KSeF is not configured for this store."), severity="warning")
            return
        self.app.push_screen(EnrolmentScreen(self.services), callback=self._after)

    def _after(self, changed: bool | str | None) -> None:
        if changed:
            self._changed = True
            self.reload()

    # --- list and revoke ---------------------------------------------------------------------------

    def action_list_certificates(self) -> None:
        if self._busy():
            return
        self._progress(_("Reading the office's certificates from KSeF… (x stops)"))
        self._work = self._list()

    @work(exclusive=True, group="office-certificate-work", exit_on_error=False)
    async def _list(self) -> None:
        from ksef_tui.sync.office_certificate import list_office_certificates

        store, factory = self.services.store, self.services.ksef_factory
        assert store is not None and factory is not None
        self.post_message(OfficeCertificatesListed(await list_office_certificates(store, factory)))

    def on_office_certificates_listed(self, message: OfficeCertificatesListed) -> None:
        self.items = list(message.items)
        current = (self._current_serial or "").upper()
        options = self.query_one(OptionList)
        options.clear_options()
        for item in self.items:
            line = Text()
            line.append(f"{item.certificate_serial_number}  ", style="bold")
            line.append(f"{item.status or '?'}  ")
            line.append(f"{_day(item.valid_from)} – {_day(item.valid_to)}  ")
            line.append(item.name or item.common_name or "", style="dim")
            if current and item.certificate_serial_number.upper() == current:
                line.append("  " + _("(in use)"), style="bold")
            options.add_option(Option(safe_text(line)))
        if self.items:
            options.highlighted = 0
        self._progress(_("KSeF lists {n} certificates of the office.").format(n=len(self.items)))

    def action_revoke(self) -> None:
        options = self.query_one(OptionList)
        if not self.items or options.highlighted is None:
            self.notify(_("List the certificates first (l) and choose one."), severity="warning")
            return
        if self._busy():
            return
        serial = self.items[options.highlighted].certificate_serial_number

        def confirmed(ok: bool | None) -> None:
            if ok:
                self._progress(_("Revoking the certificate in KSeF…"))
                self._work = self._revoke(serial)

        self.app.push_screen(RevokeConfirmScreen(serial), callback=confirmed)

    @work(exclusive=True, group="office-certificate-work", exit_on_error=False)
    async def _revoke(self, serial: str) -> None:
        from ksef_tui.sync.office_certificate import list_office_certificates, revoke_office_certificate

        store, factory = self.services.store, self.services.ksef_factory
        assert store is not None and factory is not None
        await revoke_office_certificate(store, factory, serial)
        self.post_message(OfficeCertificateRevoked(serial))
        self.post_message(OfficeCertificatesListed(await list_office_certificates(store, factory)))

    def on_office_certificate_revoked(self, message: OfficeCertificateRevoked) -> None:
        self._changed = True
        self.notify(_("Certificate {serial} revoked in KSeF.").format(serial=message.serial))
        self.reload()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self._work_failed(event)

    def action_back(self) -> None:
        self._stop_work()
        self.dismiss(self._changed)


class RevokeConfirmScreen(RegistryKeys, ModalScreen[bool]):
    """Revoking is final: confirmed by typing the serial's last characters. Dismissed with True to go on."""

    SCOPE = "form"
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    RevokeConfirmScreen .dialog { width: 76; }
    """

    def __init__(self, serial: str) -> None:
        super().__init__()
        self.serial = serial
        self.code = revoke_code(serial)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(_("Revoke this certificate in KSeF?")), classes="dialog-title")
            yield Static(
                plain(
                    _(
                        "Certificate {serial} stops working in KSeF at once, for every client and cannot be"
                        " restored. To confirm, type {code}:"
                    ).format(serial=self.serial, code=self.code)
                )
            )
            yield Input(id="confirm", placeholder=self.code, compact=True)
            yield Static("", id="message", classes="error")
            yield Static(_("Enter or F2 revokes · Esc cancels"), classes="hint")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#confirm", Input).focus()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        if self.query_one("#confirm", Input).value.strip().upper() != self.code:
            self.query_one("#message", Static).update(
                plain(_("The code does not match: nothing was revoked."))
            )
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class EnrolmentScreen(RegistryKeys, ModalScreen[bool]):
    """Enrol the office certificate in KSeF with the office's qualified seal or signature: the file's path,
    its key (not for PKCS#12) and password; a worker runs the enrolment, showing each step. The file and
    its password are used for that login only: the password leaves the form at once, nothing is stored."""

    SCOPE = "form"
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    EnrolmentScreen .dialog { width: 76; }
    EnrolmentScreen #step { color: $accent; height: auto; }
    """

    def __init__(self, services: AppConfig) -> None:
        super().__init__()
        self.services = services
        self._enrolling = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(_("Enrol the office certificate in KSeF")), classes="dialog-title")
            yield Static(
                plain(
                    _(
                        "The office's qualified seal or signature logs in to KSeF in the office's own"
                        " context once; KSeF then issues the office certificate for a key made here."
                        " The qualified file is not stored."
                    )
                ),
                classes="hint",
            )
            yield Label(_("Qualified seal or signature: PKCS#12 (.p12, .pfx) or certificate (.pem)"))
            yield Input(id="qualified", compact=True, placeholder="~/pieczec-biura.p12")
            yield Label(_("Private key file (.pem; not needed for PKCS#12)"))
            yield Input(id="key", compact=True)
            yield Label(_("Password of the key or the PKCS#12 file (only to open it)"))
            yield Input(id="password", password=True, compact=True)
            yield Static("", id="step")
            yield Static("", id="message", classes="error")
            yield Static(_("Enter or F2 enrols · Esc cancels"), classes="hint")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#qualified", Input).focus()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        if self._enrolling:
            return
        path = self.query_one("#qualified", Input).value.strip()
        if not path:
            self._say(_("Give the qualified certificate file."))
            return
        key = self.query_one("#key", Input).value.strip()
        field = self.query_one("#password", Input)
        password = field.value or None
        field.value = ""  # the password leaves the widget now: it only opens the file
        self._enrolling = True
        self._say("")
        self._enrol(path, key, password)

    @work(exclusive=True, group="office-enrolment", exit_on_error=False)
    async def _enrol(self, path: str, key: str, password: str | None) -> None:
        from ksef_tui.sync.office_certificate import enroll_office_certificate

        store, factory = self.services.store, self.services.ksef_factory
        assert store is not None and factory is not None
        cred = await enroll_office_certificate(
            store,
            factory,
            self.services.clock,
            path,
            key,
            password,
            progress=lambda step: self.post_message(EnrolmentProgressed(step)),
        )
        self.post_message(OfficeCertificateEnrolled(cred))

    def on_enrolment_progressed(self, message: EnrolmentProgressed) -> None:
        self.query_one("#step", Static).update(plain(message.step))

    def on_office_certificate_enrolled(self, message: OfficeCertificateEnrolled) -> None:
        self.notify(
            _("Office certificate enrolled: serial {serial}, valid until {end}.").format(
                serial=message.credential.serial or "—", end=_day(message.credential.valid_until)
            )
        )
        self.dismiss(True)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self._enrolling = False
            self.query_one("#step", Static).update("")
            self._say(_("Not enrolled: {error}").format(error=str(event.worker.error)))

    def _say(self, message: str) -> None:
        self.query_one("#message", Static).update(plain(message))

    def action_cancel(self) -> None:
        for name in ("#qualified", "#key", "#password"):
            self.query_one(name, Input).value = ""
        self.dismiss(False)
