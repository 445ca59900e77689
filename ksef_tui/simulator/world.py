"""The simulated KSeF's state, seeded from the demo roster (ksef_tui.core.demo_roster).

`build_world` turns each roster client into what KSeF knows about it: its tokens (the office's token
text from the roster, plus the client's own ERP token), the certificates the simulator issues, the
grants the client gave (to itself or to the office), about 60 days of online and batch sessions with
accepted and rejected invoices, and purchase invoices naming it as buyer (for the demo roster a realistic
month of them from recurring suppliers, continuing 14 days past `now`: arrivals.py). Everything derives
from the seed; invoice XML is produced lazily (model.Invoice.body), so building stays well under a second.
"""

from __future__ import annotations

import bisect
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ksef_tui.core.clock import WARSAW
from ksef_tui.core.demo_roster import CredentialSpec, RosterEntry, make_roster
from ksef_tui.core.models import CredentialKind, CredentialStatus, Permission
from ksef_tui.core.nip import random_nip
from ksef_tui.simulator.arrivals import month_of_purchases
from ksef_tui.simulator.keys import SimKeys, fingerprint
from ksef_tui.simulator.model import (
    Enrollment,
    Grant,
    Invoice,
    Session,
    SimCertificate,
    SimToken,
    Taxpayer,
    UpoPage,
)
from ksef_tui.simulator.refs import hex_digits, ksef_number, reference, sha256_b64

TOKEN_STATUS = {
    CredentialStatus.PENDING: "Pending",
    CredentialStatus.ACTIVE: "Active",
    CredentialStatus.REVOKING: "Revoking",
    CredentialStatus.REVOKED: "Revoked",
    CredentialStatus.FAILED: "Failed",
    CredentialStatus.EXPIRED: "Revoked",
}

# Session states that must appear somewhere in the world (API-NOTES §8), handed out one per taxpayer.
SPECIAL_SESSIONS: list[tuple[str, int]] = [
    ("Online", 100),
    ("Online", 170),
    ("Online", 415),
    ("Online", 440),
    ("Online", 445),
    ("Batch", 100),
    ("Batch", 150),
    ("Batch", 405),
    ("Batch", 415),
    ("Batch", 420),
    ("Batch", 430),
    ("Batch", 435),
    ("Batch", 440),
    ("Batch", 445),
    ("Batch", 500),
]

_EXTERNAL_FIRST = ["Hurtownia", "Dostawy", "Energia", "Telekom", "Paliwa", "Serwis", "Leasing", "Biuro"]
_EXTERNAL_SECOND = ["Polska", "Centrum", "Północ", "Południe", "Max", "Plus", "Trans", "Media", "Eko", "Tech"]
_OFFICE_NAMES = ["Biuro Rachunkowe Bilans", "Kancelaria Podatkowa Saldo", "Biuro Rachunkowe Debet i Kredyt"]

SEMANTIC_ERRORS = [
    "Data wystawienia faktury (P_1) jest późniejsza niż data przyjęcia faktury w KSeF.",
    "Nieprawidłowy NIP nabywcy (Podmiot2/DaneIdentyfikacyjne/NIP).",
    "Suma wartości sprzedaży netto nie zgadza się z kwotami w wierszach faktury.",
]
XSD_ERRORS = [
    "Element 'P_2': [facet 'minLength'] The value has a length of '0'; "
    "this underruns the allowed minimum length of '1'.",
    "Element 'KodWaluty': [facet 'enumeration'] The value 'PLZ' is not an element of the set "
    "of allowed values.",
    "Element 'P_6': This element is not expected. Expected is one of ( P_1M, P_2 ).",
]


@dataclass
class World:
    seed: int
    now: datetime
    office_nip: str
    office_name: str
    keys: SimKeys
    taxpayers: dict[str, Taxpayer] = field(default_factory=dict)  # every roster NIP, roster order
    office: Taxpayer | None = None
    grants: list[Grant] = field(default_factory=list)
    roster: list[RosterEntry] = field(default_factory=list)
    sessions: dict[str, Session] = field(default_factory=dict)
    invoices: dict[str, Invoice] = field(default_factory=dict)  # accepted, by KSeF number
    tokens: dict[str, SimToken] = field(default_factory=dict)  # by reference number
    certificates: dict[str, SimCertificate] = field(default_factory=dict)  # by fingerprint
    externals: list[tuple[str, str]] = field(default_factory=list)  # (nip, name) outside the roster
    runtime_rng: random.Random = field(default_factory=random.Random, repr=False)
    # (seller NIP, YYYYMM) -> the last invoice number used in that month.
    numbering: dict[tuple[str, str], int] = field(default_factory=dict, repr=False)
    # Accepted invoices visible only after their storage date, by permanent storage date: the HWM index.
    late: list[Invoice] = field(default_factory=list, repr=False)

    def hwm(self, now: datetime, lag: timedelta) -> datetime:
        """KSeF's permanentStorageHwmDate at `now`: below it every invoice is visible. `now - lag`, or
        just below the storage date of the earliest invoice stored by then but not visible yet."""
        mark = now - lag
        for inv in self.late:
            stored = inv.permanent_storage_date
            assert stored is not None
            if stored > mark:
                break
            if not inv.visible(now):
                return stored - timedelta(milliseconds=1)
        return mark

    def next_number(self, seller_nip: str, when: datetime, prefix: str = "FV") -> str:
        key = (seller_nip, f"{when.year:04d}{when.month:02d}")
        n = self.numbering[key] = self.numbering.get(key, 0) + 1
        return f"{prefix}/{n}/{when.month:02d}/{when.year:04d}"

    # Issue 11: the office's own KSeF certificate, certificate enrolments, permission operations.
    office_certificate: SimCertificate | None = None
    enrollments: dict[str, Enrollment] = field(default_factory=dict)  # by reference number
    permission_operations: dict[str, int] = field(default_factory=dict)  # reference -> status code

    def taxpayer(self, nip: str) -> Taxpayer | None:
        if self.office is not None and nip == self.office.nip:
            return self.office
        return self.taxpayers.get(nip)

    def certificate_for(self, nip: str, kind: CredentialKind) -> SimCertificate | None:
        """The certificate of that kind the world issued for client `nip` (office certificates included)."""
        tp = self.taxpayers.get(nip)
        if tp is None:
            return None
        return next((c for c in tp.certificates if c.kind == kind), None)

    def token_for(self, nip: str) -> SimToken | None:
        """The token the office holds for `nip` (from the roster), if any."""
        tp = self.taxpayers.get(nip)
        if tp is None:
            return None
        return next((t for t in tp.tokens if t.held_by_office), None)

    def token_by_text(self, text: str) -> SimToken | None:
        ref = text.split("|", 1)[0]
        token = self.tokens.get(ref)
        if token is not None and token.token == text:
            return token
        return next((t for t in self.tokens.values() if t.token == text), None)

    def grants_for(self, subject_nip: str, context_nip: str) -> list[Grant]:
        return [g for g in self.grants if g.subject_nip == subject_nip and g.context_nip == context_nip]

    def add_session(self, tp: Taxpayer, session: Session) -> None:
        tp.sessions.append(session)
        self.sessions[session.reference] = session

    def register_invoice(self, invoice: Invoice) -> None:
        """Index an accepted invoice: by KSeF number, and as a purchase of its buyer."""
        if invoice.ksef_number:
            self.invoices[invoice.ksef_number] = invoice
            if invoice.late:
                bisect.insort(self.late, invoice, key=_stored)
            buyer = self.taxpayers.get(invoice.buyer_nip)
            if buyer is not None:
                buyer.purchases.append(invoice)
            third = self.taxpayers.get(invoice.third_party_nip) if invoice.third_party_nip else None
            if third is not None:
                third.third_party.append(invoice)

    def find_duplicate(self, seller_nip: str, kind: str, number: str) -> Invoice | None:
        """KSeF's duplicate key: (Podmiot1 NIP, RodzajFaktury, P_2) (API-NOTES §6)."""
        tp = self.taxpayer(seller_nip)
        pool = tp.invoices if tp is not None else self.invoices.values()
        for inv in pool:
            if (
                inv.accepted
                and inv.seller_nip == seller_nip
                and inv.kind == kind
                and inv.invoice_number == number
            ):
                return inv
        return None


def _stored(invoice: Invoice) -> datetime:
    assert invoice.permanent_storage_date is not None
    return invoice.permanent_storage_date


def _pem_cert(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _pem_key(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


class _Builder:
    def __init__(self, seed: int, now: datetime, roster: list[RosterEntry]) -> None:
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        self.seed = seed
        self.now = now
        self.rng = random.Random(f"world:{seed}")
        used = {n for e in roster for n in e.nips}
        office_nip = random_nip(self.rng, used)
        self.world = World(
            seed=seed,
            now=now,
            office_nip=office_nip,
            office_name=self.rng.choice(_OFFICE_NAMES),
            keys=SimKeys(seed, now),
            roster=roster,
            runtime_rng=random.Random(f"runtime:{seed}"),
        )
        self.world.office = Taxpayer(office_nip, self.world.office_name, profile="office")
        self.world.externals = [
            (
                random_nip(self.rng, used),
                f"{self.rng.choice(_EXTERNAL_FIRST)} {self.rng.choice(_EXTERNAL_SECOND)} Sp. z o.o.",
            )
            for _ in range(24)
        ]
        self.serial = 0x4B53_0000_0000_1000 + self.rng.randint(0, 0xFFFF) * 0x10000

    # ---- credentials ----------------------------------------------------------------------------
    def grant(
        self, context_nip: str, subject_nip: str, perms: frozenset[str], start: datetime, rng: random.Random
    ) -> None:
        for perm in sorted(perms):
            if any(
                g.context_nip == context_nip and g.subject_nip == subject_nip and g.permission == perm
                for g in self.world.grants
            ):
                continue
            self.world.grants.append(
                Grant(
                    id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    context_nip=context_nip,
                    subject_nip=subject_nip,
                    permission=str(perm),
                    start=start,
                    description="Obsługa faktur przez biuro rachunkowe"
                    if subject_nip == self.world.office_nip
                    else "Uprawnienie właścicielskie",
                )
            )

    def certificate(
        self, tp: Taxpayer, spec: CredentialSpec, rng: random.Random, contexts: tuple[str, ...]
    ) -> None:
        office = spec.kind == CredentialKind.OFFICE_CERTIFICATE
        subject_nip = self.world.office_nip if office else tp.nip
        subject_name = self.world.office_name if office else tp.name
        self.serial += rng.randint(1, 0xFFFF)
        valid_from = spec.valid_from or self.now - timedelta(days=30)
        valid_to = spec.valid_until or self.now + timedelta(days=365)
        cert, key = self.world.keys.issue(
            subject_nip=subject_nip,
            subject_name=subject_name,
            valid_from=valid_from,
            valid_to=valid_to,
            serial=self.serial,
            key_label=f"cert:{tp.nip}:{spec.kind}:{self.serial}",
        )
        sim = SimCertificate(
            serial=f"{self.serial:016X}",
            certificate_pem=_pem_cert(cert),
            private_key_pem=_pem_key(key),
            valid_from=valid_from,
            valid_to=valid_to,
            kind=spec.kind,
            revoked=spec.ksef_status == CredentialStatus.REVOKED,
            subject_nip=subject_nip,
            subject_name=subject_name,
            context_nip=tp.nip,
            fingerprint=fingerprint(cert),
        )
        tp.certificates.append(sim)
        self.world.certificates[sim.fingerprint] = sim
        start = spec.created or valid_from
        for context in contexts:
            self.grant(context, subject_nip, spec.permissions, start, rng)

    def token(self, tp: Taxpayer, spec: CredentialSpec, rng: random.Random) -> None:
        tok = SimToken(
            reference=spec.token_reference,
            token=spec.token,
            status=TOKEN_STATUS.get(spec.ksef_status, "Active"),
            permissions=frozenset(str(p) for p in spec.permissions),
            created=spec.created or self.now - timedelta(days=90),
            context_nip=tp.nip,
            author_nip=tp.nip,
            description="Token dla biura rachunkowego",
            held_by_office=True,
        )
        if tok.status == "Active":
            tok.last_used = self.now - timedelta(hours=rng.randint(1, 96))
        if tok.status == "Failed":
            tok.status_details = ["Nie udało się nadać uprawnień tokenowi."]
        tp.tokens.append(tok)
        self.world.tokens[tok.reference] = tok

    def extra_token(
        self, tp: Taxpayer, rng: random.Random, description: str, status: str, perms: frozenset[str]
    ) -> SimToken:
        created = self.now - timedelta(days=rng.randint(60, 400), minutes=rng.randint(0, 1440))
        ref = reference(rng, created, "EC")
        tok = SimToken(
            reference=ref,
            token=f"{ref}|nip-{tp.nip}|{''.join(rng.choice('0123456789abcdef') for _ in range(64))}",
            status=status,
            permissions=perms,
            created=created,
            context_nip=tp.nip,
            author_nip=tp.nip,
            description=description,
            last_used=self.now - timedelta(hours=rng.randint(1, 48)) if status == "Active" else None,
        )
        tp.tokens.append(tok)
        self.world.tokens[ref] = tok
        return tok

    # ---- invoices and sessions --------------------------------------------------------------------
    def number(self, seller_nip: str, when: datetime) -> str:
        return self.world.next_number(seller_nip, when)

    def counterparty(self, tp: Taxpayer, rng: random.Random) -> tuple[str, str]:
        others = [t for t in self.world.taxpayers.values() if t.nip != tp.nip]
        if others and rng.random() < 0.3:
            other = rng.choice(others)
            return other.nip, other.name
        return rng.choice(self.world.externals)

    def invoice(self, tp: Taxpayer, rng: random.Random, sent: datetime, accepted: bool = True) -> Invoice:
        buyer_nip, buyer_name = self.counterparty(tp, rng)
        issue = (sent.astimezone(WARSAW) - timedelta(days=rng.choice((0, 0, 0, 1, 2, 3)))).date()
        inv = Invoice(
            seller_nip=tp.nip,
            seller_name=tp.name,
            buyer_nip=buyer_nip,
            buyer_name=buyer_name,
            invoice_number=self.number(tp.nip, sent),
            issue_date=issue,
            invoicing_date=sent,
            currency="EUR" if rng.random() < 0.08 else "PLN",
            kind=rng.choices(("VAT", "KOR", "ZAL"), weights=(88, 7, 5))[0],
            lines=rng.randint(1, 12),
            gen_seed=rng.getrandbits(32),
        )
        if accepted:
            self.accept(inv, rng)
        return inv

    def accept(self, inv: Invoice, rng: random.Random) -> None:
        inv.acquisition_date = inv.invoicing_date + timedelta(milliseconds=rng.randint(200, 3000))
        inv.permanent_storage_date = inv.acquisition_date + timedelta(seconds=rng.randint(1, 90))
        inv.ksef_number = ksef_number(rng, inv.seller_nip, inv.acquisition_date.astimezone(WARSAW))
        inv.status_code = 200

    def reject(self, inv: Invoice, tp: Taxpayer, rng: random.Random, code: int | None = None) -> None:
        prior = [i for i in tp.invoices if i.accepted]
        if code is None:
            code = rng.choice((440, 450, 430)) if prior else rng.choice((450, 430))
        inv.status_code = code
        inv.fake_hash = sha256_b64(rng.randbytes(32))
        if code == 440:
            original = rng.choice(prior)
            inv.invoice_number = original.invoice_number
            inv.issue_date = original.issue_date
            inv.status_details = [
                f"Duplikat faktury. Faktura o numerze KSeF: {original.ksef_number} została już prawidłowo "
                f"przesłana do systemu w sesji: {original.session_ref}"
            ]
            inv.status_extensions = {
                "originalSessionReferenceNumber": original.session_ref or "",
                "originalKsefNumber": original.ksef_number or "",
            }
        elif code == 450:
            inv.status_details = [rng.choice(SEMANTIC_ERRORS)]
        elif code == 430:
            inv.status_details = [rng.choice(XSD_ERRORS)]

    def session(
        self,
        tp: Taxpayer,
        rng: random.Random,
        kind: str,
        created: datetime,
        code: int,
        subjects: list[tuple[str, str | None]],
    ) -> Session:
        opened_by, token_ref = rng.choice(subjects)
        sess = Session(
            reference=reference(rng, created, "SO" if kind == "Online" else "SB"),
            kind=kind,
            context_nip=tp.nip,
            opened_by=opened_by,
            created=created,
            updated=created,
            status_code=code,
            valid_until=created + timedelta(hours=12) if kind == "Online" else None,
            auth_token_ref=token_ref,
            auth_document_hash=None if token_ref else sha256_b64(rng.randbytes(32)),
        )
        if code == 440:
            sess.status_details = [
                "Nie przesłano faktur" if kind == "Online" else "Przekroczono czas wysyłki"
            ]
        n_invoices = {
            (100, "Online"): 2,
            (170, "Online"): rng.randint(1, 4),
            (200, "Online"): rng.randint(1, 6),
            (200, "Batch"): rng.randint(4, 14),
            (445, "Online"): 2,
            (445, "Batch"): 3,
        }.get((code, kind), 0)
        t = created + timedelta(seconds=rng.randint(5, 60))
        for i in range(n_invoices):
            t += timedelta(seconds=rng.randint(2, 240) if kind == "Online" else rng.randint(0, 2))
            inv = self.invoice(tp, rng, t, accepted=False)
            inv.session_ref = sess.reference
            inv.ordinal = i + 1
            inv.reference = reference(rng, t, "EE")
            if kind == "Batch":
                inv.file_name = f"faktura_{i + 1:03d}.xml"
            if code == 445:
                self.reject(inv, tp, rng, code=430 if kind == "Batch" else 450)
            elif rng.random() < 0.82 or (code in (100, 170) and rng.random() < 0.8):
                self.accept(inv, rng)
            else:
                self.reject(inv, tp, rng)
            sess.invoices.append(inv)
            tp.invoices.append(inv)
            if inv.accepted:
                self.world.register_invoice(inv)
        last = max([created, *(i.permanent_storage_date or i.invoicing_date for i in sess.invoices)])
        if code == 100:
            sess.updated = last
        else:
            sess.closed = last + timedelta(seconds=rng.randint(5, 600))
            sess.updated = sess.closed + (
                timedelta(0) if code in (170, 150) else timedelta(seconds=rng.randint(20, 300))
            )
        if code == 200 and sess.accepted:
            sess.upo_pages = [UpoPage(reference(rng, sess.updated, "EU"), 1, len(sess.accepted))]
        return sess

    def sessions(self, tp: Taxpayer, rng: random.Random, special: tuple[str, int] | None) -> None:
        office_subjects: list[tuple[str, str | None]] = [
            (f"Token:{t.reference}", t.reference)
            for t in tp.tokens
            if t.held_by_office and t.status == "Active"
        ]
        for cert in tp.certificates:
            office_subjects.append((f"Nip:{cert.subject_nip}", None))
        erp = self.extra_token(
            tp,
            rng,
            "Program sprzedażowy (ERP)",
            "Active",
            frozenset({Permission.INVOICE_WRITE.value, Permission.INVOICE_READ.value}),
        )
        erp_subjects: list[tuple[str, str | None]] = [(f"Token:{erp.reference}", erp.reference)]
        if rng.random() < 0.4:
            self.extra_token(
                tp, rng, "Stary token (program magazynowy)", "Revoked", frozenset({"InvoiceWrite"})
            )
        plan: list[tuple[str, int, datetime]] = []
        for _ in range(rng.randint(3, 7)):
            plan.append(("Online", 200, self.now - timedelta(days=rng.uniform(1, 60))))
        for _ in range(rng.randint(0, 2)):
            plan.append(("Batch", 200, self.now - timedelta(days=rng.uniform(1, 60))))
        if special is not None:
            kind, code = special
            recent = code in (100, 150, 170)
            when = self.now - (
                timedelta(minutes=rng.randint(10, 50)) if recent else timedelta(days=rng.uniform(1, 30))
            )
            plan.append((kind, code, when))
        plan.sort(key=lambda p: p[2])
        for kind, code, created in plan:
            subjects = office_subjects if office_subjects and rng.random() < 0.4 else erp_subjects
            self.world.add_session(tp, self.session(tp, rng, kind, created, code, subjects))

    def purchases_from_outside(self, tp: Taxpayer, rng: random.Random) -> None:
        for _ in range(rng.randint(4, 12)):
            seller_nip, seller_name = rng.choice(self.world.externals)
            sent = self.now - timedelta(days=rng.uniform(0.2, 60))
            inv = Invoice(
                seller_nip=seller_nip,
                seller_name=seller_name,
                buyer_nip=tp.nip,
                buyer_name=tp.name,
                invoice_number=self.number(seller_nip, sent),
                issue_date=(sent.astimezone(WARSAW) - timedelta(days=rng.choice((0, 0, 1, 2)))).date(),
                invoicing_date=sent,
                currency="EUR" if rng.random() < 0.08 else "PLN",
                kind=rng.choices(("VAT", "KOR", "ZAL"), weights=(90, 6, 4))[0],
                lines=rng.randint(1, 15),
                gen_seed=rng.getrandbits(32),
                invoicing_mode="Offline" if rng.random() < 0.05 else "Online",
            )
            self.accept(inv, rng)
            self.world.register_invoice(inv)

    def build(self, roster: list[RosterEntry], month: bool) -> World:
        # First every taxpayer (so that counterparties can be drawn from the whole roster) ...
        for entry in roster:
            for nip in entry.nips:
                self.world.taxpayers[nip] = Taxpayer(nip, entry.name, profile=entry.profile)
        # ... then credentials, then sessions and invoices.
        for entry in roster:
            main = self.world.taxpayers[entry.nip]
            rng = random.Random(f"cred:{self.seed}:{entry.nip}")
            for spec in entry.credentials:
                if spec.kind == CredentialKind.KSEF_TOKEN:
                    self.token(main, spec, rng)
                else:
                    # A group's certificate serves every NIP of the group (DESIGN.md "Credentials").
                    self.certificate(main, spec, rng, entry.nips)
        specials = iter(SPECIAL_SESSIONS)
        for tp in self.world.taxpayers.values():
            rng = random.Random(f"sessions:{self.seed}:{tp.nip}")
            self.sessions(tp, rng, next(specials, None))
        for tp in self.world.taxpayers.values():
            rng = random.Random(f"purchases:{self.seed}:{tp.nip}")
            if month:
                month_of_purchases(self.world, tp, rng, self.now)
            else:
                self.purchases_from_outside(tp, rng)
        for tp in self.world.taxpayers.values():
            tp.sessions.sort(key=lambda s: s.created, reverse=True)
        # The office acts in its own context with every permission (it is its own owner).
        self.grant(
            self.world.office_nip,
            self.world.office_nip,
            frozenset(p.value for p in Permission),
            self.now - timedelta(days=700),
            self.rng,
        )
        self.office_extras(roster)
        return self.world

    def office_extras(self, roster: list[RosterEntry]) -> None:
        """Issue 11: the office's own KSeF certificate (valid well past 2027-01-01) and the entity
        grants roster clients gave the office's NIP. Own random streams: the rest of the world is
        unchanged by them."""
        rng = random.Random(f"office:{self.seed}")
        for entry in roster:
            if entry.office_grant:
                start = self.now - timedelta(days=rng.randint(5, 60))
                for nip in entry.nips:
                    self.grant(nip, self.world.office_nip, frozenset(entry.office_grant), start, rng)
        serial = 0x4F46_0000_0000_0000 + rng.getrandbits(32)
        valid_from = self.now - timedelta(days=60)
        valid_to = self.now + timedelta(days=670)
        cert, key = self.world.keys.issue(
            subject_nip=self.world.office_nip,
            subject_name=self.world.office_name,
            valid_from=valid_from,
            valid_to=valid_to,
            serial=serial,
            key_label=f"office-cert:{self.world.office_nip}",
        )
        sim = SimCertificate(
            serial=f"{serial:016X}",
            certificate_pem=_pem_cert(cert),
            private_key_pem=_pem_key(key),
            valid_from=valid_from,
            valid_to=valid_to,
            kind=CredentialKind.OFFICE_CERTIFICATE,
            subject_nip=self.world.office_nip,
            subject_name=self.world.office_name,
            context_nip=self.world.office_nip,
            fingerprint=fingerprint(cert),
        )
        self.world.office_certificate = sim
        self.world.certificates[sim.fingerprint] = sim


# Rosters up to this size are the demo's (45 clients): each client gets a realistic month of purchases
# from recurring suppliers. Bigger ones (benchmarks' 300 clients) keep the cheaper 4-12 purchases each.
MONTH_ROSTER_MAX = 100


def build_world(
    *,
    seed: int = 2026,
    now: datetime,
    roster: list[RosterEntry] | None = None,
    purchase_month: bool | None = None,
) -> World:
    """The simulator's world for this roster (default: the demo roster for `now` and `seed`).

    `purchase_month`: give every client a realistic month of purchases (arrivals.month_of_purchases:
    30-80 invoices over the 30 days before `now` from 6-12 recurring catalogue suppliers, and arrivals
    continuing 14 days after it); default: for rosters of at most MONTH_ROSTER_MAX entries."""
    if roster is None:
        roster = make_roster(now, seed)
    if purchase_month is None:
        purchase_month = len(roster) <= MONTH_ROSTER_MAX
    return _Builder(seed, now, roster).build(roster, purchase_month)


__all__ = ["World", "build_world", "hex_digits"]
