"""Each fault kind, on demand and reproducible from its seed."""

from __future__ import annotations

import httpx
import pytest

from ksef_tui.core.clock import VirtualTime
from ksef_tui.simulator.faults import Faults, FaultState
from tests.simulator import kit
from tests.simulator.conftest import NOW, by_profile, office_token


async def _login(http, world, profile="token_and_cert"):  # type: ignore[no-untyped-def]
    nip, token = office_token(world, profile)
    tokens = await kit.login_token(http, nip, token)
    return nip, kit.bearer(tokens["accessToken"]["token"])


async def test_latency_and_spikes(app, http):  # type: ignore[no-untyped-def]
    """Latency waits through the simulator's injected sleep (here a virtual clock: no real waiting)."""
    clock = VirtualTime()
    app.state.sim.sleep = clock.sleep
    app.state.faults = Faults(latency_ms=40)
    await http.get("/security/public-key-certificates")
    assert clock.sleeps == [0.04]
    app.state.faults = Faults(latency_ms=5, latency_spike_ms=60, latency_spike_rate=1.0)
    await http.get("/security/public-key-certificates")
    assert clock.sleeps == [0.04, 0.065]


async def test_server_errors(app, http):  # type: ignore[no-untyped-def]
    app.state.faults = Faults(error_rate=1.0)
    r = await http.post("/auth/challenge")
    assert r.status_code in (500, 502, 503)
    app.state.faults = Faults()
    assert (await http.post("/auth/challenge")).status_code == 200


async def test_dropped_connection(app, http):  # type: ignore[no-untyped-def]
    app.state.faults = Faults(drop_rate=1.0)
    with pytest.raises(httpx.TransportError):
        await http.post("/auth/challenge")


def _seed_where(rate: float, pattern: list[bool]) -> int:
    """A seed whose bursts start (or not) at the first occurrences of POST /auth/challenge as given."""
    for seed in range(10_000):
        state = FaultState(Faults(seed=seed, burst_429_rate=rate))
        starts = [state._draw("POST|/auth/challenge|-", j, "burst") < rate for j in range(len(pattern))]
        if starts == pattern:
            return seed
    raise AssertionError("no such seed")


async def test_burst_of_429_then_recovery(app, http):  # type: ignore[no-untyped-def]
    rate = 0.3
    seed = _seed_where(rate, [True, False, False])
    app.state.faults = Faults(
        seed=seed, burst_429_rate=rate, burst_429_length=2, burst_retry_after=3, paths=("/auth/challenge",)
    )
    r1 = await http.post("/auth/challenge")
    assert r1.status_code == 429 and r1.headers["Retry-After"] == "3"
    assert (await http.post("/auth/challenge")).status_code == 429  # still inside the burst
    assert (await http.post("/auth/challenge")).status_code == 200
    # `paths` limits where faults apply.
    app.state.faults = Faults(error_rate=1.0, paths=("/tokens",))
    assert (await http.post("/auth/challenge")).status_code == 200


def test_faults_follow_request_identity_not_arrival_order() -> None:
    """Each context's n-th request of a kind meets the same fault whatever the other contexts do."""
    faults = Faults(seed=11, error_rate=0.3, drop_rate=0.1, burst_429_rate=0.1, latency_spike_rate=0.2)
    kinds = [("GET", "/auth/{referenceNumber}"), ("POST", "/auth/token/redeem"), ("GET", "/sessions")]

    def decisions(order: list[str]) -> dict[str, list[object]]:
        state = FaultState(faults)
        out: dict[str, list[object]] = {}
        for context in order:
            for method, route in kinds:
                out.setdefault(context, []).append(state.decide(method, route, context))
        return out

    contexts = [f"{n:010d}" for n in range(30)]
    forward, backward = decisions(contexts * 3), decisions(list(reversed(contexts)) * 3)
    assert forward == backward
    everything = [d for ds in forward.values() for d in ds]
    assert any(d.error_status for d in everything) and any(d.drop for d in everything)
    assert any(d.too_many_requests for d in everything) and any(not d.error_status for d in everything)
    # Another seed is another day.
    other = FaultState(Faults(seed=12, error_rate=0.3))
    assert [other.decide("GET", "/sessions", c) for c in contexts] != [
        FaultState(Faults(seed=11, error_rate=0.3)).decide("GET", "/sessions", c) for c in contexts
    ]


async def test_random_faults_replay_from_the_seed(app, http):  # type: ignore[no-untyped-def]
    async def run() -> list[int]:
        app.state.faults = Faults(seed=42, error_rate=0.5)
        return [(await http.get("/security/public-key-certificates")).status_code for _ in range(20)]

    first, second = await run(), await run()
    assert first == second and set(first) - {200} and 200 in first


async def test_upo_not_ready_for_first_requests(app, http, world):  # type: ignore[no-untyped-def]
    nip, h = await _login(http, world)
    session = next(s for s in world.taxpayers[nip].sessions if s.upo_pages)
    app.state.faults = Faults(upo_not_ready_requests=2)
    url = f"/sessions/{session.reference}/upo/{session.upo_pages[0].reference}"
    codes = [(await http.get(url, headers=h)).status_code for _ in range(3)]
    assert codes == [400, 400, 200]
    r = await http.get(
        f"/sessions/{session.reference}/invoices/ksef/{session.accepted[0].ksef_number}/upo", headers=h
    )
    assert r.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21178


async def test_damaged_upo_per_reference(app, http, world):  # type: ignore[no-untyped-def]
    import base64
    import hashlib

    from lxml import etree

    nip, h = await _login(http, world)
    sessions = [s for s in world.taxpayers[nip].sessions if s.upo_pages]
    victim, other = sessions[0], sessions[1]

    def url(session):  # type: ignore[no-untyped-def]
        return f"/sessions/{session.reference}/upo/{session.upo_pages[0].reference}"

    def hash_ok(r) -> bool:  # type: ignore[no-untyped-def]
        digest = base64.b64encode(hashlib.sha256(r.content).digest()).decode()
        return bool(r.headers["x-ms-meta-hash"] == digest)

    intact = await http.get(url(victim), headers=h)
    app.state.faults = Faults(damaged_upo_refs={victim.reference: "truncated"})
    cut = await http.get(url(victim), headers=h)
    assert cut.status_code == 200 and cut.content == intact.content[: len(intact.content) // 2]
    assert hash_ok(cut)
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(cut.content)
    fine = await http.get(url(other), headers=h)
    assert hash_ok(fine) and etree.fromstring(fine.content) is not None  # only the named UPO is damaged
    app.state.faults = Faults(damaged_upo_refs={victim.upo_pages[0].reference: "hash"})
    wrong = await http.get(url(victim), headers=h)
    assert wrong.content == intact.content and not hash_ok(wrong)
    r = await http.post("http://sim.test/_sim/faults", json={"damaged_upo_refs": {"x": "melted"}})
    assert r.status_code == 400


async def test_invoice_not_yet_available(app, http, world):  # type: ignore[no-untyped-def]
    nip, h = await _login(http, world)
    number = world.taxpayers[nip].purchases[0].ksef_number
    app.state.faults = Faults(invoice_not_available_requests=1)
    r = await http.get(f"/invoices/ksef/{number}", headers=h)
    assert r.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21165
    assert (await http.get(f"/invoices/ksef/{number}", headers=h)).status_code == 200


async def test_truncated_metadata(app, http, world):  # type: ignore[no-untyped-def]
    nip, h = await _login(http, world)
    app.state.faults = Faults(metadata_truncate_at=10)
    body = {
        "subjectType": "Subject2",
        "dateRange": {"dateType": "PermanentStorage", "from": "2026-01-05T00:00:00Z"},
    }
    seen: list[str] = []
    pages = 0
    while True:
        pages += 1
        r = (
            await http.post("/invoices/query/metadata", params={"pageSize": 10}, json=body, headers=h)
        ).json()
        new = [m["ksefNumber"] for m in r["invoices"] if m["ksefNumber"] not in seen]
        seen += new
        if not r["hasMore"]:
            break
        assert r["isTruncated"]
        body["dateRange"]["from"] = r["invoices"][-1]["permanentStorageDate"]
    assert pages > 1
    assert set(seen) == {
        p.ksef_number
        for p in world.taxpayers[nip].purchases
        if p.permanent_storage_date.year == 2026
        and p.permanent_storage_date.isoformat() >= "2026-01-05"
        and p.visible(NOW)  # the demo month continues after NOW: those arrive later
    }


async def test_token_revoked_mid_run(app, http, world):  # type: ignore[no-untyped-def]
    nip, token = office_token(world, "token_sunset")
    app.state.faults = Faults(revoke_token_after_auths={nip: 2})
    for _ in range(2):
        await kit.login_token(http, nip, token)
    init = await kit.start_token_auth(http, nip, token)
    status = await kit.auth_status(http, init)
    assert status["status"]["code"] == 450 and status["status"]["details"] == ["Token unieważniony"]
    assert world.token_for(nip).status == "Revoked"


async def test_authentication_stuck_or_slow(app, http, world):  # type: ignore[no-untyped-def]
    nip, token = office_token(world, "token_sunset")
    app.state.faults = Faults(auth_stuck=True)
    init = await kit.start_token_auth(http, nip, token)
    assert [(await kit.auth_status(http, init))["status"]["code"] for _ in range(3)] == [100, 100, 100]
    r = await http.post("/auth/token/redeem", headers=kit.bearer(init["authenticationToken"]["token"]))
    assert r.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21301
    app.state.faults = Faults(auth_pending_polls=2)
    init = await kit.start_token_auth(http, nip, token)
    assert [(await kit.auth_status(http, init))["status"]["code"] for _ in range(3)] == [100, 100, 200]


async def test_admin_endpoint_sets_faults(app, http):  # type: ignore[no-untyped-def]
    r = await http.post("http://sim.test/_sim/faults", json={"error_rate": 1.0, "paths": ["/auth/challenge"]})
    assert r.status_code == 200 and r.json()["error_rate"] == 1.0
    assert app.state.faults.paths == ("/auth/challenge",)
    assert (await http.post("/auth/challenge")).status_code >= 500
    r = await http.patch("http://sim.test/_sim/faults", json={"error_rate": 0.0})
    assert r.json()["paths"] == ["/auth/challenge"]
    assert (await http.post("/auth/challenge")).status_code == 200
    assert (await http.post("http://sim.test/_sim/faults", json={"nonsense": 1})).status_code == 400
    assert (await http.get("http://sim.test/_sim/faults")).json()["error_rate"] == 0.0
    assert by_profile
