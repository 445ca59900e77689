"""Lenient parsing: every spec example response parses; unknown fields and enum values never break it."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from pathlib import Path

import pytest

from ksef_tui.ksef import errors, models
from ksef_tui.ksef.models import from_json, list_from_json, parse_datetime
from tests.ksef.fakes import EXAMPLES
from tests.ksef.openapi_schema import validator_for

# Example-file stem → the client's model (None: an endpoint the client does not call; such files are
# still parsed by the generic error path when they are error bodies).
MODELS = {
    "GET_auth_referenceNumber": models.AuthStatus,
    "GET_auth_sessions": models.AuthSessionsPage,
    "GET_invoices_exports_referenceNumber": models.ExportStatus,
    "GET_rate_limits": "rate_limits",
    "GET_security_public_key_certificates": [models.PublicKeyCertificate],
    "GET_sessions": models.SessionsPage,
    "GET_sessions_referenceNumber": models.SessionStatus,
    "GET_sessions_referenceNumber_invoices": models.SessionInvoicesPage,
    "GET_sessions_referenceNumber_invoices_failed": models.SessionInvoicesPage,
    "GET_sessions_referenceNumber_invoices_invoiceReferenceNumber": models.SessionInvoice,
    "GET_tokens": models.TokensPage,
    "GET_tokens_referenceNumber": models.KsefTokenInfo,
    "POST_auth_challenge": models.Challenge,
    "POST_auth_ksef_token": models.AuthInitResponse,
    "POST_auth_xades_signature": models.AuthInitResponse,
    "POST_auth_token_redeem": models.AuthTokens,
    "POST_auth_token_refresh": models.AuthTokens,
    "POST_invoices_exports": models.ExportStarted,
    "POST_invoices_query_metadata": models.InvoiceQueryPage,
    "POST_permissions_query_personal_grants": models.PersonalPermissionsPage,
    "POST_sessions_online": models.OnlineSessionOpened,
    "POST_sessions_online_referenceNumber_invoices": models.InvoiceSent,
    "POST_tokens": models.TokenGenerated,
}

RESPONSE_FILES = sorted(p.name for p in EXAMPLES.glob("*__response_*.json"))


def _split(name: str) -> tuple[str, int]:
    m = re.match(r"^(.*?)__response_(\d{3})", name)
    assert m, name
    return m.group(1), int(m.group(2))


def _non_empty(obj: object) -> bool:
    """At least one field was actually filled from the example (parsing did something)."""
    if isinstance(obj, list):
        return bool(obj) and all(_non_empty(o) for o in obj)
    if isinstance(obj, dict):
        return bool(obj)
    defaults = type(obj)()
    return obj != defaults


@pytest.mark.parametrize("name", RESPONSE_FILES)
def test_every_spec_example_response_parses(name: str) -> None:
    stem, status = _split(name)
    data = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    if status >= 400:
        err = errors.error_from_response(status, json.dumps(data).encode())
        assert isinstance(err, errors.KsefHttpError) and err.status == status
        return
    model = MODELS.get(stem)
    if model is None:
        pytest.skip(f"{stem}: endpoint not used by the client")
    if model == "rate_limits":
        parsed = models.parse_rate_limits(data)
        assert parsed["invoiceDownload"].per_hour == 64
    elif isinstance(model, list):
        parsed = list_from_json(model[0], data)
        assert parsed and all(p.public_key_id for p in parsed)
    else:
        parsed = from_json(model, data)
        assert _non_empty(parsed), f"{name} parsed into an empty {model.__name__}"


def test_client_covers_the_examples_it_should() -> None:
    stems = {_split(n)[0] for n in RESPONSE_FILES}
    assert set(MODELS) <= stems  # no stale mapping entries


def test_unknown_fields_and_enum_values_survive() -> None:
    data = {
        "referenceNumber": "20251001-EC-220B0CE000-E228129563-96",
        "status": "Suspended",  # not a TokenStatus (yet)
        "requestedPermissions": ["InvoiceRead", "CollectiveIdentifierManage"],
        "dateCreated": "2025-07-11T12:23:56.0154302+00:00",
        "brandNewField": {"nested": [1, 2, 3]},
        "authorIdentifier": {"type": "Pesel", "value": "90010112345", "extra": True},
    }
    info = from_json(models.KsefTokenInfo, data)
    assert info.status == "Suspended" and type(info.status) is str
    assert info.requested_permissions == ["InvoiceRead", "CollectiveIdentifierManage"]
    assert info.author_identifier.type == "Pesel"
    assert info.date_created == dt.datetime(2025, 7, 11, 12, 23, 56, 15430, tzinfo=dt.UTC)
    known = from_json(models.KsefTokenInfo, {**data, "status": "Active"})
    assert known.status is models.TokenStatus.ACTIVE


def test_wrong_shapes_become_defaults_not_exceptions() -> None:
    page = from_json(models.SessionsPage, {"sessions": "oops", "continuationToken": 5})
    assert page.sessions == [] and page.continuation_token == "5"
    status = from_json(models.SessionStatus, {"status": None, "invoiceCount": "12", "upo": []})
    assert status.invoice_count == 12 and status.upo is None and status.status.code is None
    meta = from_json(
        models.InvoiceMetadata, {"netAmount": "12.50", "issueDate": "2025-08-27", "isSelfInvoicing": "no"}
    )
    assert (
        meta.net_amount == 12.5 and meta.issue_date == dt.date(2025, 8, 27) and meta.is_self_invoicing is None
    )
    assert from_json(models.SessionStatus, None).status.code is None


def test_datetimes() -> None:
    assert parse_datetime("2025-07-11T12:23:56Z") == dt.datetime(2025, 7, 11, 12, 23, 56, tzinfo=dt.UTC)
    assert parse_datetime("2025-07-11T12:23:56.123456789+02:00").microsecond == 123456
    assert parse_datetime("0001-01-01T00:00:00+00:00").year == 1
    assert parse_datetime("not a date") is None


def test_helper_translates_nullable_and_can_fail() -> None:
    """The conformance helper itself: nullable accepted, wrong types rejected."""
    v = validator_for("/sessions", "get")
    ok = json.loads((EXAMPLES / "GET_sessions__response_200.json").read_text())
    assert not list(v.iter_errors(ok))
    assert not list(v.iter_errors({**ok, "continuationToken": None}))  # nullable: true
    assert list(v.iter_errors({"sessions": "no"}))


# Where the spec's own examples disagree with its schemas: example file → every violation expected, as
# (JSON path, validator, a fragment of the message). Reported as xfail, and strict: the test fails if an
# example listed here validates (the spec was fixed: drop the entry) or breaks its schema in any other way.
_AUTH_STATUS_WITHOUT_METHOD_INFO = {("$", "required", "'authenticationMethodInfo' is a required property")}
SPEC_EXAMPLE_VIOLATIONS: dict[str, set[tuple[str, str, str]]] = {
    **{
        f"GET_auth_referenceNumber__response_200__{case}.json": _AUTH_STATUS_WITHOUT_METHOD_INFO
        for case in (
            "Kod_100_Uwierzytelnianie_w_toku",
            "Kod_200_Uwierzytelnianie_zako_czone_sukcesem",
            "Kod_400_Uwierzytelnianie_zako_czone_niepowodzeniem_B_d_weryfikacji_a_cucha_certyfikat_w",
            "Kod_400_Uwierzytelnianie_zako_czone_niepowodzeniem_Certyfikat_odwo_any",
            "Kod_400_Uwierzytelnianie_zako_czone_niepowodzeniem_Niepoprawny_certyfikat",
            "Kod_400_Uwierzytelnianie_zako_czone_niepowodzeniem_Niewa_ny_certyfikat",
            "Kod_400_Uwierzytelnianie_zako_czone_niepowodzeniem_Niezaufany_a_cuch_certyfikat_w",
            "Kod_500_Nieznany_b_d",
        )
    },
    # A provider id of 10 characters where the schema wants P + 2 letters + 6 digits (9 characters).
    "GET_peppol_query__response_200.json": {
        ("$.peppolProviders[0].id", "maxLength", "'P123456789' is too long"),
        ("$.peppolProviders[0].id", "pattern", "does not match '^P[A-Z]{2}[0-9]{6}$'"),
    },
    "GET_sessions_referenceNumber_invoices_invoiceReferenceNumber__response_200.json": {
        ("$", "required", "'invoiceHash' is a required property"),
    },
}


def _violations(validator, document: object) -> set[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return {(e.json_path, str(e.validator), e.message) for e in validator.iter_errors(document)}


def _matches(found: set[tuple[str, str, str]], expected: set[tuple[str, str, str]]) -> bool:
    """Every violation found is one expected (same path and validator, the message fragment in it),
    and every expected one was found."""

    def known(v: tuple[str, str, str], e: tuple[str, str, str]) -> bool:
        return v[0] == e[0] and v[1] == e[1] and e[2] in v[2]

    return all(any(known(v, e) for e in expected) for v in found) and all(
        any(known(v, e) for v in found) for e in expected
    )


def _example_validator(name: str):  # type: ignore[no-untyped-def]
    from tests.ksef.openapi_schema import example_file_stem, spec

    stem, status = _split(name)
    for path, ops in spec()["paths"].items():
        for method in ops:
            if example_file_stem(path, method) == stem:
                return validator_for(path, method, status=status)
    pytest.fail(f"no operation for {name}")


@pytest.mark.parametrize("name", [n for n in RESPONSE_FILES if _split(n)[1] < 300])
def test_examples_match_their_own_schema(name: str) -> None:
    """Sanity of the schema helper against the spec's own success examples. Where an example disagrees
    with its schema the test xfails, naming the violation — only that one, exactly (see above)."""
    v = _example_validator(name)
    if v is None:
        pytest.skip("no JSON schema")
    found = _violations(v, json.loads((EXAMPLES / name).read_text()))
    expected = SPEC_EXAMPLE_VIOLATIONS.get(name, set())
    assert _matches(found, expected), {"found": sorted(found), "expected": sorted(expected)}
    if expected:
        pytest.xfail(f"spec example disagrees with its schema: {sorted(e[2] for e in expected)}")


def test_every_listed_spec_violation_names_a_real_example() -> None:
    success = {n for n in RESPONSE_FILES if _split(n)[1] < 300}
    assert set(SPEC_EXAMPLE_VIOLATIONS) <= success, set(SPEC_EXAMPLE_VIOLATIONS) - success


def test_violation_matching_is_exact() -> None:
    """An unexpected violation, a missing one, or one at another path does not pass as expected."""
    v = _example_validator("GET_peppol_query__response_200.json")
    example = json.loads((EXAMPLES / "GET_peppol_query__response_200.json").read_text())
    expected = SPEC_EXAMPLE_VIOLATIONS["GET_peppol_query__response_200.json"]
    assert _matches(_violations(v, example), expected)
    fixed = copy.deepcopy(example)
    fixed["peppolProviders"][0]["id"] = "PAB123456"
    assert _violations(v, fixed) == set()
    assert not _matches(set(), expected)  # the spec was fixed: the entry must go
    worse = copy.deepcopy(example)
    worse["peppolProviders"][0]["name"] = 7
    assert not _matches(_violations(v, worse), expected)  # one more violation
    assert not _matches(_violations(v, example), expected | {("$", "required", "'x'")})


def test_paths_are_real() -> None:
    assert Path(EXAMPLES).is_dir() and len(RESPONSE_FILES) > 50
