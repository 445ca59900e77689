"""Issue 17 item 7: UPO copies outside the store are private and never written through a planted link.

Files 0600 in 0700 folders whatever the umask (folders an older version made 0755 are tightened); the
temporary file is created exclusively under a random name in the target folder and renamed over the
final name, so a symlink planted at the old fixed `.part` name, at a temporary name or at the final
name never redirects the write onto a victim file; a folder replaced by a link is refused.
"""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ksef_tui.core import safe_paths
from ksef_tui.core.demo_roster import make_roster
from ksef_tui.core.ksef_sessions import SessionFilter
from ksef_tui.core.safe_paths import UnsafeFolder, upo_parts, write_private_file
from ksef_tui.sync import upo as upo_sync
from tests.sessions.test_demo_upo import BAD_PROFILES
from tests.tui.helpers import NOW
from tests.tui.sessions_helpers import make_session_store, simulator_factory

VICTIM = b"the victim's own data\n"
UPO = b"<Potwierdzenie/>"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The common desktop umask (files 0644, folders 0755 by default), whatever the test machine's is."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    path = tmp_path / "elsewhere" / "victim.txt"
    path.parent.mkdir()
    path.write_bytes(VICTIM)
    return path


def test_upo_download_writes_0600_files_in_0700_folders(tmp_path: Path, loose_umask: None) -> None:
    store, world = make_session_store(tmp_path / "home")
    try:
        good = {e.nip for e in make_roster(NOW, 2026) if e.profile not in BAD_PROFILES}
        with_upo = {r.client_id for r in store.ksef_sessions.page(SessionFilter(), 0, 500) if r.expects_upo}
        ids = sorted(c.id for c in store.clients.list() if c.id in with_upo and c.nip in good)[:2]
        out = tmp_path / "KSeF" / "UPO"  # neither folder exists yet
        result = run_bulk(store, world, ids, out)
    finally:
        store.close()
    assert result.fetched > 1 and result.failed == 0, result.errors
    files = [p for p in out.rglob("*") if p.is_file()]
    folders = [p for p in out.rglob("*") if p.is_dir()]
    assert len(files) == result.fetched
    assert {_mode(p) for p in files} == {0o600}
    assert {_mode(p) for p in folders} == {0o700} and len(folders) >= 4  # 2 short codes, >= 1 month each
    assert _mode(out) == 0o700 and _mode(out.parent) == 0o700  # created by us
    assert not [p for p in out.rglob("*.part")] and not [p for p in out.rglob(".*")]


def run_bulk(store: Any, world: Any, ids: list[int], out: Path) -> Any:
    return asyncio.run(upo_sync.download_missing_upos(store, simulator_factory(world), ids, out, lambda: NOW))


def test_created_root_and_parents_are_0700_but_an_existing_root_is_left_alone(
    tmp_path: Path, loose_umask: None
) -> None:
    new_root = tmp_path / "a" / "b"
    write_private_file(new_root, ("X", "2026-11", "r.xml"), UPO)
    assert _mode(tmp_path / "a") == 0o700 and _mode(new_root) == 0o700
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    path = write_private_file(shared, ("X", "2026-11", "r.xml"), UPO)
    assert _mode(shared) == 0o755  # the user's own folder (say, one the team shares) keeps its mode
    assert _mode(shared / "X") == 0o700 and _mode(path) == 0o600


def test_folders_an_older_version_made_0755_are_tightened(tmp_path: Path, loose_umask: None) -> None:
    root = tmp_path / "UPO"
    (root / "ACME" / "2026-10").mkdir(parents=True)
    (root / "ACME").chmod(0o755)
    (root / "ACME" / "2026-10").chmod(0o755)
    old_file = root / "ACME" / "2026-10" / "r.xml"
    old_file.write_bytes(UPO)
    old_file.chmod(0o644)

    path = write_private_file(root, ("ACME", "2026-10", "r.xml"), UPO + b" ")

    assert _mode(root / "ACME") == 0o700 and _mode(root / "ACME" / "2026-10") == 0o700
    assert path == old_file and _mode(path) == 0o600 and path.read_bytes() == UPO + b" "


def test_symlink_at_the_old_part_name_does_not_redirect_the_write(tmp_path: Path, victim: Path) -> None:
    folder = tmp_path / "UPO"
    parts = upo_parts("ACME", NOW, "20261103-SO-1")
    target = folder.joinpath(*parts)
    target.parent.mkdir(parents=True)
    planted = target.with_name(target.name + ".part")  # where the old code wrote, following links
    planted.symlink_to(victim)

    path = write_private_file(folder, parts, UPO)

    assert victim.read_bytes() == VICTIM
    assert path == target and path.read_bytes() == UPO and not path.is_symlink()
    assert planted.is_symlink()  # left alone, not followed


def test_symlink_at_the_temporary_name_does_not_redirect_the_write(
    tmp_path: Path, victim: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even a link planted at exactly the next temporary name: O_EXCL|O_NOFOLLOW refuses it and another
    random name is taken."""
    names = iter(["guessed", "fresh"])
    monkeypatch.setattr(safe_paths.secrets, "token_hex", lambda n: next(names))
    folder = tmp_path / "UPO"
    (folder / "ACME" / "2026-11").mkdir(parents=True)
    planted = folder / "ACME" / "2026-11" / ".r.xml.guessed.part"
    planted.symlink_to(victim)

    path = write_private_file(folder, ("ACME", "2026-11", "r.xml"), UPO)

    assert victim.read_bytes() == VICTIM
    assert path.read_bytes() == UPO and _mode(path) == 0o600
    assert planted.is_symlink() and not (folder / "ACME" / "2026-11" / ".r.xml.fresh.part").exists()


def test_symlink_at_the_final_name_is_replaced_not_followed(tmp_path: Path, victim: Path) -> None:
    folder = tmp_path / "UPO"
    target = folder / "ACME" / "2026-11" / "r.xml"
    target.parent.mkdir(parents=True)
    target.symlink_to(victim)

    path = write_private_file(folder, ("ACME", "2026-11", "r.xml"), UPO)

    assert victim.read_bytes() == VICTIM
    assert not path.is_symlink() and path.read_bytes() == UPO and _mode(path) == 0o600


@pytest.mark.parametrize("level", ["short code", "month"])
def test_a_folder_replaced_by_a_link_is_refused(tmp_path: Path, victim: Path, level: str) -> None:
    folder = tmp_path / "UPO"
    folder.mkdir()
    if level == "short code":
        (folder / "ACME").symlink_to(victim.parent, target_is_directory=True)
    else:
        (folder / "ACME").mkdir()
        (folder / "ACME" / "2026-11").symlink_to(victim.parent, target_is_directory=True)
    before = sorted(p.name for p in victim.parent.iterdir())

    with pytest.raises(UnsafeFolder, match="ACME"):
        write_private_file(folder, ("ACME", "2026-11", "victim.txt"), UPO)

    assert sorted(p.name for p in victim.parent.iterdir()) == before
    assert victim.read_bytes() == VICTIM


def test_bulk_copy_reports_a_planted_folder_link_as_one_failure(tmp_path: Path, victim: Path) -> None:
    """The UPO copy goes through the same writer: a refused folder is that UPO's failure line."""
    store, world = make_session_store(tmp_path / "home")
    try:
        good = {e.nip for e in make_roster(NOW, 2026) if e.profile not in BAD_PROFILES}
        with_upo = {r.client_id for r in store.ksef_sessions.page(SessionFilter(), 0, 500) if r.expects_upo}
        ids = sorted(c.id for c in store.clients.list() if c.id in with_upo and c.nip in good)[:2]
        out = tmp_path / "UPO"
        out.mkdir()
        code = store.clients.get(ids[0]).short_code
        (out / code).symlink_to(victim.parent, target_is_directory=True)
        result = run_bulk(store, world, ids, out)
    finally:
        store.close()
    assert result.failed >= 1 and set(result.client_errors) == {ids[0]}
    assert all("nie jest folderem" in e or "dowiązaniem" in e for e in result.client_errors[ids[0]]), result
    assert [p.name for p in victim.parent.iterdir()] == ["victim.txt"]
    assert victim.read_bytes() == VICTIM
