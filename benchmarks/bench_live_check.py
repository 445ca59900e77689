"""Issue 3 speed: checking 300 clients against the in-process simulator (rate limits off), against the
same number of bare httpx round trips to the same app, measured in the same run. Target: ratio ≤ 3.

Two baselines, both with the same concurrency and printed side by side:
- cheapest: as many requests as the checks made (counted from the API log), each a plain GET of
  /v2/security/public-key-certificates: no authentication, no cryptography, on either side;
- replay: the same authentication requests a check sends (challenge, encrypted token or signed
  AuthTokenRequest, status poll, redeem, permissions, token status), made with raw httpx: the payloads
  still have to be encrypted or signed, but nothing of our client stack (scheduler, retries, models,
  API log) and no store.

Run: .venv/bin/python benchmarks/bench_live_check.py [--clients 300]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from ksef_tui.core.demo_roster import make_roster
from ksef_tui.demo import Demo, seed_store
from ksef_tui.ksef.ratelimit import DEFAULT_LIMITS
from ksef_tui.simulator.app import create_app
from ksef_tui.simulator.ratelimit import RateLimitConfig
from ksef_tui.simulator.world import build_world
from ksef_tui.store import KdfLimits, Store
from ksef_tui.sync.live_checks import run_live_checks

CONCURRENCY = 8


async def bare_round_trips(app, n: int) -> float:  # type: ignore[no-untyped-def]
    gate = asyncio.Semaphore(CONCURRENCY)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as client:
        await client.get("/v2/security/public-key-certificates")  # warm the keys like the checks do

        async def one() -> None:
            async with gate:
                r = await client.get("/v2/security/public-key-certificates")
                r.raise_for_status()

        t0 = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(n)))
        return time.perf_counter() - t0


async def replay_round_trips(app, creds) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """The checks' own requests, sent with raw httpx; returns (seconds, requests)."""
    from ksef_tui.core.models import CredentialKind, token_reference
    from ksef_tui.ksef.auth import encrypt_ksef_token
    from ksef_tui.ksef.crypto import load_public_key
    from ksef_tui.ksef.xades import build_auth_token_request, sign_xades

    gate = asyncio.Semaphore(CONCURRENCY)
    count = 0
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim/v2") as http:
        keys = (await http.get("/security/public-key-certificates")).json()
        token_key = load_public_key(
            next(k for k in keys if "KsefTokenEncryption" in k["usage"])["certificate"]
        )

        async def call(method: str, url: str, **kw):  # type: ignore[no-untyped-def]
            nonlocal count
            count += 1
            return await http.request(method, url, **kw)

        async def one(nip: str, cred) -> None:  # type: ignore[no-untyped-def]
            async with gate:
                challenge = (await call("POST", "/auth/challenge")).json()
                if cred.kind is CredentialKind.KSEF_TOKEN:
                    body = {
                        "challenge": challenge["challenge"],
                        "contextIdentifier": {"type": "Nip", "value": nip},
                        "encryptedToken": encrypt_ksef_token(
                            cred.secret, challenge["timestampMs"], token_key
                        ),
                    }
                    init = await call("POST", "/auth/ksef-token", json=body)
                else:
                    doc = build_auth_token_request(challenge["challenge"], nip)
                    signed = sign_xades(doc, cred.certificate_pem, cred.secret)
                    init = await call(
                        "POST",
                        "/auth/xades-signature",
                        content=signed,
                        headers={"Content-Type": "application/xml"},
                    )
                if init.status_code >= 400:
                    return
                data = init.json()
                auth = {"Authorization": f"Bearer {data['authenticationToken']['token']}"}
                while True:
                    status = (await call("GET", f"/auth/{data['referenceNumber']}", headers=auth)).json()
                    if status["status"]["code"] != 100:
                        break
                if status["status"]["code"] != 200:
                    return
                tokens = (await call("POST", "/auth/token/redeem", headers=auth)).json()
                access = {"Authorization": f"Bearer {tokens['accessToken']['token']}"}
                await call(
                    "POST",
                    "/permissions/query/personal/grants",
                    params={"pageSize": 100},
                    json={"permissionState": "Active"},
                    headers=access,
                )
                reference = token_reference(cred.secret) if cred.kind is CredentialKind.KSEF_TOKEN else None
                if reference:
                    await call("GET", f"/tokens/{reference}", headers=access)

        t0 = time.perf_counter()
        await asyncio.gather(*(one(nip, cred) for nip, cred in creds))
        return time.perf_counter() - t0, count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=300)
    args = parser.parse_args()
    now = datetime.now(UTC)
    roster = make_roster(now, 11, extra_healthy=args.clients - 21)[: args.clients]
    world = build_world(seed=11, now=now, roster=roster)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.create(Path(tmp) / "s", "bench passphrase", kdf=KdfLimits.FAST_FOR_TESTS)
        seed_store(store, roster, world, now)
        demo = Demo(Path(tmp) / "s", roster, world, now)
        factory = demo.ksef_factory(rate_limits=RateLimitConfig(enabled=False))
        ids = [c.id for c in store.clients.list()]
        creds = sum(len(v) for v in store.credentials.all().values())

        async def run_checks() -> float:
            # Warm up outside the timing, as the bare run does: the simulator derives its MF keys once,
            # and the client fetches and caches them once.
            warm = store.clients.list()[0]
            async with factory(warm) as ksef:
                await ksef.public_keys.certificates(ksef.core)
            t0 = time.perf_counter()
            await run_live_checks(store, factory, ids, lambda: datetime.now(UTC), concurrency=CONCURRENCY)
            return time.perf_counter() - t0

        ours = asyncio.run(run_checks())
        requests = len(factory.api_log.recent(None, 10**9))
        app = create_app(world, rate_limits=RateLimitConfig(enabled=False))
        bare = asyncio.run(bare_round_trips(app, requests))
        by_client = {c.id: c for c in store.clients.list()}
        usable = [(by_client[cid].nip, c) for cid, cs in store.credentials.all().items() for c in cs]
        usable = [(nip, c) for nip, c in usable if c.secret]
        replay, replayed = asyncio.run(
            replay_round_trips(create_app(world, rate_limits=RateLimitConfig(enabled=False)), usable)
        )
        store.close()
    print(f"clients: {len(ids)}, credentials checked: {creds}, HTTP requests made: {requests}")
    print(f"live checks: {ours:.2f} s ({ours / len(ids) * 1000:.1f} ms per client)")
    print(f"bare httpx round trips ({requests}, same app, same concurrency): {bare:.2f} s")
    print(f"ratio checks/bare: {ours / bare:.2f}  (target ≤ 3)")
    print(f"replay of the same auth requests with raw httpx ({replayed} requests): {replay:.2f} s")
    print(f"ratio checks/replay: {ours / replay:.2f}  (target ≤ 3)")
    # KSeF counts the challenge per office IP (API-NOTES §16, 60/s): no client may start logins faster,
    # whatever its concurrency. The replay above ignores that limit; the checks keep it.
    floor = creds / DEFAULT_LIMITS["auth"].per_second
    print(f"floor set by KSeF's 60 challenges/s per IP ({creds} logins): {floor:.2f} s")
    print(f"ratio checks/floor: {ours / floor:.2f}")


if __name__ == "__main__":
    main()
