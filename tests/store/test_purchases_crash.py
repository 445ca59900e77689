"""Crash safety of `purchases.commit_package` (issue 12: "killed (SIGKILL) ... the store opens cleanly, no
cursor ahead of stored data").

A child process commits packages in a loop and says where it is on stdout. The parent SIGKILLs it at a
point chosen deterministically: after the Nth commit, or while a commit is in progress (the child then
stops inside the package's generator, the write transaction open and part of the package written,
and waits on stdin, which the parent never writes). The store must open cleanly and hold exactly the
packages fully committed, never a part of one, with the sync state of the last of them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from purchase_helpers import invoice_xml, ksef_number, package, sync_state
from store_helpers import PASSPHRASE, client

from ksef_tui.core.purchases import SUBJECT_BUYER
from ksef_tui.store import PackageCommit, Store

PER_PACKAGE = 4
PACKAGES = 6
HERE = Path(__file__).resolve().parent

CHILD = """
import sys
from pathlib import Path

sys.path.insert(0, sys.argv[1])
from purchase_helpers import invoice_xml, purchase, sync_state
from store_helpers import PASSPHRASE

from ksef_tui.store import Store

home, cid, per, packages = Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
stop_after, stop_inside = int(sys.argv[6]), tuple(int(x) for x in sys.argv[7].split(","))


def pause(line):
    print(line, flush=True)
    sys.stdin.readline()  # the parent never writes: wait here to be killed


def stream(k):
    for i in range(per):
        if (k, i) == stop_inside:
            pause(f"inside {k} {i}")
        n = k * per + i
        yield purchase(cid, n), invoice_xml(n)
    if (k, per) == stop_inside:
        pause(f"inside {k} {per}")  # every invoice written, the state not yet


store = Store.open(home, PASSPHRASE)
print("open", flush=True)
for k in range(packages):
    store.purchases.commit_package(cid, stream(k), sync_state(cid, k))
    print(f"committed {k}", flush=True)
    if k == stop_after:
        pause(f"stopped {k}")
print("done", flush=True)
"""


def _run_and_kill(home: Path, cid: int, trigger: str, stop_after: int, stop_inside: tuple[int, int]) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD,
            str(HERE),
            str(home),
            str(cid),
            str(PER_PACKAGE),
            str(PACKAGES),
            str(stop_after),
            ",".join(map(str, stop_inside)),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    # Only a guard against a hung child (the test then fails on an empty line); never what decides.
    guard = threading.Timer(300, proc.kill)
    guard.start()
    try:
        assert proc.stdout is not None
        seen = []
        while True:
            line = proc.stdout.readline().strip()
            assert line, (
                f"the child ended before {trigger!r}: {seen} {proc.stderr.read() if proc.stderr else ''}"
            )
            seen.append(line)
            if line == trigger:
                os.kill(proc.pid, signal.SIGKILL)
                break
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
    finally:
        guard.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def _committed(n_packages: int) -> set[str]:
    return {ksef_number(n) for n in range(n_packages * PER_PACKAGE)}


@pytest.mark.parametrize(
    ("trigger", "stop_after", "stop_inside", "expected"),
    [
        ("stopped 0", 0, (-1, -1), 1),  # between commits
        ("stopped 2", 2, (-1, -1), 3),
        ("inside 1 0", -1, (1, 0), 1),  # transaction open, nothing of package 1 written yet
        ("inside 2 2", -1, (2, 2), 2),  # two of package 2's four invoices written, uncommitted
        ("inside 3 4", -1, (3, PER_PACKAGE), 3),  # all of package 3 written, its state not yet
        ("committed 3", -1, (-1, -1), None),  # the child runs on: killed somewhere after package 3
    ],
    ids=["after-1st", "after-3rd", "inside-start", "inside-middle", "inside-before-state", "running"],
)
def test_killed_while_committing_packages_the_store_holds_whole_packages_only(
    store: Store,
    home: Path,
    trigger: str,
    stop_after: int,
    stop_inside: tuple[int, int],
    expected: int | None,
) -> None:
    added = store.clients.add(client(1))
    assert added.id is not None
    cid = added.id
    store.close()

    _run_and_kill(home, cid, trigger, stop_after, stop_inside)

    with Store.open(home, PASSPHRASE) as s:
        assert s.integrity_check()
        numbers = s.purchases.numbers(cid)
        whole, rest = divmod(len(numbers), PER_PACKAGE)
        assert rest == 0, f"a part of a package was stored: {len(numbers)} invoices"
        if expected is not None:
            assert whole == expected
        else:
            assert 4 <= whole <= PACKAGES  # "committed 3" was read, so at least packages 0-3
        assert numbers == _committed(whole)
        assert set(s.documents.keys(cid, "invoice")) == _committed(whole)
        assert s.purchases.counts() == {cid: whole * PER_PACKAGE}
        # The cursor is the last committed package's: never ahead of the stored invoices, never behind.
        assert s.purchases.state(cid, SUBJECT_BUYER) == sync_state(cid, whole - 1)
        assert s.damaged == []

        # Run again from where the state says: the same final set, nothing twice.
        for k in range(PACKAGES):
            result = s.purchases.commit_package(
                cid, package(cid, range(k * PER_PACKAGE, (k + 1) * PER_PACKAGE)), sync_state(cid, k)
            )
            assert result == (PackageCommit(0, PER_PACKAGE) if k < whole else PackageCommit(PER_PACKAGE, 0))
        assert s.purchases.numbers(cid) == _committed(PACKAGES)
        assert s.documents.get(cid, "invoice", ksef_number(0)) == invoice_xml(0)
