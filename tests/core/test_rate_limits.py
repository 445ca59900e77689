"""The one rate-limit table (core/rate_limits.py) agrees with the official spec, and both the client and
the simulator use it (issue 9 item 3: one rate-limit table, from the spec)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from ksef_tui.core.rate_limits import AUTH, LIMITS, OTHER, REPORTED_GROUPS, ROUTE_GROUPS, Limit, group_for
from ksef_tui.ksef import ratelimit as client_ratelimit
from ksef_tui.simulator import app as _app  # noqa: F401  (registers every @route)
from ksef_tui.simulator import ratelimit as sim_ratelimit
from ksef_tui.simulator.routing import ENDPOINTS

OPENAPI = Path(__file__).resolve().parents[1] / "data" / "openapi"
PRIMARY = OPENAPI / "open-api.json"
NEWER = OPENAPI / "open-api_v2.7.0-te_snapshot_from_stacking-hq-ksef2.json"
HTTP_METHODS = {"get", "post", "put", "delete", "patch"}


@cache
def _spec(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def _operations(spec: Mapping[str, Any]) -> list[tuple[str, str, dict[str, Any] | None]]:
    """(METHOD, path template, x-rate-limits or None) for every operation of the spec."""
    out = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method in HTTP_METHODS:
                out.append((method.upper(), path, op.get("x-rate-limits")))
    return out


def disagreements(
    spec: Mapping[str, Any], limits: Mapping[str, Limit], group_of: Callable[[str, str], str]
) -> list[str]:
    """Every operation whose spec x-rate-limits differ from its group's limits in the table."""
    found = []
    for method, path, declared in _operations(spec):
        if declared is None:
            found.append(f"{method} {path}: no x-rate-limits in the spec")
            continue
        want = (declared.get("perSecond"), declared.get("perMinute"), declared.get("perHour"))
        group = group_of(method, path)
        have = limits[group].counts() if group in limits else None
        if have != want:
            found.append(f"{method} {path}: spec {want}, table group {group!r} {have}")
    return found


def test_every_spec_operation_has_its_limits_in_the_table() -> None:
    spec = _spec(PRIMARY)
    assert len(_operations(spec)) == 78  # the spec's README: 78 operations; none may be skipped
    assert disagreements(spec, LIMITS, group_for) == []


def test_every_routed_operation_exists_in_the_spec() -> None:
    operations = {(method, path) for method, path, _ in _operations(_spec(PRIMARY))}
    assert sorted(set(ROUTE_GROUPS) - operations) == []
    assert set(ROUTE_GROUPS.values()) <= set(LIMITS)


def test_the_groups_are_the_ones_get_rate_limits_names() -> None:
    schema = _spec(PRIMARY)["components"]["schemas"]["EffectiveApiRateLimits"]
    assert list(REPORTED_GROUPS) == list(schema["properties"])
    assert set(LIMITS) == {*REPORTED_GROUPS, AUTH}
    assert OTHER in REPORTED_GROUPS


def test_the_newer_spec_differs_only_by_its_new_collective_identifier_endpoints() -> None:
    """The 2.7.0 TE capture adds /collective-identifiers* (a new group the app does not call yet); every
    other operation still agrees. When that group is adopted, this test names the work."""
    found = disagreements(_spec(NEWER), LIMITS, group_for)
    assert found and all(line.split()[1].startswith("/collective-identifiers") for line in found), found


def test_a_wrong_table_is_caught() -> None:
    spec = _spec(PRIMARY)
    wrong_limits = dict(LIMITS, sessionList=Limit(5, 10, 61))
    assert disagreements(spec, wrong_limits, group_for) == [
        "GET /sessions: spec (5, 10, 60), table group 'sessionList' (5, 10, 61)"
    ]

    def wrong_route(method: str, path: str) -> str:
        return (
            "invoiceStatus"
            if (method, path) == ("GET", "/sessions/{referenceNumber}")
            else group_for(method, path)
        )

    assert disagreements(spec, LIMITS, wrong_route) == [
        "GET /sessions/{referenceNumber}: spec (10, 120, 1200), table group 'invoiceStatus' (30, 120, 1200)"
    ]


def test_the_client_paces_by_the_table() -> None:
    assert client_ratelimit.DEFAULT_LIMITS is LIMITS
    assert client_ratelimit.RateScheduler().limits == dict(LIMITS)


def test_every_simulated_endpoint_is_limited_as_the_spec_says() -> None:
    declared = {(method, path): limits for method, path, limits in _operations(_spec(PRIMARY))}
    config = sim_ratelimit.RateLimitConfig()
    wrong = []
    for endpoint in ENDPOINTS:
        spec_limits = declared[(endpoint.method, endpoint.path)] or {}
        want = (spec_limits.get("perSecond"), spec_limits.get("perMinute"), spec_limits.get("perHour"))
        if config.limits[endpoint.group] != want:
            wrong.append((endpoint.method, endpoint.path, endpoint.group))
    assert len(ENDPOINTS) > 30
    assert wrong == []


def test_the_simulator_enforces_the_tables_limits() -> None:
    config = sim_ratelimit.RateLimitConfig()
    assert config.limits == {group: limit.counts() for group, limit in LIMITS.items()}
