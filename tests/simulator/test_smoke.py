from __future__ import annotations

from tests.simulator import kit
from tests.simulator.conftest import office_token, own_certificate


async def test_token_login_and_lists(http, world, conformance):  # type: ignore[no-untyped-def]
    nip, token = office_token(world, "token_and_cert")
    tokens = await kit.login_token(http, nip, token)
    h = kit.bearer(tokens["accessToken"]["token"])
    r = await http.get("/sessions", params={"sessionType": "Online"}, headers=h)
    assert r.status_code == 200, r.text
    r = await http.post("/permissions/query/personal/grants", json={}, headers=h)
    assert r.status_code == 200 and r.json()["permissions"]
    r = await http.get("/tokens", headers=h)
    assert r.status_code == 200 and r.json()["tokens"]


async def test_xades_login(http, world):  # type: ignore[no-untyped-def]
    nip, cert = own_certificate(world, "cert_600")
    tokens = await kit.login_xades(http, nip, cert.certificate_pem, cert.private_key_pem)
    h = kit.bearer(tokens["accessToken"]["token"])
    r = await http.get("/sessions", params={"sessionType": "Batch"}, headers=h)
    assert r.status_code == 200, r.text
