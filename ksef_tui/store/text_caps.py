"""Caps on free text the store accepts (issue 17 item 9): a 10 MB client name must not get in and then
be printed by every `status` run. The caps match the client form (`core.client_form`), so whatever the
store holds can also be edited there; docs/SECURITY.md ("Input the store refuses") lists them.

Lengths are counted in code points, after the same normalisation the store applies (short codes are
stripped and upper-cased). Values read back are not cut: a store written before these caps still opens.
"""

from __future__ import annotations

from ksef_tui.core.i18n import _
from ksef_tui.store.errors import StoreError

MAX_CLIENT_NAME = 200  # the form's limit; FA(3) allows 512 for a party name, nobody types that much
MAX_SHORT_CODE = 16  # core.models.SHORT_CODE_RE: 2-16 characters
MAX_NOTES = 2_000
MAX_CREDENTIAL_LABEL = 200


def check_client_text(name: str, short_code: str, notes: str) -> None:
    if len(name) > MAX_CLIENT_NAME:
        message = _("The client's name is too long (at most {n} characters).")
        raise StoreError(message.format(n=MAX_CLIENT_NAME))
    if len(short_code) > MAX_SHORT_CODE:
        raise StoreError(_("The short code is too long (at most {n} characters).").format(n=MAX_SHORT_CODE))
    if len(notes) > MAX_NOTES:
        raise StoreError(_("The notes are too long (at most {n} characters).").format(n=MAX_NOTES))


def check_credential_label(label: str) -> None:
    if len(label) > MAX_CREDENTIAL_LABEL:
        raise StoreError(
            _("The credential's label is too long (at most {n} characters).").format(n=MAX_CREDENTIAL_LABEL)
        )
