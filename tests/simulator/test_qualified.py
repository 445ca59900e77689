"""`POST /_sim/qualified` (issue 11): a qualified test seal on demand for any taxpayer of the world, so a
test against the standalone simulator can act as a client's owner (grant or revoke the office's
permissions in the client's own context) as the client would with its qualified signature."""

from __future__ import annotations

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from ksef_tui.simulator.keys import subject_nip
from ksef_tui.simulator.world import World
from tests.simulator import kit
from tests.simulator.conftest import by_profile

QUALIFIED = "http://sim.test/_sim/qualified"


async def test_a_seal_on_demand_acts_as_the_clients_owner(http: httpx.AsyncClient, world: World) -> None:
    tp = by_profile(world, "expiring_10")  # granted the office InvoiceRead + InvoiceWrite
    r = await http.post(QUALIFIED, json={"nip": tp.nip})
    assert r.status_code == 201 and r.headers["content-type"] == "application/x-pkcs12"
    key, cert, _extra = pkcs12.load_key_and_certificates(r.content, None)
    assert key is not None and cert is not None and subject_nip(cert) == tp.nip
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    tokens = await kit.login_xades(http, tp.nip, cert_pem, key_pem)
    h = kit.bearer(tokens["accessToken"]["token"])
    office = [g for g in world.grants if g.context_nip == tp.nip and g.subject_nip == world.office_nip]
    assert {g.permission for g in office} == {"InvoiceRead", "InvoiceWrite"}
    for grant in office:  # the owner's CredentialsManage: the office's grant revoked in its context
        assert (await http.delete(f"/permissions/common/grants/{grant.id}", headers=h)).status_code == 202
    assert not [g for g in world.grants if g.context_nip == tp.nip and g.subject_nip == world.office_nip]


async def test_only_for_taxpayers_of_the_world(http: httpx.AsyncClient, world: World) -> None:
    office = await http.post(QUALIFIED, json={"nip": world.office_nip})
    assert office.status_code == 201
    _key, cert, _extra = pkcs12.load_key_and_certificates(office.content, None)
    assert cert is not None and subject_nip(cert) == world.office_nip
    stranger = "5260250274"
    assert stranger not in world.taxpayers
    assert (await http.post(QUALIFIED, json={"nip": stranger})).status_code == 404
    assert (await http.post(QUALIFIED, json={"nip": 5260250274})).status_code == 404
    assert (await http.post(QUALIFIED, content=b"[")).status_code == 400
