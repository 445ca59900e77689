"""Past-tense messages a screen's worker posts to the screen when a use case (ksef_tui.sync) is done,
or has made progress. The screen's `on_<name>` handler repaints; a worker never touches a widget
with a result itself. `post_message` is thread-safe, so thread workers post these too.

The messages carry the use cases' typed results; they do not bubble past the screen.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

from ksef_tui.core.ksef_sessions import SessionRecord

if TYPE_CHECKING:
    # Types only: importing the use cases here would load the KSeF client (~0.3 s, measured with
    # -X importtime) with the board, the first screen, which needs none of it.
    from ksef_tui.core.bookings import Booking, Decision, Dictionaries, QueueSettings, Rule
    from ksef_tui.core.client_import import ImportPlan
    from ksef_tui.core.models import Credential
    from ksef_tui.core.purchases import PurchaseRecord
    from ksef_tui.core.readiness import Probe
    from ksef_tui.core.upo import UpoReceipt
    from ksef_tui.ksef.certificates import CertificateListItem
    from ksef_tui.sync.bookings import BookingKey, QueueFilter, QueuePage
    from ksef_tui.sync.client_import import ImportResult
    from ksef_tui.sync.clients import BoardView, ClientView
    from ksef_tui.sync.grants import CensusResult, ReadinessView
    from ksef_tui.sync.invoices import InvoiceXml
    from ksef_tui.sync.office import OfficeProfile
    from ksef_tui.sync.office_certificate import OfficeCertificateView
    from ksef_tui.sync.purchase_views import PurchaseList, PurchaseSummary
    from ksef_tui.sync.purchases import SyncProgress, SyncReport
    from ksef_tui.sync.sessions import RefreshSummary, SessionsPage, SessionView
    from ksef_tui.sync.upo import BulkResult, UpoDownload
    from ksef_tui.sync.upo import UpoProgress as UpoEvent


class ScreenMessage(Message, bubble=False):
    """A result for the screen that started the work; nobody above it needs it."""


# --- the board and the client screen ------------------------------------------------------------------


class BoardLoaded(ScreenMessage):
    def __init__(self, board: BoardView) -> None:
        super().__init__()
        self.board = board


class ClientViewLoaded(ScreenMessage):
    def __init__(self, view: ClientView) -> None:
        super().__init__()
        self.view = view


class CheckProgress(ScreenMessage):
    def __init__(self, done: int, failed: int, total: int) -> None:
        super().__init__()
        self.done = done
        self.failed = failed
        self.total = total


class ChecksFinished(ScreenMessage):
    def __init__(self, summary: str) -> None:
        super().__init__()
        self.summary = summary  # one line in words


# --- sessions ---------------------------------------------------------------------------------------


class SessionsLoaded(ScreenMessage):
    def __init__(self, page: SessionsPage) -> None:
        super().__init__()
        self.page = page


class MoreSessionsLoaded(ScreenMessage):
    def __init__(self, records: list[SessionRecord]) -> None:
        super().__init__()
        self.records = records


class RefreshProgress(ScreenMessage):
    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done = done
        self.total = total


class SessionsRefreshed(ScreenMessage):
    def __init__(self, summary: RefreshSummary) -> None:
        super().__init__()
        self.summary = summary


class SessionLoaded(ScreenMessage):
    def __init__(self, view: SessionView) -> None:
        super().__init__()
        self.view = view


class InvoicesFetched(ScreenMessage):
    """A session's invoice list arrived from KSeF (and is in the store)."""


class SessionFound(ScreenMessage):
    """A jump to another session: `record` is None when neither the store nor KSeF has it."""

    def __init__(self, reference: str, record: SessionRecord | None, ksef_number: str | None) -> None:
        super().__init__()
        self.reference = reference
        self.record = record
        self.ksef_number = ksef_number


class InvoiceDownloading(ScreenMessage):
    """The invoice is not in the store: its download from KSeF has started."""


class InvoiceXmlReady(ScreenMessage):
    """`invoice` is None when its XML is not at hand (not in the store, KSeF not configured)."""

    def __init__(self, invoice: InvoiceXml | None) -> None:
        super().__init__()
        self.invoice = invoice


# --- UPO --------------------------------------------------------------------------------------------


class UpoFolderRead(ScreenMessage):
    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder


class UpoFolderSaved(ScreenMessage):
    def __init__(self, folder: str) -> None:
        super().__init__()
        self.folder = folder


class UpoWaiting(ScreenMessage):
    """KSeF has not generated the UPO yet (21178): the next try is `left` seconds away."""

    def __init__(self, left: int, attempt: int, attempts: int) -> None:
        super().__init__()
        self.left = left
        self.attempt = attempt
        self.attempts = attempts


class UpoDownloaded(ScreenMessage):
    def __init__(self, download: UpoDownload) -> None:
        super().__init__()
        self.download = download


class UpoRefused(ScreenMessage):
    """No UPO could be had; `reason` says why in words."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class UpoProgress(ScreenMessage):
    """One client's step in the bulk download of missing UPOs."""

    def __init__(self, event: UpoEvent) -> None:
        super().__init__()
        self.event = event


class UposDownloaded(ScreenMessage):
    """The bulk download is done."""

    def __init__(self, result: BulkResult, folder: Path) -> None:
        super().__init__()
        self.result = result
        self.folder = folder


class UpoOpened(ScreenMessage):
    """The saved UPO, parsed; `receipts` is empty when none is saved; `error` when it does not parse."""

    def __init__(self, receipts: list[UpoReceipt], error: str | None = None) -> None:
        super().__init__()
        self.receipts = receipts
        self.error = error


__all__ = [
    "BoardLoaded",
    "CheckProgress",
    "ChecksFinished",
    "ClientViewLoaded",
    "InvoiceDownloading",
    "InvoiceXmlReady",
    "InvoicesFetched",
    "MoreSessionsLoaded",
    "RefreshProgress",
    "ScreenMessage",
    "SessionFound",
    "SessionLoaded",
    "SessionsLoaded",
    "SessionsRefreshed",
    "UpoDownloaded",
    "UpoFolderRead",
    "UpoFolderSaved",
    "UpoOpened",
    "UpoProgress",
    "UpoRefused",
    "UpoWaiting",
    "UposDownloaded",
]


# --- forms and dialogs ----------------------------------------------------------------------------------


class RecordSaved(ScreenMessage):
    """A form's store write is done; `result` is what the dialog returns (True, a client id, ...)."""

    def __init__(self, result: object = True) -> None:
        super().__init__()
        self.result = result


class StoreRefused(ScreenMessage):
    """The store (or the file a form named) refused; `reason` is the message for the user, in words."""

    def __init__(self, reason: str, problem: object = None) -> None:
        super().__init__()
        self.reason = reason
        self.problem = problem  # the typed error, when the screen shows more than the words


class OfficeProfileLoaded(ScreenMessage):
    """The office profile was read from the store (`sync.office.load_office_profile`)."""

    def __init__(self, profile: OfficeProfile) -> None:
        super().__init__()
        self.profile = profile


class CertificatePreviewed(ScreenMessage):
    def __init__(self, generation: int, preview: object) -> None:
        super().__init__()
        self.generation = generation
        self.preview = preview


class CertificateNotTheClients(ScreenMessage):
    """The certificate read on save names another NIP: the dialog asks before saving it."""

    def __init__(self, loaded: object) -> None:
        super().__init__()
        self.loaded = loaded  # a core.certificates.LoadedCertificate (its repr shows no key)


class XmlTextRead(ScreenMessage):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


# --- the client list import -------------------------------------------------------------------------


class ImportPlanned(ScreenMessage):
    """The file was read and every row checked; nothing written yet."""

    def __init__(self, plan: ImportPlan) -> None:
        super().__init__()
        self.plan = plan


class ClientsImported(ScreenMessage):
    def __init__(self, result: ImportResult) -> None:
        super().__init__()
        self.result = result


# --- purchase invoices (issue 12) -------------------------------------------------------------------


class PurchaseSyncProgressed(ScreenMessage):
    """The purchase sync reported progress (clients done, invoices fetched)."""

    def __init__(self, progress: SyncProgress) -> None:
        super().__init__()
        self.progress = progress


class PurchasesSynced(ScreenMessage):
    def __init__(self, report: SyncReport) -> None:
        super().__init__()
        self.report = report


class PurchaseSummaryLoaded(ScreenMessage):
    """The client's purchase sync state; `summary` is None when it could not be read (`error` says why)."""

    def __init__(self, summary: PurchaseSummary | None, error: str = "") -> None:
        super().__init__()
        self.summary = summary
        self.error = error


class PurchasesLoaded(ScreenMessage):
    def __init__(self, listing: PurchaseList) -> None:
        super().__init__()
        self.listing = listing


class PurchasesPreviewed(ScreenMessage):
    """What KSeF lists right now from the cursor on ("what's new"), not stored yet: provisional."""

    def __init__(self, records: list[PurchaseRecord]) -> None:
        super().__init__()
        self.records = records


# --- readiness for 2027, the grant census, the office certificate (issue 11) -----------------------------


class ReadinessLoaded(ScreenMessage):
    def __init__(self, view: ReadinessView) -> None:
        super().__init__()
        self.view = view


class CensusTaken(ScreenMessage):
    def __init__(self, result: CensusResult) -> None:
        super().__init__()
        self.result = result


class ProbeProgress(ScreenMessage):
    def __init__(self, done: int, failed: int, total: int) -> None:
        super().__init__()
        self.done = done
        self.failed = failed
        self.total = total


class ProbesFinished(ScreenMessage):
    def __init__(self, results: dict[int, Probe]) -> None:
        super().__init__()
        self.results = results


class OfficeWorkFailed(ScreenMessage):
    """A census, probe, enrolment, list or revocation could not be done; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class GrantRequestLoaded(ScreenMessage):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class GrantRequestSaved(ScreenMessage):
    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path


class GrantRequestMarked(ScreenMessage):
    def __init__(self, client_id: int) -> None:
        super().__init__()
        self.client_id = client_id


class OfficeCertificateLoaded(ScreenMessage):
    def __init__(self, view: OfficeCertificateView) -> None:
        super().__init__()
        self.view = view


class OfficeCertificatesListed(ScreenMessage):
    def __init__(self, items: list[CertificateListItem]) -> None:
        super().__init__()
        self.items = items


class OfficeCertificateRevoked(ScreenMessage):
    def __init__(self, serial: str) -> None:
        super().__init__()
        self.serial = serial


class EnrolmentProgressed(ScreenMessage):
    def __init__(self, step: str) -> None:
        super().__init__()
        self.step = step


class OfficeCertificateEnrolled(ScreenMessage):
    def __init__(self, credential: Credential) -> None:
        super().__init__()
        self.credential = credential


# --- the approval queue (issue 13) ------------------------------------------------------------------


class QueueLoaded(ScreenMessage):
    """A page of the queue; `append` when it continues the rows already shown (scrolling down)."""

    def __init__(
        self,
        page: QueuePage,
        *,
        append: bool = False,
        settings: QueueSettings | None = None,
        flt: QueueFilter | None = None,
    ) -> None:
        super().__init__()
        self.page = page
        self.append = append
        self.settings = settings
        self.filter = flt  # an appended page of another filter than the one shown now is dropped


class QueueMarkable(ScreenMessage):
    """The bookings matching the filter with confidence at or over `threshold` (to mark them all)."""

    def __init__(self, keys: list[BookingKey], gross: dict[BookingKey, object], threshold: int) -> None:
        super().__init__()
        self.keys = keys
        self.gross = gross
        self.threshold = threshold


class BookingsDecided(ScreenMessage):
    """A step was taken (approve, edit, exclude, reject): `decision` is what undo restores."""

    def __init__(self, decision: Decision, *, redo: bool = False) -> None:
        super().__init__()
        self.decision = decision
        self.redo = redo


class BookingsUndone(ScreenMessage):
    def __init__(self, decision: Decision) -> None:
        super().__init__()
        self.decision = decision


class BookingFormReady(ScreenMessage):
    """The client's dictionaries are read: the booking form can open for `booking`."""

    def __init__(self, booking: Booking, dictionaries: Dictionaries) -> None:
        super().__init__()
        self.booking = booking
        self.dictionaries = dictionaries


class RulesLoaded(ScreenMessage):
    def __init__(self, rules: list[Rule]) -> None:
        super().__init__()
        self.rules = rules
