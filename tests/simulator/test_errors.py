"""Error bodies: ExceptionResponse by default, problem details on request; pagination errors."""

from __future__ import annotations

import pytest

from tests.simulator import kit, spec
from tests.simulator.conftest import office_token


async def _headers(http, world):  # type: ignore[no-untyped-def]
    nip, token = office_token(world, "token_and_cert")
    tokens = await kit.login_token(http, nip, token)
    return nip, kit.bearer(tokens["accessToken"]["token"])


async def test_400_in_both_formats(http, world):  # type: ignore[no-untyped-def]
    _, h = await _headers(http, world)
    r = await http.get("/sessions", headers=h)  # sessionType missing
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/json")
    assert r.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21405
    r = await http.get("/sessions", headers={**h, "X-Error-Format": "problem-details"})
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["code"] == 21405 and r.json()["status"] == 400


async def test_bad_continuation_token_and_unknown_session(http, world):  # type: ignore[no-untyped-def]
    _, h = await _headers(http, world)
    r = await http.get(
        "/sessions", params={"sessionType": "Online"}, headers={**h, "x-continuation-token": "nope"}
    )
    assert r.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21418
    r = await http.get("/sessions/20260101-SO-0000000000-0000000000-00", headers=h)
    assert r.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21173
    r = await http.get("/invoices/ksef/1111111111-20260101-000000000000-00", headers=h)
    assert r.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21164


async def test_other_contexts_invoices_are_not_found(http, world):  # type: ignore[no-untyped-def]
    nip, h = await _headers(http, world)
    foreign = next(i for i in world.invoices.values() if nip not in (i.seller_nip, i.buyer_nip))
    r = await http.get(f"/invoices/ksef/{foreign.ksef_number}", headers=h)
    assert r.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21164


async def test_metadata_hwm_and_range_checks(http, world):  # type: ignore[no-untyped-def]
    _, h = await _headers(http, world)
    future = {
        "subjectType": "Subject2",
        "dateRange": {
            "dateType": "PermanentStorage",
            "from": "2026-03-02T09:29:59Z",
            "restrictToPermanentStorageHwmDate": True,
        },
    }
    r = await http.post("/invoices/query/metadata", json=future, headers=h)
    assert r.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21183
    wide = {"subjectType": "Subject2", "dateRange": {"dateType": "Issue", "from": "2025-01-01T00:00:00Z"}}
    r = await http.post("/invoices/query/metadata", json=wide, headers=h)
    assert r.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21405


def test_the_conformance_check_can_fail() -> None:
    schema = spec.response_schema("/sessions", "get", 200)
    spec.validate({"sessions": []}, schema)
    with pytest.raises(AssertionError):
        spec.validate({"sessions": [{"referenceNumber": "x"}]}, schema)
    with pytest.raises(AssertionError):
        spec.validate({"sessions": [], "surprise": 1}, schema)
