"""Both error formats become typed exceptions; messages are Polish and never carry secrets."""

from __future__ import annotations

import json

import httpx
import pytest

from ksef_tui.ksef import errors
from tests.ksef.fakes import exception_response, problem_400


def _err(response: httpx.Response) -> errors.KsefHttpError:
    return errors.error_from_response(response.status_code, response.content, response.headers)


def test_legacy_exception_response() -> None:
    err = _err(exception_response(21405, "Błąd walidacji danych wejściowych.", ["pageSize: za duży"]))
    assert isinstance(err, errors.BadRequest)
    assert (err.status, err.code, err.codes) == (400, 21405, (21405,))
    assert err.details == ["pageSize: za duży"]
    assert "21405" in str(err) and "pageSize" in str(err)


def test_problem_details_400_with_several_errors() -> None:
    body = json.loads(problem_400(21157).content)
    body["errors"].insert(0, {"code": 21405, "description": "Błąd walidacji", "details": ["x"]})
    err = errors.error_from_response(
        400, json.dumps(body).encode(), {"content-type": "application/problem+json"}
    )
    assert err.codes == (21405, 21157)
    assert isinstance(err, errors.BadRequest)


def test_missing_permissions_names_required_and_present() -> None:
    body = {
        "title": "Forbidden",
        "status": 403,
        "detail": "Brak wymaganych uprawnień.",
        "reasonCode": "missing-permissions",
        "security": {
            "requiredAnyOfPermissions": ["InvoiceRead", "Introspection"],
            "presentPermissions": ["InvoiceWrite"],
        },
        "timestamp": "2026-03-02T09:00:00Z",
    }
    err = errors.error_from_response(403, json.dumps(body).encode())
    assert isinstance(err, errors.MissingPermissions)
    assert err.required_permissions == ["InvoiceRead", "Introspection"]
    assert err.present_permissions == ["InvoiceWrite"]
    # People read the permissions in words (issue 16 item 2), sorted: "przeglądanie faktur, ..."
    assert "przeglądanie sesji, przeglądanie faktur" in str(err) and "wystawianie faktur" in str(err)
    assert "InvoiceRead" not in str(err)


def test_other_forbidden_reason() -> None:
    body = {
        "title": "Forbidden",
        "status": 403,
        "detail": "x",
        "reasonCode": "ip-not-allowed",
        "security": {"clientIp": "192.0.2.1"},
        "timestamp": "2026-03-02T09:00:00Z",
    }
    err = errors.error_from_response(403, json.dumps(body).encode())
    assert type(err) is errors.Forbidden and err.reason_code == "ip-not-allowed"


@pytest.mark.parametrize(
    "body",
    [
        {
            "status": {
                "code": 429,
                "description": "Too Many Requests",
                "details": ["Spróbuj ponownie po 30 sekundach."],
            }
        },
        {
            "title": "Too Many Requests",
            "status": 429,
            "instance": "/x",
            "detail": "Przekroczono limit.",
            "timestamp": "2026-03-02T09:00:00Z",
            "traceId": "t",
        },
    ],
)
def test_429_both_formats(body: dict) -> None:
    err = errors.error_from_response(429, json.dumps(body).encode(), {"Retry-After": "30"})
    assert isinstance(err, errors.RateLimited) and err.retry_after == 30.0 and err.status == 429


def test_retry_after_http_date() -> None:
    assert errors.parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now_epoch=1445412480.0) == 30.0
    assert errors.parse_retry_after("garbage") is None
    assert errors.parse_retry_after(None) is None


def test_gone_unauthorized_server_and_unknown_bodies() -> None:
    assert isinstance(errors.error_from_response(410, b'{"title":"Gone","status":410}'), errors.Gone)
    assert isinstance(errors.error_from_response(401, b""), errors.Unauthorized)
    assert isinstance(errors.error_from_response(503, b"<html>down</html>"), errors.ServerError)
    weird = errors.error_from_response(418, b'{"unexpected": [1, 2]}')
    assert isinstance(weird, errors.KsefHttpError) and weird.status == 418


def test_messages_are_polish(monkeypatch) -> None:
    """With the Polish catalogue (built from the .po sources) the explanation is in Polish."""
    import gettext
    import io
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
    try:
        import i18n as tool  # scripts/i18n.py
    finally:
        sys.path.pop(0)
    catalogue = gettext.GNUTranslations(io.BytesIO(tool.mo_bytes("pl")))
    import ksef_tui.core.i18n as i18n

    monkeypatch.setattr(i18n, "_translations", catalogue)
    err = _err(exception_response(21178, "Nie znaleziono UPO"))
    assert "UPO" in err.explanation and "jeszcze" in err.explanation
    auth = errors.auth_status_error(450, "Nieprawidłowy token")
    assert "token" in auth.explanation.lower() and "KSeF" in auth.explanation
    assert auth.explanation != errors.AUTH_STATUS_EXPLANATIONS[450]


def test_every_message_has_a_polish_translation() -> None:
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "scripts/i18n.py", "check"], cwd=root, capture_output=True, text=True
    )
    mine = [line for line in out.stdout.splitlines() if line.strip()]
    from babel.messages.extract import extract_from_dir

    ksef_ids = {
        m if isinstance(m, str) else m[0]
        for _f, _l, m, _c, _x in extract_from_dir(
            str(root / "ksef_tui" / "ksef"),
            method_map=[("**.py", "python")],
            keywords={"_": None, "N_": None},
        )
    }
    untranslated_here = [line for line in mine if any(repr(i) in line for i in ksef_ids)]
    assert ksef_ids, "extraction found nothing: the check would be vacuous"
    assert untranslated_here == []


def test_secrets_never_in_exception_text() -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl"
    err = _err(exception_response(21301, f"Token {jwt} nieprawidłowy", [f"Authorization: Bearer {jwt}"]))
    for text in (str(err), repr(err), err.explanation, *err.details, *err.descriptions):
        assert jwt not in text
