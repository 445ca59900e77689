"""`ksef-tui simulator`: build the seeded world, write it down for the demo/tests, serve it with uvicorn."""

from __future__ import annotations

import errno
import json
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from ksef_tui.core.i18n import _
from ksef_tui.core.models import CredentialKind
from ksef_tui.core.safe_paths import write_private_file
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


# The exit code of a command that could not run (ksef_tui.cli.common.EXIT_ERROR; the simulator sits below
# the CLI layer and cannot import it): a bad port or a port in use is "could not run", never 1.
EXIT_COULD_NOT_RUN = 3


class SimulatorCannotRun(click.ClickException):
    exit_code = EXIT_COULD_NOT_RUN


def _port(ctx: click.Context, param: click.Parameter, value: int) -> int:
    if not 1 <= value <= 65535:
        raise SimulatorCannotRun(_("--port {port}: a port is a number from 1 to 65535.").format(port=value))
    return value


def listen(port: int) -> socket.socket:
    """A socket bound to 127.0.0.1:`port`, before anything is written or printed: a port in use stops
    the command with one clear line (exit 3), not a "serving" banner followed by uvicorn's error."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: no TIME_WAIT wait
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as err:
        sock.close()
        if err.errno == errno.EADDRINUSE:
            message = _(
                "Port {port} on 127.0.0.1 is already in use (another simulator?): choose another with --port."
            )
        elif err.errno == errno.EACCES:
            message = _(
                "Port {port} is not allowed for this user (ports below 1024 need root): choose another."
            )
        else:
            message = _("Port {port} on 127.0.0.1 cannot be used ({reason}): choose another with --port.")
        raise SimulatorCannotRun(message.format(port=port, reason=err.strerror or err)) from None
    return sock


def write_secret_file(path: Path, content: bytes) -> None:
    """Files holding tokens or private keys: 0600 whatever the umask, written atomically, never through a
    symlink (core.safe_paths.write_private_file)."""
    write_private_file(path.parent, [path.name], content)


@click.command("simulator")
@click.option(
    "--port", type=int, default=8765, show_default=True, callback=_port, help="Port on 127.0.0.1 (1-65535)."
)
@click.option("--seed", type=int, default=2026, show_default=True, help="Seed of the simulated world.")
@click.option(
    "--world-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write base URL, taxpayers and their tokens and keys here (JSON, mode 0600).",
)
@click.option(
    "--clients-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the taxpayers as a client list with tokens (CSV, mode 0600) for `ksef-tui clients import`.",
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
    """Run the KSeF API 2.0 simulator on http://127.0.0.1:PORT/v2.

    Exit code 3 when it cannot run (a port out of range or in use). The world, clients and qualified
    files hold tokens and private keys: they are written 0600 (only you can read them)."""
    # deferred: uvicorn and the Starlette app, ~270 ms together (python -X importtime, on top of
    # `ksef_tui.cli`, median of 5 runs); `ksef_tui.cli` registers this command for every run.
    import uvicorn

    from ksef_tui.simulator.app import create_app

    sock = listen(port)  # first: a port in use is said before any file is written or banner printed
    world = build_world(seed=seed, now=datetime.now(UTC))
    base_url = f"http://127.0.0.1:{port}/v2"
    written: list[Path] = []
    try:
        if world_file is not None:
            data = json.dumps(world_file_json(world, base_url), ensure_ascii=False, indent=2)
            write_secret_file(world_file, data.encode("utf-8"))
            written.append(world_file)
        if clients_file is not None:
            write_secret_file(clients_file, clients_csv(world))
            written.append(clients_file)
        if qualified_file is not None:
            from ksef_tui.simulator.certificates import qualified_pkcs12

            nip = qualified_nip or world.office_nip
            taxpayer = world.taxpayer(nip)
            write_secret_file(
                qualified_file, qualified_pkcs12(world, nip, taxpayer.name if taxpayer else nip)
            )
            written.append(qualified_file)
    except OSError as err:
        sock.close()
        raise SimulatorCannotRun(str(err)) from None
    app = create_app(world, rate_limits=RateLimitConfig(scale=rate_limit_scale, enabled=not no_rate_limits))
    click.echo(
        _("KSeF simulator: {url} (seed {seed}, {n} taxpayers)").format(
            url=base_url, seed=seed, n=len(world.taxpayers)
        )
    )
    for path in written:
        click.echo(_("Written (0600, holds tokens and keys: only you can read it): {path}").format(path=path))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    server.run(sockets=[sock])
    if not server.started:  # as uvicorn.run: a failed start-up is not a clean exit
        sys.exit(EXIT_COULD_NOT_RUN)


if __name__ == "__main__":  # pragma: no cover
    simulator_command()
