"""One command registry: it feeds key bindings, the footer, the command palette and the help screen.

Every key of the app is a `Command` here, screens' and widgets' alike. A class takes its keys from the
registry when it is defined (`BINDINGS = bindings_for(SCOPE)`), so Textual's own binding machinery (and its
public keymap API: each binding has a stable `id`, see `Command.id`) does the rest; nothing writes
Textual's private binding maps.

Labels are English msgids. Bindings are made at import time, before `--lang` is known, so they carry the
msgid; `RegistryKeys.active_bindings` (what the footer and Textual's key panel read) translates them at
render time, and the palette and the help screen translate as they are built.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from textual.binding import ActiveBinding, Binding, BindingType
from textual.screen import Screen

from ksef_tui.core.i18n import N_, _, current_language


@dataclass(frozen=True)
class Command:
    scope: str  # "global", a screen's scope ("clients", "form", ...) or a widget's ("line_table", ...)
    keys: str  # Textual key spec, comma-separated alternatives
    action: str  # Textual action (on the screen or widget, or "app." prefixed)
    label: str  # msgid: short, for the footer
    help: str  # msgid: one sentence for the help screen and the palette
    footer: bool = True
    key_display: str | None = None
    title: str | None = None  # msgid: the palette's title when the help sentence does not fit one key
    name: str = ""  # the last part of `id`; derived from the action when empty
    # Goes back to the screen under this one: the help and the palette name that screen (`back_help`),
    # since a screen opened from several places (the board, a client, the queue) returns to each.
    back: bool = False
    id: str = field(init=False)  # "scope.name": the binding id a keymap (App.set_keymap) refers to

    def __post_init__(self) -> None:
        name = self.name or re.sub(r"[^a-z0-9]+", "_", self.action.removeprefix("app.").lower()).strip("_")
        object.__setattr__(self, "id", f"{self.scope}.{name}")


REGISTRY: tuple[Command, ...] = (
    Command(
        "global",
        "question_mark,f1",
        "app.help",
        N_("Help"),
        N_("Show the keys of this screen"),
        key_display="?",
    ),
    Command(
        "global", "ctrl+l", "app.lock", N_("Lock"), N_("Lock the store now (keys leave memory)"), footer=False
    ),
    Command("global", "ctrl+q", "app.quit", N_("Quit"), N_("Quit ksef-tui"), footer=False),
    Command(
        "global",
        "f9",
        "app.message_history",
        N_("Messages"),
        N_("Every message of this session in full, to read again or copy"),
        footer=False,
        key_display="F9",
    ),
    # F4 works everywhere; ctrl+k too, except in a text field (where it deletes to the end of the line).
    Command(
        "global",
        "f4,ctrl+k",
        "app.open_queue",
        N_("Queue"),
        N_("Open the approval queue of every client"),
        footer=False,
        key_display="F4",
    ),
    Command(
        "clients",
        "slash",
        "filter",
        N_("Filter"),
        N_(
            "Filter clients: name, NIP (PL and dashes too), short code; red, yellow, green; token, "
            'certificate, "only token", "without certificate" (diacritics optional)'
        ),
        key_display="/",
    ),
    Command("clients", "a", "add_client", N_("Add"), N_("Add a client")),
    Command("clients", "e", "edit_client", N_("Edit"), N_("Edit the selected client")),
    Command("clients", "t", "import_token", N_("Token"), N_("Import a KSeF token for the selected client")),
    Command(
        "clients",
        "k",
        "import_certificate",
        N_("Certificate"),
        N_("Import the client's KSeF certificate (or the office certificate used in its context)"),
        footer=False,
    ),
    Command(
        "clients",
        "i",
        "import_clients",
        N_("Import"),
        N_("Import clients and tokens from a spreadsheet"),
        footer=False,
    ),
    Command("clients", "c", "check_selected", N_("Check"), N_("Check the selected client live in KSeF")),
    Command("clients", "C", "check_all", N_("Check all"), N_("Check every client live in KSeF")),
    Command(
        "clients",
        "x",
        "cancel_checks",
        N_("Stop"),
        N_("Cancel the running live checks or purchase invoice download"),
        footer=False,
    ),
    Command(
        "clients",
        "d,delete",
        "remove_client",
        N_("Offboard"),
        N_("Offboard the selected client: revoke its tokens, delete its files, shred its data (asks first)"),
        footer=False,
    ),
    Command(
        "clients", "l", "api_log", N_("API log"), N_("Recent KSeF calls of the selected client"), footer=False
    ),
    Command(
        "clients",
        "o",
        "office",
        N_("Office"),
        N_("Office profile: NIP, name, folders, colour thresholds, idle lock"),
        footer=False,
    ),
    Command(
        "clients",
        "u",
        "operators",
        N_("Operators"),
        N_("Operators: who may unlock the store, their roles and clients (administrators)"),
        footer=False,
    ),
    Command("clients", "escape", "clear_filter", N_("Clear"), N_("Clear the filter"), footer=False),
    Command("clients", "q", "app.quit", N_("Quit"), N_("Quit ksef-tui")),
    Command("api_log", "r", "refresh", N_("Refresh"), N_("Show the newest calls")),
    Command("api_log", "escape", "back", N_("Back"), N_("Back to the clients"), back=True),
    Command("form", "f2", "save", N_("Save"), N_("Save the form")),
    Command("form", "escape", "cancel", N_("Cancel"), N_("Close without saving")),
    Command("help", "escape,q,question_mark,f1", "dismiss_help", N_("Close"), N_("Close the help")),
    Command(
        "invoice",
        "1",
        "show_tab('summary')",
        N_("Tabs"),
        N_("Show a tab: 1 Summary, 2 Lines, 3 VAT, 4 Payment, 5 Parties, 6 Checks, 7 XML"),
        key_display="1-7",
        title=N_("Show the invoice summary"),
    ),
    Command("invoice", "2", "show_tab('lines')", N_("Lines"), N_("Show the invoice lines"), footer=False),
    Command(
        "invoice", "3", "show_tab('vat')", N_("VAT"), N_("Show VAT by rate and the totals"), footer=False
    ),
    Command("invoice", "4", "show_tab('payment')", N_("Payment"), N_("Show the payment terms"), footer=False),
    Command(
        "invoice",
        "5",
        "show_tab('parties')",
        N_("Parties"),
        N_("Show the seller, buyer and others"),
        footer=False,
    ),
    Command("invoice", "6", "show_tab('checks')", N_("Checks"), N_("Show the problems found"), footer=False),
    Command("invoice", "7", "show_tab('xml')", N_("XML"), N_("Show the raw XML"), footer=False),
    Command("invoice", "slash", "search", N_("Search"), N_("Search the XML"), key_display="/"),
    Command("invoice", "n", "next_match", N_("Next"), N_("Go to the next match in the XML")),
    Command(
        "invoice",
        "N",
        "previous_match",
        N_("Previous"),
        N_("Go to the previous match in the XML"),
        footer=False,
    ),
    Command("invoice", "escape,q", "close", N_("Back"), N_("Close the search, or close the invoice")),
    Command("clients", "s", "sessions", N_("Sessions"), N_("Show the selected client's KSeF sessions")),
    Command(
        "clients",
        "S",
        "all_sessions",
        N_("All sessions"),
        N_("Show every client's KSeF sessions"),
        footer=False,
    ),
    Command("sessions", "enter", "open_session", N_("Open"), N_("Open the session's invoices"), footer=False),
    Command(
        "sessions",
        "f",
        "cycle_status",
        N_("Status"),
        N_("Filter by status (all, in progress, processed, failed, cancelled)"),
    ),
    Command("sessions", "t", "cycle_type", N_("Type"), N_("Filter by type (all, online, batch)")),
    Command("sessions", "d", "cycle_period", N_("Period"), N_("Change the period (7, 30, 90 days, all)")),
    Command("sessions", "D", "custom_period", N_("Dates"), N_("Type a date range"), footer=False),
    Command(
        "sessions",
        "o",
        "toggle_rejected",
        N_("Rejected"),
        N_("Show only sessions with rejected invoices or that failed"),
    ),
    Command(
        "sessions",
        "r",
        "refresh",
        N_("Refresh"),
        N_("Refresh the sessions from KSeF (within the rate limits)"),
    ),
    Command("sessions", "c", "copy_reference", N_("Copy"), N_("Copy the session reference to the clipboard")),
    Command(
        "sessions", "u", "download_upo", N_("UPO"), N_("Download the selected session's UPO"), footer=False
    ),
    Command(
        "sessions",
        "U",
        "download_all_upo",
        N_("All UPO"),
        N_("Download every missing UPO of the sessions in the period"),
    ),
    Command("sessions", "x", "cancel", N_("Stop"), N_("Stop the UPO download"), footer=False),
    Command(
        "sessions",
        "p",
        "upo_folder",
        N_("UPO folder"),
        N_("Choose the folder UPO copies are saved to"),
        footer=False,
    ),
    Command("sessions", "escape,q", "back", N_("Back"), N_("Back to the clients"), back=True),
    Command(
        "session", "enter", "open_invoice", N_("Open"), N_("Open the invoice in the inspector"), footer=False
    ),
    Command("session", "g", "jump_original", N_("Original"), N_("Jump to the original of a duplicate (440)")),
    Command("session", "u", "session_upo", N_("UPO"), N_("Download the session's UPO (every page)")),
    Command("session", "i", "invoice_upo", N_("Invoice UPO"), N_("Download the selected invoice's own UPO")),
    Command("session", "v", "view_upo", N_("View UPO"), N_("Show the saved UPO")),
    Command(
        "session",
        "r",
        "refresh",
        N_("Refresh"),
        N_("Fetch the session's invoices from KSeF again"),
        footer=False,
    ),
    Command(
        "session",
        "c",
        "copy_reference",
        N_("Copy"),
        N_("Copy the KSeF number (or reference) to the clipboard"),
        footer=False,
    ),
    Command("session", "x", "cancel", N_("Stop"), N_("Stop waiting for the UPO"), footer=False),
    Command("session", "escape,q", "back", N_("Back"), N_("Back to the sessions"), back=True),
    Command("upo", "c", "copy_reference", N_("Copy"), N_("Copy the KSeF number to the clipboard")),
    Command("upo", "escape,q", "back", N_("Back"), N_("Close the UPO")),
    Command("clients", "enter", "open_client", N_("Open"), N_("Open the selected client"), footer=False),
    Command(
        "clients",
        "p",
        "sync_purchases",
        N_("Fetch"),
        N_("Fetch the selected client's purchase invoices from KSeF now"),
    ),
    Command(
        "clients",
        "P",
        "sync_all_purchases",
        N_("Fetch all"),
        N_("Fetch every client's purchase invoices from KSeF now"),
        footer=False,
    ),
    # Not in the footer: with it the board's footer would cut "? Help" at 120 columns.
    Command(
        "clients",
        "f",
        "purchases",
        N_("Purchases"),
        N_("Show the selected client's purchase invoices"),
        footer=False,
    ),
    Command("client", "c", "check", N_("Check"), N_("Check this client live in KSeF")),
    Command("client", "e", "edit", N_("Edit"), N_("Edit this client")),
    Command("client", "t", "import_token", N_("Token"), N_("Import a KSeF token for this client")),
    Command("client", "s", "sessions", N_("Sessions"), N_("Show this client's KSeF sessions")),
    Command("client", "l", "api_log", N_("API log"), N_("Recent KSeF calls of this client")),
    Command(
        "client",
        "k",
        "import_certificate",
        N_("Certificate"),
        N_("Import the client's KSeF certificate (or the office certificate used in its context)"),
        footer=False,
    ),
    *(
        Command(
            "client",
            str(n),
            f"select_credential({n})",
            N_("Credential"),
            N_("Select a credential by its number on the screen"),
            footer=False,
            name=f"credential_{n}",
        )
        for n in range(1, 10)
    ),
    Command(
        "client",
        "d,delete",
        "remove_credential",
        N_("Remove"),
        N_("Remove the selected credential (asks to type its code)"),
        footer=False,
    ),
    Command("client", "escape,q", "back", N_("Back"), N_("Back to the clients"), back=True),
    # After Back: at 80 columns the footer keeps Esc, and cuts these (help and the palette list them).
    Command("client", "p", "sync_purchases", N_("Fetch"), N_("Fetch this client's purchase invoices now")),
    Command("client", "f", "purchases", N_("Purchases"), N_("Show this client's purchase invoices")),
    Command("client", "x", "cancel_sync", N_("Stop"), N_("Stop the purchase invoice download"), footer=False),
    Command(
        "purchases",
        "slash",
        "filter",
        N_("Filter"),
        N_("Filter by seller, NIP, invoice or KSeF number, amount"),
        key_display="/",
    ),
    Command(
        "purchases",
        "enter",
        "open_invoice",
        N_("Open"),
        N_("Open the invoice in the inspector"),
        footer=False,
    ),
    Command(
        "purchases",
        "n",
        "preview_new",
        N_("What's new"),
        N_("Ask KSeF what has arrived since the last download (shown as provisional)"),
    ),
    Command("purchases", "p", "sync_purchases", N_("Fetch"), N_("Fetch this client's purchase invoices now")),
    Command("purchases", "x", "cancel", N_("Stop"), N_("Stop the purchase invoice download"), footer=False),
    Command("purchases", "escape,q", "back", N_("Back"), N_("Close the filter, or go back")),
    # Issue 11: readiness for 1 January 2027, the grant census and the office certificate.
    Command(
        "clients",
        "r",
        "readiness",
        N_("Readiness"),
        N_("Readiness for 1 January 2027: progress, grant census, probes, grant requests"),
        footer=False,
    ),
    Command(
        "clients",
        "2",
        "toggle_not_ready",
        N_("Not ready"),
        N_("Show only the clients not ready for 2027 (again: show every client)"),
        footer=False,
        title=N_("Filter: not ready for 2027"),
    ),
    Command(
        "clients",
        "O",
        "office_certificate",
        N_("Office certificate"),
        N_("The office's KSeF certificate: expiry, import or renewal, enrolment, revocation"),
        footer=False,
    ),
    Command("readiness", "c", "census", N_("Census"), N_("Take the grant census in KSeF now")),
    Command(
        "readiness",
        "p",
        "probe_selected",
        N_("Probe"),
        N_("Log in with the office certificate in the selected client's context"),
    ),
    Command(
        "readiness",
        "P",
        "probe_all",
        N_("Probe all"),
        N_("Log in with the office certificate in every client's context"),
        footer=False,
    ),
    Command("readiness", "x", "cancel", N_("Stop"), N_("Stop the census or the probes"), footer=False),
    Command(
        "readiness",
        "g",
        "grant_request",
        N_("Ask for grant"),
        N_("Show the grant request for the selected client"),
    ),
    Command(
        "readiness",
        "m",
        "mark_requested",
        N_("Asked"),
        N_("Record that the selected client was asked for the grant today"),
        footer=False,
    ),
    Command(
        "readiness",
        "a",
        "add_granting",
        N_("Add"),
        N_("Add a client that granted the office but is not a client yet"),
        footer=False,
    ),
    Command(
        "readiness",
        "k",
        "office_certificate",
        N_("Office certificate"),
        N_("The office's KSeF certificate: expiry, import or renewal, enrolment, revocation"),
        footer=False,
    ),
    Command("readiness", "escape,q", "back", N_("Back"), N_("Back to the clients"), back=True),
    Command("grant_request", "c", "copy", N_("Copy"), N_("Copy the request to the clipboard")),
    Command(
        "grant_request", "s", "save_file", N_("Save"), N_("Save the request as a file in the export folder")
    ),
    Command("grant_request", "escape,q", "back", N_("Back"), N_("Close the request")),
    Command("message_history", "c", "copy", N_("Copy"), N_("Copy the highlighted message to the clipboard")),
    Command("message_history", "escape,q,f9", "back", N_("Back"), N_("Close the messages")),
    Command("offboard", "c", "copy", N_("Copy"), N_("Copy the text for the client to the clipboard")),
    Command(
        "offboard",
        "s",
        "save_file",
        N_("Save"),
        N_("Save the text for the client as a file in the export folder"),
    ),
    Command("offboard", "escape", "cancel", N_("Close"), N_("Close (before confirming, nothing is done)")),
    Command("grant_holders", "r", "refresh", N_("Refresh"), N_("Ask KSeF again")),
    Command("grant_holders", "escape,q", "back", N_("Back"), N_("Close the list")),
    Command(
        "office_certificate",
        "i",
        "import_certificate",
        N_("Import"),
        N_("Import the office certificate from a file, or replace it (renewal)"),
    ),
    Command(
        "office_certificate",
        "e",
        "enrol",
        N_("Enrol"),
        N_("Enrol a new office certificate in KSeF with the office's qualified seal or signature"),
    ),
    Command(
        "office_certificate",
        "l",
        "list_certificates",
        N_("List"),
        N_("List the office's certificates in KSeF"),
    ),
    Command(
        "office_certificate",
        "v",
        "revoke",
        N_("Revoke"),
        N_("Revoke the selected certificate in KSeF (asks to type its serial)"),
    ),
    Command("office_certificate", "x", "cancel", N_("Stop"), N_("Stop the running work"), footer=False),
    Command("office_certificate", "escape,q", "back", N_("Back"), N_("Back")),
    Command("certificate_nip", "enter,t", "confirm", N_("Save"), N_("Save it as the office certificate")),
    Command("certificate_nip", "escape", "back", N_("Back"), N_("Back to the certificate dialog")),
    # The approval queue (issue 13): the board's and the client screen's way in, then the queue's keys.
    Command(
        "clients",
        "z",
        "queue",
        N_("Queue"),
        N_("Open the approval queue of every client"),
        footer=False,
    ),
    Command("client", "z", "queue", N_("Queue"), N_("Open this client's approval queue"), footer=False),
    Command(
        "client",
        "g",
        "grant_holders",
        N_("Grants"),
        N_("Who holds permissions in this client's context, as KSeF says now"),
        footer=False,
    ),
    Command("client", "r", "rules", N_("Rules"), N_("Show this client's booking rules"), footer=False),
    Command(
        "client",
        "w",
        "recreate_batch",
        N_("Write again"),
        N_("Write the selected export batch's files again, byte for byte (asks the folder)"),
        footer=False,
    ),
    Command(
        "client",
        "u",
        "undo_batch",
        N_("Undo export"),
        N_("Undo the selected export batch: its bookings back to approved (asks first)"),
        footer=False,
    ),
    # Space is not in the footer (the line over the table says it): at 80 columns "? Help" stays.
    Command(
        "queue", "space", "toggle_mark", N_("Mark"), N_("Mark or unmark the selected invoice"), footer=False
    ),
    Command(
        "queue",
        "asterisk",
        "mark_confident",
        N_("Mark sure"),
        N_("Mark every invoice shown with confidence at or above a threshold (asks it, 90 %)"),
        key_display="*",
    ),
    Command("queue", "a", "approve_marked", N_("Approve"), N_("Approve the marked invoices (asks once)")),
    Command("queue", "e", "edit", N_("Edit"), N_("Edit the selected booking in the form")),
    Command(
        "queue",
        "x",
        "exclude",
        N_("Exclude"),
        N_("Exclude the selected (or marked) invoices: not a cost"),
        footer=False,
    ),
    Command("queue", "u", "undo", N_("Undo"), N_("Undo the last step (several levels)")),
    Command("queue", "U", "redo", N_("Redo"), N_("Redo the step just undone"), footer=False),
    Command(
        "queue",
        "r",
        "reject",
        N_("Reject"),
        N_("Send the selected (or marked) invoices back to review"),
        footer=False,
    ),
    Command(
        "queue", "n", "next_review", N_("Next"), N_("Go to the next invoice needing review"), footer=False
    ),
    Command(
        "queue",
        "N",
        "previous_review",
        N_("Previous"),
        N_("Go to the previous invoice needing review"),
        footer=False,
    ),
    Command(
        "queue",
        "enter,i",
        "open_invoice",
        N_("Invoice"),
        N_("Open the invoice in the inspector"),
        footer=False,
    ),
    Command(
        "queue",
        "slash",
        "filter",
        N_("Filter"),
        N_("Filter by seller, NIP, invoice or KSeF number, amount"),
        key_display="/",
        footer=False,
    ),
    Command(
        "queue",
        "s",
        "cycle_status",
        N_("Status"),
        N_("Filter by status (open, to review, proposed, approved, excluded)"),
        footer=False,
    ),
    Command(
        "queue",
        "p",
        "cycle_strength",
        N_("Strength"),
        N_("Filter by the proposal's strength (any, seller and items, seller, pattern, none)"),
        footer=False,
    ),
    Command(
        "queue",
        "o",
        "cycle_period",
        N_("Period"),
        N_("Filter by VAT period (any, this month, last month)"),
        footer=False,
    ),
    Command(
        "queue",
        "c",
        "toggle_client",
        N_("Client"),
        N_("Only the selected invoice's client, or every client again"),
        footer=False,
    ),
    Command(
        "queue", "minus", "clear_marks", N_("Unmark"), N_("Unmark everything"), footer=False, key_display="-"
    ),
    Command(
        "queue",
        "R",
        "rules",
        N_("Rules"),
        N_("The booking rules of the selected invoice's client"),
        footer=False,
    ),
    Command(
        "queue",
        "E",
        "export",
        N_("Export"),
        N_("Export the approved bookings of the client and period to the accounting program (preview first)"),
        footer=False,
    ),
    Command("queue", "escape,q", "back", N_("Back"), N_("Close the filter, or go back")),
    # The export dialog (issue 14): F2 (or Enter in a text field) writes after the preview.
    Command("export", "f2", "write", N_("Write"), N_("Write the files shown in the preview")),
    Command("export", "escape", "cancel", N_("Cancel"), N_("Close without writing")),
    Command("rules", "e,enter", "edit_rule", N_("Edit"), N_("Edit the selected rule")),
    Command("rules", "d,delete", "delete_rule", N_("Delete"), N_("Delete the selected rule (asks first)")),
    Command(
        "rules",
        "o",
        "office_rules",
        N_("Office rules"),
        N_("Office rules on offer: a seller booked the same way by three clients or more"),
    ),
    Command("rules", "escape,q", "back", N_("Back"), N_("Back to where the rules were opened"), back=True),
    Command("offers", "escape,q", "cancel", N_("Close"), N_("Close without creating a rule")),
    Command("operators", "a", "add", N_("Add"), N_("Add an operator (accountant or read-only)")),
    Command("operators", "c,enter", "clients", N_("Clients"), N_("Choose the selected operator's clients")),
    Command("operators", "r", "reset", N_("Reset"), N_("Reset the selected operator's forgotten passphrase")),
    Command("operators", "d,delete", "remove", N_("Remove"), N_("Remove the selected operator (asks first)")),
    Command(
        "operators",
        "k",
        "recovery_key",
        N_("Recovery key"),
        N_("Make the store's recovery key (once; shown once, never stored)"),
        footer=False,
    ),
    Command("operators", "escape,q", "back", N_("Back"), N_("Back to the clients"), back=True),
    Command("checklist", "space", "toggle", N_("Mark"), N_("Assign or unassign the highlighted client")),
    Command("checklist", "f2", "save", N_("Save"), N_("Save the operator's clients")),
    Command("checklist", "escape", "cancel", N_("Cancel"), N_("Close without saving")),
    Command("confirm", "enter,y,t", "confirm", N_("Yes"), N_("Confirm")),
    Command("confirm", "escape,n", "cancel", N_("No"), N_("Cancel without changing anything")),
    # The office audit log (issue 15 item 2): the board's way in, then the screen's keys.
    Command(
        "clients",
        "A",
        "audit",
        N_("Audit log"),
        N_("The office audit log: every client's entries and the office's, filtered, verified"),
        footer=False,
    ),
    Command(
        "audit",
        "slash",
        "filter",
        N_("Filter"),
        N_("Type a filter: client, operator, action, period"),
        key_display="/",
    ),
    Command("audit", "v", "verify", N_("Verify"), N_("Verify the audit log's hash chain")),
    Command("audit", "r", "refresh", N_("Refresh"), N_("Read the log again")),
    Command("audit", "escape,q", "back", N_("Back"), N_("Leave the filter, or go back")),
    # Widgets' own keys: they work while the widget has the focus (the help screen lists them).
    *(
        command
        for scope, up, down in (("line_table", "up,k", "down,j"), ("client_table", "up", "down"))
        for command in (
            Command(scope, up, "cursor(-1)", N_("Up"), N_("Move to the row above"), False, name="row_up"),
            Command(
                scope, down, "cursor(1)", N_("Down"), N_("Move to the row below"), False, name="row_down"
            ),
            Command(scope, "pageup", "page(-1)", N_("Page up"), N_("Move up a page"), False, name="page_up"),
            Command(
                scope, "pagedown", "page(1)", N_("Page down"), N_("Move down a page"), False, name="page_down"
            ),
            Command(scope, "home", "edge(0)", N_("First"), N_("Go to the first row"), False, name="first"),
            Command(scope, "end", "edge(1)", N_("Last"), N_("Go to the last row"), False, name="last"),
        )
    ),
)


# Where a `back` command returns, by the scope of the screen under the current one.
BACK_TO = {
    "clients": N_("Back to the clients"),
    "client": N_("Back to the client's screen"),
    "queue": N_("Back to the approval queue"),
    "purchases": N_("Back to the purchase invoices"),
    "sessions": N_("Back to the sessions"),
    "session": N_("Back to the session"),
    "readiness": N_("Back to the readiness for 2027"),
    "invoice": N_("Back to the invoice"),
    "audit": N_("Back to the audit log"),
    "operators": N_("Back to the operators"),
}


def back_help(command: Command, below: object | None) -> str:
    """The help sentence of `command` (translated); for a `back` command, where it returns: the screen
    `below` the one it is on (None: not known, e.g. the screen is not open yet)."""
    if not command.back or below is None:
        return _(command.help)
    scope = getattr(below, "SCOPE", "")
    return _(BACK_TO[scope]) if scope in BACK_TO else _("Back to the previous screen")


def commands_for(scope: str, include_global: bool = True) -> list[Command]:
    return [c for c in REGISTRY if c.scope == scope or (include_global and c.scope == "global")]


def bindings_for(scope: str) -> list[BindingType]:
    """The registry's keys of `scope` as Textual bindings, for a class's `BINDINGS`.

    Descriptions are msgids (classes are defined before `--lang` is known); `RegistryKeys` translates
    them for the footer. Each binding has the command's `id`, so `App.set_keymap` can move it.
    """
    return [
        Binding(c.keys, c.action, c.label, show=c.footer, key_display=c.key_display, id=c.id)
        for c in commands_for(scope, include_global=False)
    ]


@functools.lru_cache(maxsize=1024)
def _translated_binding(binding: Binding, language: str) -> Binding:
    # Cached: the footer reads every active binding on each change of focus or screen (800 copies of a
    # dataclass per screen shown were a tenth of the queue's first paint); `language` is part of the key.
    return dataclasses.replace(binding, description=_(binding.description))


def _translated(active: ActiveBinding) -> ActiveBinding:
    binding = active.binding
    if not binding.description:
        return active
    return active._replace(binding=_translated_binding(binding, current_language()))


# The mixin is typed as a Screen for mypy, and is a plain class at run time: Textual's CSS follows a
# screen's first DOMNode base only, so a Screen subclass here would hide ModalScreen's styles.
if TYPE_CHECKING:
    _ScreenBase = Screen[Any]
else:
    _ScreenBase = object


class RegistryKeys(_ScreenBase):
    """Mixin for every screen with registry keys (`class X(RegistryKeys, Screen[None])`): the footer and
    Textual's key panel read `active_bindings`, which this translates into the current language."""

    SCOPE: ClassVar[str]  # the registry scope of this screen's keys
    # A view (a list, an invoice, a log) stays under the unlock screen through a lock and is there again,
    # as it was, after the unlock; anything else (forms, dialogs: typed input, pasted secrets) is closed.
    KEEP_ON_LOCK: ClassVar[bool] = False

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        return {key: _translated(active) for key, active in super().active_bindings.items()}


_KEY_NAMES = {
    "escape": "Esc",
    "delete": "Del",
    "enter": "Enter",
    "slash": "/",
    "question_mark": "?",
    "left": "←",
    "right": "→",
    "up": "↑",
    "down": "↓",
    "tab": "Tab",
    "space": "Space",
    "asterisk": "*",
    "minus": "-",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "home": "Home",
    "end": "End",
}


def _key_name(key: str) -> str:
    if key in _KEY_NAMES:
        return _KEY_NAMES[key]
    if key.startswith("f") and key[1:].isdigit():
        return key.upper()
    return key


def key_label(command: Command) -> str:
    """How the help screen writes the keys: "? / F1", "d / Del", "Esc"."""
    return " / ".join(dict.fromkeys(_key_name(k) for k in command.keys.split(",")))
