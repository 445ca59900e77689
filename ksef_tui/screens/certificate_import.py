"""Import a client's KSeF certificate (or the office's, used in the client's context), sealed at once.

Files are read as their paths are typed, to show what they hold; on save they are read again in a worker
and the private key is sealed (as unencrypted PKCS#8: docs/SECURITY.md "Secrets outside the store").

A certificate chosen as the client's own that names another NIP is not saved at once: a confirm step
(`CertificateNipScreen`) explains that this is right only for the office's own certificate used in the
client's context, and saves it as that kind (docs/DECISIONS.md "Certificates: duplicates and NIPs").
The store refuses a second copy of a certificate the client already has (same serial).
"""

from __future__ import annotations

from datetime import datetime

from rich.markup import escape
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, Label, Select, Static

from ksef_tui.core.certificates import (
    CertificateError,
    CertificateInfo,
    LoadedCertificate,
    Preview,
    Problem,
    is_pkcs12,
    load,
    nip_mismatch,
    preview,
)
from ksef_tui.core.humanize_pl import WARSAW
from ksef_tui.core.i18n import _
from ksef_tui.core.models import Client, Credential, CredentialKind, CredentialStatus
from ksef_tui.core.nip import format_nip
from ksef_tui.sync.office_certificate import import_office_certificate
from ksef_tui.sync.records import StoreError, StoreProblem, add_credential
from ksef_tui.ui.commands import RegistryKeys, bindings_for
from ksef_tui.ui.config import AppConfig
from ksef_tui.ui.messages import (
    CertificateNotTheClients,
    CertificatePreviewed,
    RecordSaved,
    StoreRefused,
)
from ksef_tui.widgets.key_bar import KeyBar
from ksef_tui.widgets.safe_text import plain, safe_text

PREVIEW_DELAY = 0.3  # seconds after the last keystroke in a path before the files are read


def _day(moment: datetime) -> str:
    return f"{moment.astimezone(WARSAW):%Y-%m-%d}"


def info_text(info: CertificateInfo) -> Text:
    """Three lines: who, which certificate, how long. Built as Text, so file contents are never markup."""
    who = info.subject_cn or "—"
    if info.nip:
        who += f" · NIP {format_nip(info.nip)}"
    elif info.pesel:
        who += f" · PESEL {info.pesel}"
    text = Text()
    text.append(_("Subject: {who}").format(who=who))
    text.append("\n")
    text.append(
        _("Serial: {serial} · issued by {issuer}").format(serial=info.serial, issuer=info.issuer_cn or "—")
    )
    text.append("\n")
    text.append(_("Valid: {start} – {end}").format(start=_day(info.valid_from), end=_day(info.valid_until)))
    return text


class CertificateNipScreen(RegistryKeys, ModalScreen[bool]):
    """Asks before a certificate naming another NIP is saved; dismissed with True to save it as the
    office certificate, False to go back to the dialog."""

    SCOPE = "certificate_nip"
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    CertificateNipScreen .dialog { width: 76; }
    CertificateNipScreen #explanation { margin: 1 0; }
    """

    def __init__(self, client: Client, info: CertificateInfo) -> None:
        super().__init__()
        self.client = client
        self.info = info

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(_("This certificate is not the client's")), classes="dialog-title")
            yield Static(safe_text(info_text(self.info)), id="cert-info")
            yield Static(
                plain(
                    _(
                        "The certificate is for NIP {nip}; {name} has NIP {client_nips}. That is right only"
                        " for the office's own certificate, used in this client's context under the"
                        " permissions the client granted the office in KSeF: it is then saved as the"
                        " office certificate. If you meant the client's own certificate, go back and"
                        " choose its file."
                    ).format(
                        nip=format_nip(self.info.nip or ""),
                        name=self.client.name,
                        client_nips=", ".join(format_nip(n) for n in self.client.nips),
                    )
                ),
                id="explanation",
            )
            yield Static(_("Enter or t saves it as the office certificate · Esc goes back"), classes="hint")
        yield KeyBar()

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_back(self) -> None:
        self.dismiss(False)


class CertificateImportScreen(RegistryKeys, ModalScreen[bool]):
    SCOPE = "form"
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    CertificateImportScreen .dialog { width: 76; }
    CertificateImportScreen #cert-info { height: 3; }
    CertificateImportScreen #warning { color: $warning; }
    """

    def __init__(self, services: AppConfig, client: Client | None) -> None:
        """`client` None: the office's own certificate (issue 11: once for every client; a second
        import replaces it, which is how a renewal is saved)."""
        super().__init__()
        self.services = services
        self.office = client is None
        self.client = client or Client(_("Office"), "BIURO", [])
        self._generation = 0
        self._timer: Timer | None = None
        self._saving = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            title = (
                _("The office's KSeF certificate (replaces the current one)")
                if self.office
                else _("KSeF certificate for {name}").format(name=self.client.name)
            )
            yield Static(escape(title), classes="dialog-title")
            yield Label(_("Whose certificate"))
            yield Select(
                [
                    (_("The client's own KSeF certificate"), CredentialKind.KSEF_CERTIFICATE),
                    (
                        _("The office certificate, used in this client's context"),
                        CredentialKind.OFFICE_CERTIFICATE,
                    ),
                ],
                value=CredentialKind.OFFICE_CERTIFICATE if self.office else CredentialKind.KSEF_CERTIFICATE,
                allow_blank=False,
                compact=True,
                id="kind",
                disabled=self.office,
            )
            yield Label(_("Certificate file (.crt, .cer, .pem) or PKCS#12 (.p12, .pfx)"))
            yield Input(id="cert", compact=True, placeholder="~/certyfikaty/klient.crt")
            yield Label(_("Private key file (.pem; not needed for PKCS#12)"))
            yield Input(id="key", compact=True, placeholder="~/certyfikaty/klient.key")
            yield Label(_("Password of the key or the PKCS#12 file (only to open it)"))
            yield Input(id="password", password=True, compact=True)
            yield Static("", id="cert-info", classes="hint")
            yield Static("", id="warning")
            yield Static("", id="message", classes="error")
            yield Static(_("Enter or F2 saves · Esc cancels"), classes="hint")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#cert", Input).focus()

    # --- reading the files as paths are typed --------------------------------------------------

    @on(Input.Changed, "#cert")
    @on(Input.Changed, "#key")
    def _paths_changed(self) -> None:
        self.query_one("#key", Input).disabled = is_pkcs12(self.query_one("#cert", Input).value)
        self._schedule_preview()

    @on(Select.Changed, "#kind")
    def _kind_changed(self) -> None:
        self._schedule_preview()

    def _schedule_preview(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._generation += 1
        self._timer = self.set_timer(PREVIEW_DELAY, self._start_preview)

    def _start_preview(self) -> None:
        if self._saving or not self.query_one("#cert", Input).value.strip():
            self._show(None, "", "")
            return
        self._preview(
            self._generation,
            self.query_one("#cert", Input).value,
            self.query_one("#key", Input).value,
            self.query_one("#password", Input).value or None,
        )

    @work(thread=True, exclusive=True, group="certificate-preview")
    def _preview(self, generation: int, cert: str, key: str, password: str | None) -> None:
        shown = preview(cert, key, password, self.services.clock())
        self.post_message(CertificatePreviewed(generation, shown))

    def _previewed(self, generation: int, shown: Preview) -> None:
        if generation != self._generation or self._saving:
            return  # the paths changed since: a newer preview is on its way
        message = shown.problem.message if shown.problem else ""
        self._show(shown.info, self._warning(shown.info), message)

    def _warning(self, info: CertificateInfo | None) -> str:
        kind = self.query_one("#kind", Select).value
        if (
            info is not None
            and kind is CredentialKind.KSEF_CERTIFICATE
            and nip_mismatch(info, self.client.nips)
        ):
            return _("The certificate is for NIP {nip}, not this client's. Check the file.").format(
                nip=format_nip(info.nip or "")
            )
        return ""

    def _show(self, info: CertificateInfo | None, warning: str, message: str) -> None:
        self.query_one("#cert-info", Static).update(safe_text(info_text(info)) if info else "")
        self.query_one("#warning", Static).update(plain(warning))
        self._say(message)

    # --- saving --------------------------------------------------------------------------------

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        if self._saving:
            return
        cert = self.query_one("#cert", Input).value
        if not cert.strip():
            self._say(_("Give the certificate file."))
            return
        key = self.query_one("#key", Input).value
        field = self.query_one("#password", Input)
        password = field.value or None
        # The password leaves the widget now: it is needed only to open the files.
        field.value = ""
        kind = self.query_one("#kind", Select).value
        assert isinstance(kind, CredentialKind)
        self._saving = True
        self._say(_("Reading the certificate…"))
        self._save(cert, key, password, kind)

    @work(thread=True, exclusive=True, group="certificate-save")
    def _save(self, cert: str, key: str, password: str | None, kind: CredentialKind) -> None:
        if self.office:
            self._seal_office(cert, key, password)
            return
        try:
            loaded = load(cert, key, password, self.services.clock())
        except CertificateError as err:
            self.post_message(StoreRefused(str(err), err))
            return
        if kind is CredentialKind.KSEF_CERTIFICATE and nip_mismatch(loaded.info, self.client.nips):
            self.post_message(CertificateNotTheClients(loaded))  # ask first (on the UI thread)
            return
        self._seal(loaded, kind)

    def _ask_about_nip(self, loaded: LoadedCertificate) -> None:
        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self._say(_("Saving the certificate…"))
                self._save_loaded(loaded)
            else:
                self._saving = False
                self._say(_("Not saved: the certificate is for another NIP."))
                self.query_one("#cert", Input).focus()

        self.app.push_screen(CertificateNipScreen(self.client, loaded.info), callback=answered)

    @work(thread=True, exclusive=True, group="certificate-save")
    def _save_loaded(self, loaded: LoadedCertificate) -> None:
        self._seal(loaded, CredentialKind.OFFICE_CERTIFICATE)

    def _seal(self, loaded: LoadedCertificate, kind: CredentialKind) -> None:
        """In a worker thread: the credential sealed in the store; RecordSaved or StoreRefused posted."""
        now = self.services.clock()
        credential = Credential(
            client_id=self.client.id or 0,
            kind=kind,
            secret=loaded.private_key_pem,
            certificate_pem=loaded.certificate_pem,
            serial=loaded.info.serial,
            created=now,
            valid_from=loaded.info.valid_from,
            valid_until=loaded.info.valid_until,
            status=CredentialStatus.ACTIVE,
            label=loaded.info.subject_cn,
        )
        store = self.services.store
        assert store is not None
        try:
            add_credential(store, credential, "credential.import_certificate", loaded.info.serial)
        except StoreProblem as err:
            problem = CertificateError(Problem.NO_FILE, str(err))
            self.post_message(StoreRefused(str(problem), problem))
            return
        self.post_message(RecordSaved(True))

    def _seal_office(self, cert: str, key: str, password: str | None) -> None:
        """In a worker thread: the office certificate checked (the office's NIP) and sealed, replacing
        the one before it."""
        store = self.services.store
        assert store is not None
        try:
            loaded = import_office_certificate(store, cert, key, password, self.services.clock())
        except CertificateError as err:
            self.post_message(StoreRefused(str(err), err))
            return
        except StoreError as err:
            problem = CertificateError(Problem.NO_FILE, str(err))
            self.post_message(StoreRefused(str(problem), problem))
            return
        self.post_message(RecordSaved(loaded.serial or True))

    def _failed(self, err: CertificateError) -> None:
        self._saving = False
        self._say(err.message)
        if err.problem in (Problem.WRONG_PASSWORD, Problem.NEEDS_PASSWORD):
            self.query_one("#password", Input).focus()

    def _saved(self) -> None:
        self._clear()
        self.dismiss(True)

    def _say(self, message: str) -> None:
        self.query_one("#message", Static).update(plain(message))

    def _clear(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._saving = True  # no preview may run on the emptied fields
        for name in ("#cert", "#key", "#password"):
            self.query_one(name, Input).value = ""

    def action_cancel(self) -> None:
        self._clear()
        self.dismiss(False)

    def on_certificate_previewed(self, message: CertificatePreviewed) -> None:
        self._previewed(message.generation, message.preview)  # type: ignore[arg-type]  # a Preview

    def on_certificate_not_the_clients(self, message: CertificateNotTheClients) -> None:
        assert isinstance(message.loaded, LoadedCertificate)
        self._ask_about_nip(message.loaded)

    def on_store_refused(self, message: StoreRefused) -> None:
        self._failed(message.problem)  # type: ignore[arg-type]  # always a CertificateError here

    def on_record_saved(self, message: RecordSaved) -> None:
        self._saved()
