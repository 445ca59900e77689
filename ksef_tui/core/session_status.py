"""Session and invoice status codes of KSeF (API-NOTES §8) in plain words: what happened, what to do.

Pure data: texts are English msgids (`N_`), translated when shown (`_()`), Polish by default.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ksef_tui.core.i18n import N_, _


class SessionKind(StrEnum):
    ONLINE = "Online"
    BATCH = "Batch"


class StatusGroup(StrEnum):
    """The filter groups of GET /sessions (`statuses[]`), computed from the code."""

    IN_PROGRESS = "InProgress"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    CANCELLED = "Cancelled"


@dataclass(frozen=True)
class StatusText:
    code: int
    label: str  # short, for a table cell
    meaning: str  # one sentence: what it means
    action: str  # one sentence: what the accountant should do

    def translated(self) -> StatusText:
        return StatusText(self.code, _(self.label), _(self.meaning), _(self.action))


def _t(code: int, label: str, meaning: str, action: str) -> tuple[int, StatusText]:
    return code, StatusText(code, label, meaning, action)


ONLINE_SESSION: dict[int, StatusText] = dict(
    [
        _t(
            100,
            N_("open"),
            N_("The online session is open and can still receive invoices."),
            N_("Nothing to do; it closes itself or when the sending program closes it."),
        ),
        _t(
            170,
            N_("closed, processing"),
            N_("The session is closed; KSeF is still processing its invoices."),
            N_("Wait a few minutes and refresh; the UPO appears after processing."),
        ),
        _t(
            200,
            N_("processed"),
            N_("The session was processed; individual invoices may still have been rejected."),
            N_("Check the rejected count; download the UPO as the official receipt."),
        ),
        _t(
            415,
            N_("key decryption error"),
            N_("KSeF could not decrypt the session's symmetric key; no invoice was accepted."),
            N_(
                "Send the invoices again in a new session (the sending program may use an outdated KSeF key)."
            ),
        ),
        _t(
            440,
            N_("cancelled (no invoices)"),
            N_("The session was cancelled because no invoices were sent in it."),
            N_("Nothing to do, unless invoices were meant to be sent: then send them again."),
        ),
        _t(
            445,
            N_("no valid invoices"),
            N_("Verification failed: none of the session's invoices was valid."),
            N_("Open the session to read each invoice's reason, correct the invoices and send them again."),
        ),
    ]
)

BATCH_SESSION: dict[int, StatusText] = dict(
    [
        _t(
            100,
            N_("started"),
            N_("The batch session was opened; the package parts are being uploaded."),
            N_("Nothing to do yet; the sending program finishes the upload and closes the session."),
        ),
        _t(
            150,
            N_("processing"),
            N_("The batch package is being processed by KSeF."),
            N_("Wait and refresh; large packages take longer."),
        ),
        _t(
            200,
            N_("processed"),
            N_("The batch was processed; individual invoices may still have been rejected."),
            N_("Check the rejected count; download the UPO as the official receipt."),
        ),
        _t(
            405,
            N_("package verification error"),
            N_("The parts of the package did not match what was declared (sizes, hashes or count)."),
            N_("Prepare the package again and send it in a new batch session."),
        ),
        _t(
            415,
            N_("key decryption error"),
            N_("KSeF could not decrypt the session's symmetric key; no invoice was accepted."),
            N_("Send the package again in a new session (the sending program may use an outdated KSeF key)."),
        ),
        _t(
            420,
            N_("invoice limit exceeded"),
            N_("The package held more invoices than a session may carry."),
            N_("Split the invoices into smaller packages and send them again."),
        ),
        _t(
            430,
            N_("decompression error"),
            N_("KSeF could not unpack the ZIP archive of the package."),
            N_("Create the archive again (plain ZIP) and send it in a new session."),
        ),
        _t(
            435,
            N_("part decryption error"),
            N_("KSeF could not decrypt the encrypted parts of the archive."),
            N_("Encrypt and send the package again in a new session."),
        ),
        _t(
            440,
            N_("cancelled"),
            N_("The batch session was cancelled: the upload time ran out, or no invoices were sent."),
            N_("Send the package again in a new session if the invoices are not in KSeF."),
        ),
        _t(
            445,
            N_("no valid invoices"),
            N_("Verification failed: none of the package's invoices was valid."),
            N_("Open the session to read each invoice's reason, correct the invoices and send them again."),
        ),
        _t(
            500,
            N_("unknown error"),
            N_("KSeF reported an unknown error while processing the batch."),
            N_("Try again later; if it repeats, report the session reference to KSeF support."),
        ),
    ]
)

INVOICE: dict[int, StatusText] = dict(
    [
        _t(
            100,
            N_("accepted for processing"),
            N_("The invoice was received and waits for processing."),
            N_("Wait and refresh the session."),
        ),
        _t(
            150,
            N_("processing"),
            N_("The invoice is being processed."),
            N_("Wait and refresh the session."),
        ),
        _t(
            200,
            N_("accepted"),
            N_("The invoice is in KSeF and has its KSeF number."),
            N_("Nothing to do; the buyer can download it."),
        ),
        _t(
            405,
            N_("cancelled (session error)"),
            N_("Processing was cancelled because of an error of the whole session."),
            N_("Send the invoice again in a new session."),
        ),
        _t(
            410,
            N_("wrong permission scope"),
            N_("The sender had no permission to issue invoices for this seller."),
            N_("Check the permissions granted in KSeF, then send the invoice again."),
        ),
        _t(
            415,
            N_("attachments not allowed"),
            N_("The invoice has an attachment, but the seller has not enabled invoices with attachments."),
            N_("Enable attachments in KSeF or send the invoice without one."),
        ),
        _t(
            430,
            N_("file verification error"),
            N_("The invoice file is not valid against the FA schema."),
            N_("Correct the file as the reason says and send it again."),
        ),
        _t(
            435,
            N_("decryption error"),
            N_("KSeF could not decrypt the invoice file."),
            N_("Send the invoice again."),
        ),
        _t(
            440,
            N_("duplicate"),
            N_("An invoice with the same seller, type and number is already in KSeF."),
            N_(
                "Nothing to send: the original is in KSeF (see its KSeF number). "
                "Use a new number if it is a different invoice."
            ),
        ),
        _t(
            450,
            N_("semantic error"),
            N_("The invoice content breaks a KSeF rule (dates, amounts, identifiers)."),
            N_("Correct the invoice as the reason says and send it again."),
        ),
        _t(
            500,
            N_("unknown error"),
            N_("KSeF reported an unknown error for this invoice."),
            N_("Try again later; if it repeats, report the reference to KSeF support."),
        ),
        _t(
            550,
            N_("cancelled by the system"),
            N_("KSeF cancelled the processing of this invoice."),
            N_("Send the invoice again."),
        ),
    ]
)

IN_PROGRESS_CODES = frozenset({100, 150, 170})
OK = 200


def _unknown(code: int | None) -> StatusText:
    return StatusText(
        code or 0,
        N_("unknown status"),
        N_("KSeF reported a status this version of ksef-tui does not know."),
        N_("Read KSeF's own description below; update ksef-tui if it keeps appearing."),
    )


def session_text(kind: SessionKind | str, code: int | None) -> StatusText:
    table = BATCH_SESSION if str(kind) == SessionKind.BATCH else ONLINE_SESSION
    found = table.get(code) if code is not None else None
    return (found or _unknown(code)).translated()


def invoice_text(code: int | None) -> StatusText:
    found = INVOICE.get(code) if code is not None else None
    return (found or _unknown(code)).translated()


def status_group(code: int) -> StatusGroup:
    if code in IN_PROGRESS_CODES:
        return StatusGroup.IN_PROGRESS
    if code == OK:
        return StatusGroup.SUCCEEDED
    if code == 440:
        return StatusGroup.CANCELLED
    return StatusGroup.FAILED


def is_closed(code: int) -> bool:
    """Closed for good: KSeF will not change the session any more (every code but 100/150/170)."""
    return code not in IN_PROGRESS_CODES


def has_upo(code: int, accepted: int | None) -> bool:
    """Only a processed session that accepted at least one invoice gets a session UPO."""
    return code == OK and (accepted is None or accepted > 0)


def invoice_rejected(code: int) -> bool:
    return code >= 400


def is_duplicate(code: int) -> bool:
    return code == 440
