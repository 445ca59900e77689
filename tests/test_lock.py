"""The lock files pin every dependency pyproject.toml names, inside pyproject's ranges (issue 8 item 1).

`make` installs requirements/lock.txt, never pyproject's ranges; this test (no network) catches a
dependency added to pyproject.toml without `make lock`, or a lock edited out of the ranges.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements"


@dataclass(frozen=True)
class Pin:
    name: str
    version: Version
    marker: Marker | None
    hashes: int


def parse_lock(text: str) -> list[Pin]:
    """The `name==version [; marker]` entries of a uv/pip-tools lock, with their hash counts."""
    logical: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.split("#", 1)[0] if not raw.lstrip().startswith("--hash") else raw
        line = line.strip()
        if not line:
            continue
        current += " " + line.removesuffix("\\").strip()
        if not line.endswith("\\"):
            logical.append(current.strip())
            current = ""
    if current.strip():
        logical.append(current.strip())
    pins: list[Pin] = []
    for entry in logical:
        parts = entry.split()
        hashes = sum(1 for p in parts if p.startswith("--hash="))
        spec = " ".join(p for p in parts if not p.startswith("--hash="))
        req = Requirement(spec)
        (clause,) = req.specifier
        assert clause.operator == "==", f"not an exact pin: {entry!r}"
        pins.append(Pin(canonicalize_name(req.name), Version(clause.version), req.marker, hashes))
    return pins


def problems(declared: list[str], pins: list[Pin]) -> list[str]:
    """Every declared requirement (active on Python 3.11) must be pinned, with hashes, inside its range."""
    by_name: dict[str, list[Pin]] = {}
    for pin in pins:
        by_name.setdefault(pin.name, []).append(pin)
    found: list[str] = []
    for spec in declared:
        req = Requirement(spec)
        name = canonicalize_name(req.name)
        if req.marker is not None and not req.marker.evaluate({"python_version": "3.11"}):
            continue
        locked = by_name.get(name)
        if not locked:
            found.append(f"{name}: not in the lock")
            continue
        for pin in locked:
            if not req.specifier.contains(pin.version, prereleases=True):
                found.append(f"{name}: locked {pin.version} outside {_range(req)}")
            if pin.hashes == 0:
                found.append(f"{name}: locked without hashes")
    return found


def _range(req: Requirement) -> str:
    return ",".join(sorted(str(clause) for clause in req.specifier))


def _pyproject() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)


def test_lock_pins_every_runtime_and_dev_dependency_within_pyprojects_ranges() -> None:
    project = _pyproject()["project"]
    assert isinstance(project, dict)
    declared = list(project["dependencies"]) + list(project["optional-dependencies"]["dev"])
    assert len(declared) > 10
    pins = parse_lock((REQUIREMENTS / "lock.txt").read_text(encoding="utf-8"))
    assert problems(declared, pins) == []


def test_every_locked_package_carries_hashes() -> None:
    for lock in ("lock.txt", "bootstrap.txt", "build.txt"):
        pins = parse_lock((REQUIREMENTS / lock).read_text(encoding="utf-8"))
        assert pins, lock
        assert [p.name for p in pins if p.hashes == 0] == [], lock


def test_bootstrap_uv_is_the_one_the_lock_keeps() -> None:
    """pip installs uv from bootstrap.txt; `uv pip sync` of the lock must not swap it for another."""
    (boot,) = parse_lock((REQUIREMENTS / "bootstrap.txt").read_text(encoding="utf-8"))
    assert boot.name == "uv"
    locked = [
        p for p in parse_lock((REQUIREMENTS / "lock.txt").read_text(encoding="utf-8")) if p.name == "uv"
    ]
    assert [p.version for p in locked] == [boot.version]


def test_build_constraints_satisfy_the_build_system() -> None:
    build_system = _pyproject()["build-system"]
    assert isinstance(build_system, dict)
    pins = parse_lock((REQUIREMENTS / "build.txt").read_text(encoding="utf-8"))
    assert problems(list(build_system["requires"]), pins) == []


def test_the_check_catches_a_missing_or_out_of_range_pin() -> None:
    lock = (
        "# header\n"
        "httpx==0.28.1 \\\n"
        "    --hash=sha256:aa \\\n"
        "    --hash=sha256:bb\n"
        "    # via ksef-tui\n"
        "click==7.0 \\\n"
        "    --hash=sha256:cc\n"
        "colorama==0.4.6 ; sys_platform == 'win32' \\\n"
        "    --hash=sha256:dd\n"
        "lxml==6.1.3\n"
    )
    pins = parse_lock(lock)
    assert [(p.name, str(p.version), p.hashes) for p in pins] == [
        ("httpx", "0.28.1", 2),
        ("click", "7.0", 1),
        ("colorama", "0.4.6", 1),
        ("lxml", "6.1.3", 0),
    ]
    declared = [
        "httpx>=0.27,<1",
        "click>=8.1,<9",
        "lxml>=5.2,<7",
        "pynacl>=1.5",
        "tomli; python_version<'3.11'",
    ]
    assert problems(declared, pins) == [
        "click: locked 7.0 outside <9,>=8.1",
        "lxml: locked without hashes",
        "pynacl: not in the lock",
    ]
