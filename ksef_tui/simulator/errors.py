"""Error bodies exactly as the spec defines them (API-NOTES §17).

- 400: `ExceptionResponse` (application/json) by default, `BadRequestProblemDetails`
  (application/problem+json) when the request says `X-Error-Format: problem-details`;
- 401 / 403 / 410: problem details only (the spec lists no other content type for them);
- 429: legacy `TooManyRequestsResponse` or `TooManyRequestsProblemDetails`, with `Retry-After`.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response

# Exception codes and their descriptions from the spec's 400 tables.
DESCRIPTIONS: dict[int, str] = {
    9101: "Nieprawidłowy dokument.",
    9102: "Brak podpisu.",
    9103: "Przekroczona liczba dozwolonych podpisów.",
    9105: "Nieprawidłowy podpis.",
    21001: "Nieczytelna treść.",
    21111: "Nieprawidłowe wyzwanie autoryzacyjne.",
    21115: "Nieprawidłowy certyfikat.",
    21117: "Nieprawidłowy identyfikator podmiotu dla wskazanego typu kontekstu.",
    21155: "Przekroczono dozwoloną liczbę faktur w sesji.",
    21157: "Nieprawidłowy rozmiar części pakietu.",
    21161: "Przekroczono dozwoloną liczbę części pakietu.",
    21164: "Faktura o podanym identyfikatorze nie istnieje.",
    21165: "Faktura o podanym numerze KSeF nie jest jeszcze dostępna.",
    21173: "Brak sesji o wskazanym numerze referencyjnym.",
    21175: "Wynik zapytania o podanym identyfikatorze nie istnieje.",
    21178: "Nie znaleziono UPO dla podanych kryteriów.",
    21180: "Status sesji nie pozwala na wykonanie operacji.",
    21181: "Nieprawidłowe żądanie eksportu faktur.",
    21182: "Osiągnięto limit trwających eksportów.",
    21183: "Zakres filtrowania wykracza poza dostępny zakres danych.",
    21205: "Pakiet nie może być pusty.",
    21208: "Czas oczekiwania na requesty upload lub finish został przekroczony.",
    21217: "Nieprawidłowe kodowanie znaków.",
    21301: "Brak autoryzacji.",
    21304: "Brak uwierzytelnienia.",
    21401: "Dokument nie jest zgodny ze schemą (xsd).",
    21402: "Nieprawidłowy rozmiar pliku.",
    21403: "Nieprawidłowy skrót pliku.",
    21405: "Błąd walidacji danych wejściowych.",
    21406: "Konflikt podpisu i typu uwierzytelnienia.",
    21418: "Przekazany token kontynuacji ma nieprawidłowy format.",
    21470: "Przesłany identyfikator klucza jest nieznany lub wskazuje na wycofany klucz.",
    26001: "Nie można nadać tokenowi uprawnień których nie posiadasz.",
    26002: "Nie można wygenerować tokena dla obecnego typu kontekstu.",
}


class ApiError(Exception):
    """A 400 with one exception code (the spec's tables)."""

    def __init__(self, code: int, *details: str) -> None:
        super().__init__(f"{code}: {DESCRIPTIONS.get(code, '')} {' '.join(details)}")
        self.code = code
        self.details = [d for d in details if d]


class Unauthorized(Exception):
    def __init__(self, detail: str = "Wymagane jest uwierzytelnienie.") -> None:
        super().__init__(detail)
        self.detail = detail


class Forbidden(Exception):
    def __init__(self, reason_code: str, detail: str, security: dict | None = None) -> None:
        super().__init__(detail)
        self.reason_code = reason_code
        self.detail = detail
        self.security = security


class MissingPermissions(Forbidden):
    def __init__(self, required_any_of: list[str], present: list[str]) -> None:
        super().__init__(
            "missing-permissions",
            "Brak wymaganych uprawnień do wykonania operacji w bieżącym kontekście.",
            {"requiredAnyOfPermissions": list(required_any_of), "presentPermissions": sorted(present)},
        )


class Gone(Exception):
    def __init__(self, detail: str = "Operacja wygasła i nie jest już dostępna.") -> None:
        super().__init__(detail)
        self.detail = detail


class TooManyRequests(Exception):
    def __init__(self, retry_after: int, detail: str) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
        self.detail = detail


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _trace() -> str:
    return uuid.uuid4().hex


def wants_problem(request: Request) -> bool:
    return request.headers.get("x-error-format", "").strip().lower() == "problem-details"


def _json(body: dict, status: int, media_type: str, headers: dict | None = None) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False), status_code=status, media_type=media_type, headers=headers
    )


def api_error_response(request: Request, exc: ApiError) -> Response:
    description = DESCRIPTIONS.get(exc.code, "Błąd.")
    if wants_problem(request):
        body = {
            "title": "Bad Request",
            "status": 400,
            "instance": request.url.path,
            "detail": "Żądanie jest nieprawidłowe.",
            "errors": [{"code": exc.code, "description": description, "details": exc.details}],
            "timestamp": _now(),
            "traceId": _trace(),
        }
        return _json(body, 400, "application/problem+json")
    body = {
        "exception": {
            "exceptionDetailList": [
                {"exceptionCode": exc.code, "exceptionDescription": description, "details": exc.details}
            ],
            "referenceNumber": str(uuid.uuid4()),
            "serviceCode": f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-00",
            "serviceCtx": "srvKSEFSIM",
            "serviceName": "ksef-simulator",
            "timestamp": _now(),
        }
    }
    return _json(body, 400, "application/json")


def unauthorized_response(request: Request, exc: Unauthorized) -> Response:
    body = {
        "title": "Unauthorized",
        "status": 401,
        "detail": exc.detail,
        "instance": request.url.path,
        "traceId": _trace(),
        "timestamp": _now(),
    }
    return _json(body, 401, "application/problem+json", {"WWW-Authenticate": "Bearer"})


def forbidden_response(request: Request, exc: Forbidden) -> Response:
    body: dict = {
        "title": "Forbidden",
        "status": 403,
        "detail": exc.detail,
        "instance": request.url.path,
        "reasonCode": exc.reason_code,
        "traceId": _trace(),
        "timestamp": _now(),
    }
    if exc.security is not None:
        body["security"] = exc.security
    return _json(body, 403, "application/problem+json")


def gone_response(request: Request, exc: Gone) -> Response:
    body = {
        "title": "Gone",
        "status": 410,
        "instance": request.url.path,
        "detail": exc.detail,
        "timestamp": _now(),
        "traceId": _trace(),
    }
    return _json(body, 410, "application/problem+json")


def too_many_requests_response(path: str, problem: bool, retry_after: int, detail: str) -> Response:
    headers = {"Retry-After": str(retry_after)}
    if problem:
        body: dict = {
            "title": "Too Many Requests",
            "status": 429,
            "instance": path,
            "detail": detail,
            "timestamp": _now(),
            "traceId": _trace(),
        }
        return _json(body, 429, "application/problem+json", headers)
    body = {"status": {"code": 429, "description": "Too Many Requests", "details": [detail]}}
    return _json(body, 429, "application/json", headers)


def validation(detail: str) -> ApiError:
    return ApiError(21405, detail)
