"""Headless `ksef-tui rules`: the booking rules (each client's and the office's) or, with `--candidates`,
the office rules on offer (a seller whose invoices at least three clients' rules book the same way),
issue 13 item 2. Read-only: a rule is promoted on the rules screen (`o`), after a question.

Exit codes (the contract in `common.py`): 0; 2 when the store holds damaged values (listed on stderr);
3 when it cannot run (no store, wrong passphrase, an unknown client).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

import click

from ksef_tui.cli.common import EXIT_DAMAGED, opened_store, report_damage, resolve_clients
from ksef_tui.cli.queue import _plain
from ksef_tui.core.bookings import Rule, RuleTemplate
from ksef_tui.core.display_text import json_dumps, safe_display
from ksef_tui.core.i18n import _
from ksef_tui.core.nip import format_nip
from ksef_tui.sync import bookings as queue_uc


def template_json(template: RuleTemplate) -> dict[str, Any]:
    return {f.name: _plain(getattr(template, f.name)) for f in fields(template)}


def rule_json(rule: Rule, codes: Mapping[int, str]) -> dict[str, Any]:
    return {
        "id": rule.id,
        "scope": "office" if rule.client_id is None else "client",
        "client": codes.get(rule.client_id, "") if rule.client_id is not None else None,
        "seller_nip": rule.seller_nip,
        "item_text": rule.item_text,
        "item_code": rule.item_code,
        "doc_kind": rule.doc_kind,
        "amount_min": _plain(rule.amount_min),
        "amount_max": _plain(rule.amount_max),
        "template": template_json(rule.template),
        "confirmations": rule.confirmations,
        "overrides": rule.overrides,
    }


def candidate_json(candidate: Any, codes: Mapping[int, str]) -> dict[str, Any]:
    rule: Rule = candidate.rule
    out = rule_json(rule, codes)
    for row_only in ("id", "client", "confirmations", "overrides"):
        out.pop(row_only)
    out["clients"] = [codes.get(c, str(c)) for c in candidate.clients]
    out["disagreeing"] = candidate.disagreeing
    return out


def _table(rows: Sequence[tuple[str, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [header, *rows]
    )


@click.command("rules")
@click.option("--demo", "use_demo", is_flag=True, help="Use a fresh demo store (an office mid-month).")
@click.option(
    "--client", "wanted", multiple=True, help="Only this client's rules (NIP or short code); may be repeated."
)
@click.option(
    "--candidates",
    is_flag=True,
    help="List the office rules on offer instead: sellers booked the same way by three clients or more.",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def rules_command(
    use_demo: bool, wanted: tuple[str, ...], candidates: bool, fmt: str, passphrase_file: Path | None
) -> None:
    """The booking rules (each client's, then the office's), or with --candidates the office rules on
    offer. Read-only.

    Exit 0; 2 when the store holds damaged values (listed on stderr); 3 when it cannot run (no store,
    wrong passphrase, an unknown client)."""
    with opened_store(use_demo, passphrase_file, demo_purchases=True) as (store, _factory):
        ids = resolve_clients(store, wanted) if wanted else None
        codes = {c.id: c.short_code for c in store.clients.list()}
        offers: list[Any] = []
        rules: list[Rule] = []
        if candidates:
            offers = queue_uc.office_rule_candidates(store)
            if ids is not None:
                offers = [o for o in offers if set(o.clients) & set(ids)]
        elif ids is None:
            rules = queue_uc.list_rules(store, None)
        else:
            found = [r for cid in ids for r in queue_uc.list_rules(store, cid) if r.client_id == cid]
            rules = found + [r for r in queue_uc.list_rules(store, ids[0]) if r.client_id is None]
        damaged = report_damage(store)
    if fmt == "json":
        data = (
            [candidate_json(o, codes) for o in offers] if candidates else [rule_json(r, codes) for r in rules]
        )
        click.echo(json_dumps(data, indent=2))
    elif candidates:
        rows = [
            (
                format_nip(o.rule.seller_nip),
                safe_display(", ".join(codes.get(c, str(c)) for c in o.clients)),
                str(o.disagreeing),
                _template_words(o.rule.template),
            )
            for o in offers
        ]
        header = (_("Seller"), _("Clients that agree"), _("Otherwise"), _("Books as"))
        click.echo(_table(rows, header))
        click.echo(_("{n} office rules on offer; create one on the rules screen (o).").format(n=len(offers)))
    else:
        rows = [
            (
                _("office") if r.client_id is None else safe_display(codes.get(r.client_id, "")),
                format_nip(r.seller_nip),
                f"{r.confirmations}/{r.overrides}",
                _template_words(r.template),
            )
            for r in rules
        ]
        click.echo(_table(rows, (_("For"), _("Seller"), "✓/✎", _("Books as"))))
        click.echo(_("{n} rules.").format(n=len(rules)))
    if damaged:
        sys.exit(EXIT_DAMAGED)


def _template_words(template: RuleTemplate) -> str:
    """The filled-in fields in the JSON's own values (register, deduction, KPiR column, account, ...)."""
    if template.exclude:
        return _("exclude (not the client's cost)")
    parts = [
        str(_plain(getattr(template, f.name)))
        for f in fields(template)
        if f.name != "exclude" and getattr(template, f.name) is not None
    ]
    return safe_display(" · ".join(parts) or "—")
