"""A client list from a spreadsheet: decoding, columns, and every row validated into a plan.

Pure (no I/O): `sync/client_import.py` reads the file (CSV bytes or an .xlsx's cells) and the store, and
hands both here; what comes back says, row by row, what an import would do or what is wrong, in words.

- CSV as spreadsheets write it: UTF-8 with or without a BOM, else Windows-1250 (Excel on a Polish
  Windows); `;`, `,` or tab between cells, decided from the header line.
- Columns in any order, Polish or English headers, case and diacritics ignored: `nip`, `nazwa`/`name`,
  optional `kod`/`short_code`, `środowisko`/`environment`, `token`, `token_ważny_do`/`token_valid_until`,
  `notatki`/`notes`. The columns `export_clients` adds (health, expiry, credential kind) are ignored.
- A token's text is kept only in `RowPlan.token` (never in repr, a report line or a problem): the report
  shows `mask_secret` of it. A cell in the NIP column that looks like anything but a NIP is not echoed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from enum import StrEnum

from ksef_tui.core.i18n import N_, _
from ksef_tui.core.models import SHORT_CODE_RE, Client, Environment, mask_secret, suggest_short_code
from ksef_tui.core.nip import InvalidNip, format_nip, normalize_nip

Cell = str | int | float | date | datetime | None

MAX_NAME = 200  # the client form's and the store's caps (store/text_caps.py)
MAX_NOTES = 2_000
MAX_TOKEN = 1_000
MIN_TOKEN = 16  # the token screen's rule: shorter is a cut paste, not a KSeF token

# Canonical column -> accepted header spellings (folded: lower case, no diacritics, `_` for spaces).
COLUMNS: dict[str, tuple[str, ...]] = {
    "nip": ("nip",),
    "name": ("nazwa", "name", "nazwa_klienta", "firma"),
    "short_code": ("kod", "short_code", "kod_klienta", "code"),
    "environment": ("srodowisko", "environment", "env"),
    "token": ("token", "token_ksef"),
    "token_valid_until": ("token_wazny_do", "token_valid_until", "wazny_do", "valid_until"),
    "notes": ("notatki", "notes", "uwagi"),
}
REQUIRED = ("nip", "name")
# What `ksef-tui clients export` adds: read back without a word (the export round-trips).
EXPORT_ONLY = ("stan", "powod", "wygasa", "poswiadczenie", "health", "reason", "expires", "credential")

ENVIRONMENT_WORDS: dict[str, Environment] = {
    "prod": Environment.PROD,
    "prd": Environment.PROD,
    "production": Environment.PROD,
    "produkcja": Environment.PROD,
    "produkcyjne": Environment.PROD,
    "produkcyjny": Environment.PROD,
    "test": Environment.TEST,
    "testowe": Environment.TEST,
    "testowy": Environment.TEST,
    "demo": Environment.DEMO,
    "przedprodukcja": Environment.DEMO,
    "przedprodukcyjne": Environment.DEMO,
    "przedprodukcyjny": Environment.DEMO,
    "pre_production": Environment.DEMO,
}

DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%Y", "%Y.%m.%d", "%Y/%m/%d")


# --- decoding and splitting CSV ---------------------------------------------------------------------


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 (a BOM dropped) when the bytes are valid UTF-8, else Windows-1250.

    Strict UTF-8 first: cp1250 decodes almost any bytes, UTF-8 almost never decodes cp1250 text with
    Polish letters, so the order decides correctly."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1250"), "cp1250"
    except UnicodeDecodeError:  # the five bytes cp1250 leaves undefined: not a text file
        raise ValueError(_("The file is neither UTF-8 nor Windows-1250 text.")) from None


def sniff_delimiter(text: str) -> str:
    """`;`, `,` or tab: whichever the header line (the first non-blank line) holds most of."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: header.count(d) for d in (";", "\t", ",")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ";"


def split_csv(text: str) -> list[tuple[int, list[Cell]]]:
    """(line number, cells) for each record; a quoted cell may span lines (the record's last line
    numbers it, as a spreadsheet's row would be found)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    return [(reader.line_num, list(record)) for record in reader]


# --- columns -----------------------------------------------------------------------------------------


def fold(text: str) -> str:
    """Header spelling ignored: `Token ważny do` == `token_wazny_do` == `TOKEN-WAZNY-DO`."""
    text = text.strip().lower().replace("ł", "l")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return "_".join(text.replace("-", " ").replace("_", " ").split())


_ALIASES = {alias: column for column, aliases in COLUMNS.items() for alias in aliases}


@dataclass(frozen=True)
class Header:
    columns: dict[str, int]  # canonical column -> cell index
    problems: list[str]  # nothing can be imported while any
    ignored: list[str]  # headers not recognised (as written)


def read_header(cells: Sequence[Cell]) -> Header:
    columns: dict[str, int] = {}
    problems: list[str] = []
    ignored: list[str] = []
    for index, cell in enumerate(cells):
        raw = _text(cell)
        if not raw:
            continue
        folded = fold(raw)
        column = _ALIASES.get(folded)
        if column is None:
            if folded not in EXPORT_ONLY:
                ignored.append(raw)
            continue
        if column in columns:
            problems.append(_("The column \u201c{name}\u201d appears twice in the header.").format(name=raw))
            continue
        columns[column] = index
    for column in REQUIRED:
        if column not in columns:
            names = " / ".join(COLUMNS[column][:2])
            problems.append(_("The header has no column \u201c{name}\u201d.").format(name=names))
    if problems and any(_looks_like_nip(c) for c in cells):
        problems.append(_("The first row must be the header: nip; nazwa; kod; token; …"))
    return Header(columns, problems, ignored)


def _looks_like_nip(cell: Cell) -> bool:
    try:
        normalize_nip(_text(cell))
    except InvalidNip:
        return False
    return True


# --- cells -------------------------------------------------------------------------------------------


def _text(cell: Cell) -> str:
    """A cell as text: numbers as a spreadsheet shows them (a NIP typed as a number is 5260250274.0)."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return str(cell)
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    return " ".join(str(cell).split()) if not isinstance(cell, str) else cell.strip()


def parse_date(cell: Cell) -> date:
    """A date cell: a real date (xlsx), or text in ISO or Polish (31.12.2026) order. ValueError, in
    words, otherwise."""
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    text = _text(cell)
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text.split(" ")[0].split("T")[0], fmt).date()
        except ValueError:
            continue
    raise ValueError(_("The token's expiry date must be YYYY-MM-DD or DD.MM.YYYY."))


def valid_until_from_date(day: date) -> datetime:
    """The end of that day, as the token screen stores a typed date (23:59:59 UTC)."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


def token_problem(token: str) -> str | None:
    """What is wrong with a token's shape, in words (never quoting it); None when it may be a token."""
    if len(token) < MIN_TOKEN:
        return _("The token is too short: paste the whole KSeF token.")
    if len(token) > MAX_TOKEN:
        return _("The token is too long to be a KSeF token.")
    if any(c.isspace() or unicodedata.category(c) in ("Cc", "Cf") for c in token):
        return _("The token contains spaces or invisible characters: paste it again.")
    return None


def token_digest(token: str) -> str:
    """Tells two tokens apart without keeping either: the same token text is the same credential."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _shown_nip(raw: str) -> str:
    """The NIP cell for the report: the NIP grouped, or what was typed when short, else masked (a
    shifted column must not print a token)."""
    try:
        return format_nip(normalize_nip(raw))
    except InvalidNip:
        pass
    if not raw:
        return "—"
    return raw if len(raw) <= 16 else mask_secret(raw)


# --- the plan -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredClient:
    """What validation needs to know of a client already in the store."""

    id: int
    name: str
    short_code: str
    nips: tuple[str, ...]
    environment: Environment
    notes: str
    damaged: bool = False


@dataclass(frozen=True)
class StoredToken:
    client_id: int
    credential_id: int
    valid_until: datetime | None


@dataclass(frozen=True)
class StoreSnapshot:
    clients: Sequence[StoredClient] = ()
    tokens: Mapping[str, StoredToken] = field(default_factory=dict)  # token_digest -> stored token


class RowAction(StrEnum):
    ADD = "add"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    INVALID = "invalid"


class TokenAction(StrEnum):
    NONE = "none"  # no token in the row
    ADD = "add"  # a new credential, sealed on import
    KEEP = "keep"  # the same token text is stored for this client already
    EXPIRY = "expiry"  # already stored; its expiry date changes


FIELD_LABELS = {
    "name": N_("name"),
    "short_code": N_("short code"),
    "environment": N_("environment"),
    "notes": N_("notes"),
}


@dataclass(frozen=True)
class RowPlan:
    row: int  # the row number a spreadsheet shows (the header is row 1)
    nip_shown: str
    action: RowAction
    client: Client | None = None  # what will be saved (its id set for an update)
    changed: tuple[str, ...] = ()  # FIELD_LABELS keys of an update
    token: str = field(default="", repr=False)
    token_action: TokenAction = TokenAction.NONE
    token_valid_until: datetime | None = None
    credential_id: int | None = None  # the stored credential of KEEP and EXPIRY
    problems: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return self.action is not RowAction.INVALID

    @property
    def writes(self) -> bool:
        return self.valid and (
            self.action in (RowAction.ADD, RowAction.UPDATE)
            or self.token_action in (TokenAction.ADD, TokenAction.EXPIRY)
        )


@dataclass(frozen=True)
class ImportPlan:
    rows: list[RowPlan]
    file_problems: list[str] = field(default_factory=list)  # nothing can be imported while any
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def invalid(self) -> list[RowPlan]:
        return [r for r in self.rows if not r.valid]

    @property
    def valid(self) -> list[RowPlan]:
        return [r for r in self.rows if r.valid]

    def importable(self, skip_invalid: bool) -> bool:
        """Whether an import may run: no file problem, and no invalid row unless they are skipped."""
        return not self.file_problems and (skip_invalid or not self.invalid)


def plan_import(
    rows: Sequence[tuple[int, Sequence[Cell]]],
    snapshot: StoreSnapshot,
    default_environment: Environment = Environment.PROD,
) -> ImportPlan:
    """Every row of the sheet (the first non-blank one is the header) checked against the others and
    the store: what importing it would do, or every problem with it."""
    filled = [(n, cells) for n, cells in rows if any(_text(c) for c in cells)]
    if not filled:
        return ImportPlan([], [_("The file is empty: no header and no rows.")])
    header = read_header(filled[0][1])
    if header.problems:
        return ImportPlan([], header.problems, header.ignored)
    planner = _Planner(header.columns, snapshot, default_environment)
    plans = [planner.row(number, cells) for number, cells in filled[1:]]
    problems = [] if plans else [_("The file has a header but no clients.")]
    return ImportPlan(plans, problems, header.ignored)


class _Planner:
    def __init__(self, columns: dict[str, int], snapshot: StoreSnapshot, default_env: Environment) -> None:
        self.columns = columns
        self.tokens = snapshot.tokens
        self.default_env = default_env
        self.by_nip = {nip: c for c in snapshot.clients for nip in c.nips}
        self.by_code = {c.short_code: c for c in snapshot.clients}
        self.codes_taken = set(self.by_code)  # grows with the codes of the rows planned so far
        self.nip_rows: dict[str, int] = {}
        self.code_rows: dict[str, int] = {}
        self.token_rows: dict[str, int] = {}

    def cell(self, cells: Sequence[Cell], column: str) -> Cell:
        index = self.columns.get(column)
        return cells[index] if index is not None and index < len(cells) else None

    def row(self, number: int, cells: Sequence[Cell]) -> RowPlan:
        problems: list[str] = []
        raw_nip = _text(self.cell(cells, "nip"))
        nip = ""
        try:
            nip = normalize_nip(raw_nip)
        except InvalidNip as err:
            problems.append(str(err))
        if nip and nip in self.nip_rows:
            problems.append(_("This NIP is already in row {row}.").format(row=self.nip_rows[nip]))
        elif nip:
            self.nip_rows[nip] = number
        stored = self.by_nip.get(nip)
        if stored is not None and stored.damaged:
            problems.append(
                _("This client's record in the store is damaged: repair it in the client form first.")
            )

        name = " ".join(_text(self.cell(cells, "name")).split())
        if not name and stored is None:
            problems.append(_("Enter the client's name."))
        elif len(name) > MAX_NAME:
            problems.append(_("The name is too long (200 characters at most)."))

        env_raw = _text(self.cell(cells, "environment"))
        environment = ENVIRONMENT_WORDS.get(fold(env_raw)) if env_raw else None
        if env_raw and environment is None:
            problems.append(_("Unknown environment: use prod, test or demo."))

        notes_raw = _text(self.cell(cells, "notes"))
        if len(notes_raw) > MAX_NOTES:
            problems.append(_("The notes are too long (at most {n} characters).").format(n=MAX_NOTES))

        code = self.short_code(cells, number, nip, name, stored, problems)

        token = _text(self.cell(cells, "token"))
        until_cell = self.cell(cells, "token_valid_until")
        valid_until = None
        if _text(until_cell):
            try:
                valid_until = valid_until_from_date(parse_date(until_cell))
            except ValueError as err:
                problems.append(str(err))
            if not token:
                problems.append(_("An expiry date without a token: add the token or clear the date."))
        token_action, credential_id = TokenAction.NONE, None
        if token:
            token_action, credential_id = self.token(token, number, valid_until, stored, problems)

        if problems:
            return RowPlan(number, _shown_nip(raw_nip), RowAction.INVALID, problems=tuple(problems))
        client, action, changed = self.client(nip, name, code, environment, notes_raw, stored)
        return RowPlan(
            number,
            format_nip(nip),
            action,
            client,
            changed,
            token,
            token_action,
            valid_until,
            credential_id,
        )

    def short_code(
        self, cells: Sequence[Cell], number: int, nip: str, name: str, stored: StoredClient | None,
        problems: list[str],
    ) -> str:  # fmt: skip
        code = _text(self.cell(cells, "short_code")).upper()
        if code:
            if not SHORT_CODE_RE.match(code):
                problems.append(_("Short code: 2–16 capital letters, digits or _."))
                return code
            owner = self.by_code.get(code)
            if code in self.code_rows:
                problems.append(
                    _("This short code is already in row {row}.").format(row=self.code_rows[code])
                )
            elif owner is not None and (stored is None or owner.id != stored.id):
                problems.append(
                    _("The short code {code} belongs to another client in the store ({nip}).").format(
                        code=code, nip=format_nip(owner.nips[0])
                    )
                )
            self.code_rows.setdefault(code, number)
            self.codes_taken.add(code)
            return code
        if stored is not None:
            return stored.short_code
        if not nip or not name:
            return ""
        base = suggest_short_code(name, nip)
        code, n = base, 2
        while code in self.codes_taken or code in self.code_rows:
            code, n = f"{base}_{n}", n + 1
        self.codes_taken.add(code)
        return code

    def token(
        self, token: str, number: int, valid_until: datetime | None, stored: StoredClient | None,
        problems: list[str],
    ) -> tuple[TokenAction, int | None]:  # fmt: skip
        shape = token_problem(token)
        if shape:
            problems.append(shape)
            return TokenAction.NONE, None
        digest = token_digest(token)
        if digest in self.token_rows:
            problems.append(_("The same token is already in row {row}.").format(row=self.token_rows[digest]))
            return TokenAction.NONE, None
        self.token_rows[digest] = number
        held = self.tokens.get(digest)
        if held is None:
            return TokenAction.ADD, None
        if stored is None or held.client_id != stored.id:
            problems.append(_("This token is already stored for another client."))
            return TokenAction.NONE, None
        if valid_until is not None and valid_until != held.valid_until:
            return TokenAction.EXPIRY, held.credential_id
        return TokenAction.KEEP, held.credential_id

    def client(
        self, nip: str, name: str, code: str, environment: Environment | None, notes: str,
        stored: StoredClient | None,
    ) -> tuple[Client, RowAction, tuple[str, ...]]:  # fmt: skip
        if stored is None:
            client = Client(name, code, [nip], environment or self.default_env, notes)
            return client, RowAction.ADD, ()
        # A blank cell keeps what the store has: spreadsheets leave cells empty, and an import that
        # wiped notes or names because a column was blank would surprise everyone.
        wanted = {
            "name": name or stored.name,
            "short_code": code or stored.short_code,
            "environment": environment or stored.environment,
            "notes": notes or stored.notes,
        }
        current = {
            "name": stored.name,
            "short_code": stored.short_code,
            "environment": stored.environment,
            "notes": stored.notes,
        }
        changed = tuple(k for k in FIELD_LABELS if wanted[k] != current[k])
        client = Client(
            str(wanted["name"]),
            str(wanted["short_code"]),
            list(stored.nips),
            Environment(wanted["environment"]),
            str(wanted["notes"]),
            id=stored.id,
        )
        return client, (RowAction.UPDATE if changed else RowAction.UNCHANGED), changed


# --- words -------------------------------------------------------------------------------------------


def describe_row(plan: RowPlan) -> str:
    """One report line: row, NIP, and what importing it does or what is wrong (a token masked)."""
    head = _("Row {row}").format(row=plan.row) + f"  {plan.nip_shown}  "
    if not plan.valid:
        return head + _("ERROR: {problems}").format(problems="; ".join(plan.problems))
    assert plan.client is not None
    code = plan.client.short_code
    if plan.action is RowAction.ADD:
        words = _("new client {code}").format(code=code)
    elif plan.action is RowAction.UPDATE:
        fields = ", ".join(_(FIELD_LABELS[f]) for f in plan.changed)
        words = _("{code}: changes in {fields}").format(code=code, fields=fields)
    else:
        words = _("{code}: no changes").format(code=code)
    if plan.token_action is TokenAction.ADD:
        words += "; " + _("new token {token}").format(token=mask_secret(plan.token))
    elif plan.token_action is TokenAction.KEEP:
        words += "; " + _("token already stored")
    elif plan.token_action is TokenAction.EXPIRY:
        words += "; " + _("new expiry date of the stored token")
    return head + words


def describe_plan(plan: ImportPlan) -> list[str]:
    """The whole report: file problems, ignored columns, then one line per row."""
    lines = list(plan.file_problems)
    if plan.ignored_columns:
        names = ", ".join(plan.ignored_columns)
        lines.append(_("Columns ignored (not recognised): {names}").format(names=names))
    lines.extend(describe_row(r) for r in plan.rows)
    return lines
