"""Issue 17 item 7: killed demo runs leave `ksef-tui-demo-*` folders behind; the next demo start removes
the stale ones (ours, not in use) and keeps every folder a live run uses, or that is not ours."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ksef_tui import demo as demo_module
from ksef_tui.demo import DEMO_PREFIX, LOCK_NAME, UNLOCKED_MAX_AGE, clean_stale_demos, prepare_demo
from ksef_tui.store import KdfLimits

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


def _dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _killed_run(tmp: Path, name: str) -> Path:
    """What a demo run killed with -9 leaves: its folder, a store in it, a lock file nobody holds."""
    folder = tmp / f"{DEMO_PREFIX}{name}"
    folder.mkdir(mode=0o700)
    (folder / "ksef-tui.db").write_bytes(b"sealed")
    (folder / LOCK_NAME).write_text(str(_dead_pid()))
    return folder


def test_next_demo_start_removes_a_killed_runs_folder_and_keeps_a_live_one(tmp_path: Path) -> None:
    stale = _killed_run(tmp_path, "killed")
    live = prepare_demo(NOW, kdf=KdfLimits.FAST_FOR_TESTS, tmp_dir=tmp_path)
    try:
        assert live.home.parent == tmp_path and live.home.name.startswith(DEMO_PREFIX)
        assert not stale.exists()
        assert (live.home / LOCK_NAME).read_text() == str(os.getpid())

        # A second start (another run, while the first one still runs) keeps the live folder.
        second = prepare_demo(NOW, kdf=KdfLimits.FAST_FOR_TESTS, tmp_dir=tmp_path)
        try:
            assert live.home.exists() and (live.home / "ksef-tui.db").exists()
        finally:
            second.cleanup()
        assert not second.home.exists()
    finally:
        live.cleanup()
    assert not live.home.exists()


def test_a_held_lock_keeps_the_folder_even_when_its_pid_looks_dead(tmp_path: Path) -> None:
    """The lock (flock, released by the kernel when its holder dies) is what says "in use"."""
    pytest.importorskip("fcntl")
    import fcntl

    folder = _killed_run(tmp_path, "held")
    fd = os.open(folder / LOCK_NAME, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert clean_stale_demos(tmp_path) == []
        assert folder.exists()
    finally:
        os.close(fd)
    assert clean_stale_demos(tmp_path) == [folder]


def test_unlocked_folder_with_a_live_pid_is_kept(tmp_path: Path) -> None:
    """Between creating its lock file and locking it, a starting run is alive: never removed then."""
    folder = _killed_run(tmp_path, "starting")
    (folder / LOCK_NAME).write_text(str(os.getpid()))
    assert clean_stale_demos(tmp_path) == [] and folder.exists()


def test_folder_without_a_lock_file_is_removed_only_when_clearly_abandoned(tmp_path: Path) -> None:
    old = tmp_path / f"{DEMO_PREFIX}before-the-lock"
    old.mkdir()
    young = tmp_path / f"{DEMO_PREFIX}just-made"
    young.mkdir()
    now = 2_000_000_000.0
    os.utime(old, (now - UNLOCKED_MAX_AGE - 60, now - UNLOCKED_MAX_AGE - 60))
    os.utime(young, (now - 5, now - 5))
    assert clean_stale_demos(tmp_path, clock=lambda: now) == [old]
    assert young.exists() and not old.exists()


def test_only_our_folders_are_touched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("mine")
    (tmp_path / f"{DEMO_PREFIX}link").symlink_to(victim, target_is_directory=True)
    (tmp_path / f"{DEMO_PREFIX}file").write_text("not a folder")
    other_prefix = _killed_run(tmp_path, "x").rename(tmp_path / "ksef-tui-other-x")
    foreign = _killed_run(tmp_path, "foreign")
    real_lstat = Path.lstat

    def lstat(self: Path) -> os.stat_result:  # `foreign` belongs to another user
        st = real_lstat(self)
        if self == foreign:
            fields = list(st)
            fields[4] = os.geteuid() + 1  # st_uid
            return os.stat_result(fields)
        return st

    monkeypatch.setattr(Path, "lstat", lstat)
    assert clean_stale_demos(tmp_path) == []
    assert (victim / "keep.txt").read_text() == "mine"
    assert other_prefix.exists() and foreign.exists()
    assert (tmp_path / f"{DEMO_PREFIX}file").exists()


def test_a_failed_demo_start_leaves_no_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("seeding failed")

    monkeypatch.setattr(demo_module, "seed_store", broken)
    with pytest.raises(RuntimeError):
        prepare_demo(NOW, kdf=KdfLimits.FAST_FOR_TESTS, tmp_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []
