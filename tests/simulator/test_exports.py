"""Export scenarios of purchase-invoice sync (issue 12 item 9), each observed through the HTTP API:
truncated and empty packages, the HWM (present or omitted), 420, stuck exports and 21182, 210/410 on
the movable clock, growing Retry-After, damaged parts and hostile packages, inclusive window bounds."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from datetime import datetime, timedelta

import pytest
from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ksef_tui.core.clock import fixed_clock
from ksef_tui.simulator import exports
from ksef_tui.simulator.app import create_app
from ksef_tui.simulator.arrivals import add_purchases
from ksef_tui.simulator.clock import SimClock
from ksef_tui.simulator.faults import Faults
from ksef_tui.simulator.ratelimit import RateLimitConfig
from ksef_tui.simulator.refs import iso
from ksef_tui.simulator.world import World
from tests.simulator import kit
from tests.simulator.conftest import NOW, office_token

# A quiet hour after the demo month's last arrival (NOW + 14 days), where each test places its invoices.
QUIET = NOW + timedelta(days=15)


class Sim:
    """One movable-clock simulator app with a logged-in client (the office's token for a demo client)."""

    def __init__(self, world: World, faults: Faults | None = None) -> None:
        self.world = world
        self.clock = SimClock(fixed_clock(NOW))
        self.app = create_app(
            world, rate_limits=RateLimitConfig(enabled=False), clock=self.clock, faults=faults or Faults()
        )
        self.nip, self.token = office_token(world, "token_and_cert")
        self.h: dict[str, str] = {}
        self.last_ref = ""

    async def __aenter__(self) -> Sim:
        self.http = kit.client(self.app, kit.Conformance())
        await self.http.__aenter__()
        await self.login()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.__aexit__(None, None, None)

    async def login(self) -> None:
        tokens = await kit.login_token(self.http, self.nip, self.token)
        self.h = kit.bearer(tokens["accessToken"]["token"])

    async def at(self, when: datetime) -> None:
        """Move the clock (over HTTP, as an e2e test does) and log in again (tokens expire)."""
        r = await self.http.post("http://sim.test/_sim/clock", json={"now": when.isoformat()})
        assert r.status_code == 200
        await self.login()

    def add(self, count: int, start: datetime, **kw: object) -> list:  # type: ignore[type-arg]
        return add_purchases(self.world, self.nip, count, now=self.clock(), storage_from=start, **kw)  # type: ignore[arg-type]

    async def start(self, start: datetime, to: datetime | None = None, restrict: bool = True) -> tuple:  # type: ignore[type-arg]
        enc, key, iv = await kit.encryption(self.http)
        rng: dict = {"dateType": "PermanentStorage", "from": iso(start)}
        if to is not None:
            rng["to"] = iso(to)
        if restrict:
            rng["restrictToPermanentStorageHwmDate"] = True
        body = {"encryption": enc, "filters": {"subjectType": "Subject2", "dateRange": rng}}
        r = await self.http.post("/invoices/exports", json=body, headers=self.h)
        return r, key, iv

    async def status(self, ref: str) -> dict:
        r = await self.http.get(f"/invoices/exports/{ref}", headers=self.h)
        assert r.status_code in (200, 410), r.text
        return r.json() | {"_http": r.status_code}

    async def export(self, start: datetime, to: datetime | None = None) -> tuple[dict, bytes, bytes]:
        r, key, iv = await self.start(start, to)
        assert r.status_code == 201, r.text
        ref = self.last_ref = r.json()["referenceNumber"]
        for _ in range(5):
            done = await self.status(ref)
            if done["status"]["code"] != 100:
                return done, key, iv
        raise AssertionError("export still processing")

    async def blobs(self, done: dict) -> list[bytes]:
        async with kit.client(self.app) as bare:
            return [(await bare.get(p["url"])).content for p in done["package"]["parts"]]

    async def files(self, done: dict, key: bytes, iv: bytes) -> dict[str, bytes]:
        archive = b"".join(kit.aes_decrypt(key, iv, b) for b in await self.blobs(done))
        with zipfile.ZipFile(io.BytesIO(archive)) as zf:
            return {name: zf.read(name) for name in zf.namelist()}


def numbers(files: dict[str, bytes]) -> set[str]:
    return {m["ksefNumber"] for m in json.loads(files["_metadata.json"])["invoices"]}


async def test_truncated_package_and_continuation(world: World) -> None:
    async with Sim(world, Faults(export_truncate_at=3, metadata_truncate_at=1000)) as sim:
        made = sim.add(5, QUIET, spacing_seconds=60)
        await sim.at(QUIET + timedelta(hours=1))
        done, key, iv = await sim.export(QUIET)
        package = done["package"]
        assert package["isTruncated"] and package["invoiceCount"] == 3
        assert package["lastPermanentStorageDate"] == iso(made[2].permanent_storage_date)
        assert package["permanentStorageHwmDate"] > package["lastPermanentStorageDate"]
        first = numbers(await sim.files(done, key, iv))
        # The next window starts at lastPermanentStorageDate: the boundary invoice comes twice.
        rest, key, iv = await sim.export(made[2].permanent_storage_date)
        second = numbers(await sim.files(rest, key, iv))
    assert not rest["package"]["isTruncated"]
    assert first == {i.ksef_number for i in made[:3]}
    assert second == {i.ksef_number for i in made[2:]}


async def test_metadata_cap_does_not_cut_exports(world: World) -> None:
    async with Sim(world, Faults(metadata_truncate_at=2)) as sim:
        sim.add(4, QUIET)
        await sim.at(QUIET + timedelta(hours=1))
        done, _key, _iv = await sim.export(QUIET)
    assert done["package"]["invoiceCount"] == 4 and not done["package"]["isTruncated"]


async def test_duplicates_across_windows_from_inclusive_bounds(world: World) -> None:
    async with Sim(world) as sim:
        made = sim.add(3, QUIET, spacing_seconds=600)
        await sim.at(QUIET + timedelta(hours=2))
        edge = made[1].permanent_storage_date
        one, k1, iv1 = await sim.export(QUIET - timedelta(seconds=1), edge)
        two, k2, iv2 = await sim.export(edge)
        a, b = numbers(await sim.files(one, k1, iv1)), numbers(await sim.files(two, k2, iv2))
    assert a & b == {made[1].ksef_number}
    assert a | b == {i.ksef_number for i in made}


@pytest.mark.parametrize("omit", [False, True])
async def test_empty_package_with_and_without_hwm(world: World, omit: bool) -> None:
    async with Sim(world, Faults(export_omit_hwm=omit)) as sim:
        await sim.at(QUIET + timedelta(hours=1))
        done, key, iv = await sim.export(QUIET)
        files = await sim.files(done, key, iv)
    assert done["package"]["invoiceCount"] == 0 and json.loads(files["_metadata.json"]) == {"invoices": []}
    if omit:
        assert "permanentStorageHwmDate" not in done["package"]
    else:
        assert done["package"]["permanentStorageHwmDate"] == iso(
            QUIET + timedelta(hours=1) - timedelta(minutes=2)
        )


async def test_from_beyond_the_hwm_is_420(world: World) -> None:
    async with Sim(world) as sim:
        done, _key, _iv = await sim.export(NOW - timedelta(seconds=30))
        # A late invoice lowers the HWM below an otherwise fine `from`.
        sim.add(1, NOW - timedelta(minutes=10), visible_after_seconds=3600)
        late, _key, _iv = await sim.export(NOW - timedelta(minutes=5))
    assert done["status"]["code"] == 420 and done["status"]["details"]
    assert late["status"]["code"] == 420


async def test_stuck_exports_then_21182(world: World) -> None:
    async with Sim(world, Faults(export_stuck=True)) as sim:
        refs = []
        for _ in range(exports.MAX_RUNNING):
            r, _key, _iv = await sim.start(NOW - timedelta(days=1))
            assert r.status_code == 201
            refs.append(r.json()["referenceNumber"])
        for _ in range(3):
            assert (await sim.status(refs[0]))["status"]["code"] == 100
        refused, _key, _iv = await sim.start(NOW - timedelta(days=1))
    assert refused.status_code == 400
    assert refused.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21182


async def test_expired_package_210_and_gone_410_follow_the_clock(world: World) -> None:
    async with Sim(world) as sim:
        done, _key, _iv = await sim.export(NOW - timedelta(days=1))
        ref = sim.last_ref
        assert done["status"]["code"] == 200
        await sim.at(NOW + exports.PACKAGE_LIFETIME - timedelta(seconds=1))
        assert (await sim.status(ref))["status"]["code"] == 200
        await sim.at(NOW + exports.PACKAGE_LIFETIME + timedelta(seconds=1))
        expired = await sim.status(ref)
        await sim.at(NOW + exports.RETENTION + timedelta(seconds=1))
        gone = await sim.status(ref)
    assert expired["status"]["code"] == 210 and "package" not in expired
    assert gone["_http"] == 410


async def test_export_starts_refused_with_growing_retry_after(world: World) -> None:
    async with Sim(world, Faults(export_429_starts=4)) as sim:
        waits = []
        for _ in range(4):
            r, _key, _iv = await sim.start(NOW - timedelta(days=1))
            assert r.status_code == 429
            waits.append(int(r.headers["retry-after"]))
        ok, _key, _iv = await sim.start(NOW - timedelta(days=1))
    assert waits == [1, 2, 4, 8]
    assert ok.status_code == 201


async def test_part_with_wrong_declared_hash(world: World) -> None:
    async with Sim(world, Faults(export_part_hash_wrong=True)) as sim:
        done, key, iv = await sim.export(NOW - timedelta(days=3))
        (blob,) = await sim.blobs(done)
    (part,) = done["package"]["parts"]
    assert kit.sha(blob) != part["encryptedPartHash"]
    assert kit.sha(kit.aes_decrypt(key, iv, blob)) == part["partHash"]  # the bytes themselves are fine


async def test_part_damaged_after_hashing(world: World) -> None:
    async with Sim(world, Faults(export_part_damaged=True)) as sim:
        done, key, iv = await sim.export(NOW - timedelta(days=3))
        (blob,) = await sim.blobs(done)
    (part,) = done["package"]["parts"]
    assert kit.sha(blob) == part["encryptedPartHash"]  # storage hashed what it holds
    raw = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    plain = raw.update(blob) + raw.finalize()
    unpadder = sym_padding.PKCS7(128).unpadder()
    try:
        plain = unpadder.update(plain) + unpadder.finalize()
    except ValueError:
        return  # padding mismatch: detected
    assert kit.sha(plain) != part["partHash"]


@pytest.mark.parametrize("kind", ["traversal", "bomb", "bad-metadata", "hash-mismatch"])
async def test_hostile_packages(world: World, kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "BOMB_BYTES", 16 * 1024 * 1024)
    async with Sim(world, Faults(export_hostile=kind)) as sim:
        sim.add(2, QUIET)
        await sim.at(QUIET + timedelta(hours=1))
        done, key, iv = await sim.export(QUIET)
        archive = b"".join(kit.aes_decrypt(key, iv, b) for b in await sim.blobs(done))
    zf = zipfile.ZipFile(io.BytesIO(archive))
    names = zf.namelist()
    if kind == "traversal":
        assert "../evil.xml" in names
        return
    if kind == "bad-metadata":
        with pytest.raises(ValueError):
            json.loads(zf.read("_metadata.json"))
        return
    meta = {m["ksefNumber"]: m for m in json.loads(zf.read("_metadata.json"))["invoices"]}
    first = min(meta.values(), key=lambda m: m["permanentStorageDate"])["ksefNumber"]
    if kind == "bomb":
        info = zf.getinfo(f"{first}.xml")
        assert info.file_size == 16 * 1024 * 1024 and info.file_size / info.compress_size > 200
        return
    body = zf.read(f"{first}.xml")
    assert kit.sha(body) != meta[first]["invoiceHash"]
    others = [n for n in meta if n != first]
    assert all(kit.sha(zf.read(f"{n}.xml")) == meta[n]["invoiceHash"] for n in others)


async def test_bomb_in_a_tar_package(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "BOMB_BYTES", 4 * 1024 * 1024)
    async with Sim(world, Faults(export_hostile="bomb")) as sim:
        await sim.at(QUIET + timedelta(hours=1))
        enc, key, iv = await kit.encryption(sim.http)
        body = {
            "encryption": enc,
            "compressionType": "TarGz",
            "filters": {
                "subjectType": "Subject2",
                "dateRange": {"dateType": "PermanentStorage", "from": iso(QUIET)},
            },
        }
        ref = (await sim.http.post("/invoices/exports", json=body, headers=sim.h)).json()["referenceNumber"]
        await sim.status(ref)
        done = await sim.status(ref)
        archive = b"".join(kit.aes_decrypt(key, iv, b) for b in await sim.blobs(done))
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        sizes = {m.name: m.size for m in tar.getmembers()}
    assert sizes["bomb.xml"] == 4 * 1024 * 1024 and len(archive) < 64 * 1024


def test_unknown_hostile_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="export_hostile"):
        Faults.from_json({"export_hostile": "melted"})


async def test_export_faults_set_over_http(world: World) -> None:
    async with Sim(world) as sim:
        r = await sim.http.patch(
            "http://sim.test/_sim/faults", json={"export_omit_hwm": True, "hwm_lag_seconds": 300}
        )
        assert r.status_code == 200 and r.json()["export_omit_hwm"] is True
        done, _key, _iv = await sim.export(NOW - timedelta(days=1))
        metadata = await sim.http.post(
            "/invoices/query/metadata",
            json={"subjectType": "Subject2", "dateRange": {"dateType": "PermanentStorage", "from": iso(NOW)}},
            headers=sim.h,
        )
        bad = await sim.http.patch("http://sim.test/_sim/faults", json={"export_hostile": "melted"})
    assert "permanentStorageHwmDate" not in done["package"]
    assert metadata.json()["permanentStorageHwmDate"] == iso(NOW - timedelta(seconds=300))
    assert bad.status_code == 400
