"""`ksef-tui simulator`: build the seeded world, write it down for the demo/tests, serve it with uvicorn."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from ksef_tui.core.models import CredentialKind
from ksef_tui.simulator.ratelimit import RateLimitConfig
from ksef_tui.simulator.world import World, build_world


def world_file_json(world: World, base_url: str) -> dict:
    """One object per taxpayer: its first token and its own certificate (or null)."""
    taxpayers = []
    for tp in world.taxpayers.values():
        token = next((t for t in tp.tokens if t.held_by_office), tp.tokens[0] if tp.tokens else None)
        cert = world.certificate_for(tp.nip, CredentialKind.KSEF_CERTIFICATE)
        if cert is not None and cert.subject_nip != tp.nip:
            cert = None
        taxpayers.append(
            {
                "nip": tp.nip,
                "name": tp.name,
                "token": token.token if token else None,
                "token_status": token.status if token else None,
                "permissions": sorted(token.permissions) if token else [],
                "certificate_pem": cert.certificate_pem if cert else None,
                "private_key_pem": cert.private_key_pem if cert else None,
            }
        )
    return {
        "base_url": base_url,
        "office_nip": world.office_nip,
        "office_name": world.office_name,
        "taxpayers": taxpayers,
    }


def clients_csv(world: World) -> bytes:
    """The office's client list as a spreadsheet would hold it, ready for `ksef-tui clients import`:
    UTF-8 with a BOM (Excel's "CSV UTF-8"), `;`, one row per taxpayer the office holds a token of."""
    lines = ["NIP;Nazwa;Token"]
    for entry in world_file_json(world, "")["taxpayers"]:
        if entry["token"]:
            lines.append(f"{entry['nip']};{entry['name'].replace(';', ',')};{entry['token']}")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


@click.command("simulator")
@click.option("--port", type=int, default=8765, show_default=True, help="Port on 127.0.0.1.")
@click.option("--seed", type=int, default=2026, show_default=True, help="Seed of the simulated world.")
@click.option(
    "--world-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write base URL, taxpayers and their credentials here (JSON).",
)
@click.option(
    "--clients-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the taxpayers as a client list (CSV) for `ksef-tui clients import`.",
)
@click.option(
    "--rate-limit-scale", type=float, default=1.0, show_default=True, help="Compress rate-limit windows."
)
@click.option("--no-rate-limits", is_flag=True, default=False, help="Disable rate limiting.")
@click.option(
    "--qualified-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write a qualified test seal (PKCS#12, no password) for the office NIP (or --qualified-nip).",
)
@click.option("--qualified-nip", default=None, help="NIP of the qualified test seal (default: the office).")
def simulator_command(
    port: int,
    seed: int,
    world_file: Path | None,
    clients_file: Path | None,
    rate_limit_scale: float,
    no_rate_limits: bool,
    qualified_file: Path | None = None,
    qualified_nip: str | None = None,
) -> None:
    """Run the KSeF API 2.0 simulator on http://127.0.0.1:PORT/v2."""
    # deferred: uvicorn and the Starlette app, ~270 ms together (python -X importtime, on top of
    # `ksef_tui.cli`, median of 5 runs); `ksef_tui.cli` registers this command for every run.
    import uvicorn

    from ksef_tui.simulator.app import create_app

    world = build_world(seed=seed, now=datetime.now(UTC))
    base_url = f"http://127.0.0.1:{port}/v2"
    if world_file is not None:
        world_file.write_text(
            json.dumps(world_file_json(world, base_url), ensure_ascii=False, indent=2), "utf-8"
        )
    if clients_file is not None:
        clients_file.write_bytes(clients_csv(world))
    if qualified_file is not None:
        from ksef_tui.simulator.certificates import qualified_pkcs12

        nip = qualified_nip or world.office_nip
        taxpayer = world.taxpayer(nip)
        qualified_file.write_bytes(qualified_pkcs12(world, nip, taxpayer.name if taxpayer else nip))
        qualified_file.chmod(0o600)
    app = create_app(world, rate_limits=RateLimitConfig(scale=rate_limit_scale, enabled=not no_rate_limits))
    click.echo(f"KSeF simulator: {base_url} (seed {seed}, {len(world.taxpayers)} taxpayers)")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":  # pragma: no cover
    simulator_command()
