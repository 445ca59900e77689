"""Validation of the add/edit client form: pure, so it is tested without a screen."""

from __future__ import annotations

from dataclasses import dataclass, field

from ksef_tui.core.i18n import _
from ksef_tui.core.models import SHORT_CODE_RE, Client, Environment
from ksef_tui.core.nip import InvalidNip, normalize_nip


@dataclass
class ClientDraft:
    name: str
    nips: str  # as typed: one or more NIPs separated by commas or semicolons
    short_code: str
    environment: str = Environment.PROD.value
    notes: str = ""


@dataclass
class FormErrors:
    fields: dict[str, str] = field(default_factory=dict)


def validate_nips(raw: str) -> tuple[list[str], str]:
    """The NIPs typed, normalised, and the first error in words ("" when all are fine)."""
    parts = [p.strip() for p in raw.replace(";", ",").split(",") if p.strip()]
    if not parts:
        return [], _("Enter the client's NIP.")
    nips: list[str] = []
    for part in parts:
        try:
            nip = normalize_nip(part)
        except InvalidNip as err:
            prefix = f"{part}: " if len(parts) > 1 else ""
            return nips, prefix + str(err)
        if nip in nips:
            return nips, _("NIP {nip} is entered twice.").format(nip=nip)
        nips.append(nip)
    return nips, ""


def validate_client(draft: ClientDraft) -> Client | FormErrors:
    errors = FormErrors()
    name = " ".join(draft.name.split())
    if not name:
        errors.fields["name"] = _("Enter the client's name.")
    elif len(name) > 200:
        errors.fields["name"] = _("The name is too long (200 characters at most).")
    nips, nip_error = validate_nips(draft.nips)
    if nip_error:
        errors.fields["nips"] = nip_error
    code = draft.short_code.strip().upper()
    if not code:
        errors.fields["code"] = _("Enter a short code (suggested from the name and NIP).")
    elif not SHORT_CODE_RE.match(code):
        errors.fields["code"] = _("Short code: 2–16 capital letters, digits or _.")
    try:
        env = Environment(draft.environment)
    except ValueError:
        env = Environment.PROD
    if errors.fields:
        return errors
    return Client(name=name, short_code=code, nips=nips, environment=env, notes=draft.notes.strip())


def still_damaged(original: Client, edited: Client) -> frozenset[str]:
    """The fields of `original` the store found damaged that the form left as they were (still the
    placeholder): saving them would seal a placeholder as the genuine value, so the store refuses it.
    A field typed again repairs it. The environment is a visible choice in the form, so saving one is
    taken as the user's choice."""
    unchanged = {
        "name": edited.name == original.name,
        "short_code": edited.short_code == original.short_code,
        "notes": edited.notes == original.notes,
        "nips": edited.nips == original.nips,
    }
    return frozenset(f for f in original.damaged if unchanged.get(f, False))
