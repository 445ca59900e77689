"""The office level on screen (issue 11 items 1-2): `O` on the board shows the office certificate's expiry
and how many clients depend on it; `i` imports or replaces it; `e` enrols one through KSeF with a
qualified seal (never stored); `l` lists the office's certificates in KSeF and `v` revokes one, confirmed
by typing — against the demo's in-process simulator, on a fixed clock."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, OptionList

from ksef_tui.core.models import CredentialStatus
from ksef_tui.screens.certificate_import import CertificateImportScreen
from ksef_tui.screens.office_certificate import (
    EnrolmentScreen,
    OfficeCertificateScreen,
    RevokeConfirmScreen,
    revoke_code,
)
from ksef_tui.simulator.certificates import qualified_pkcs12

from .helpers import screen_text, settle, until
from .readiness_helpers import demo_app


async def _open(pilot) -> OfficeCertificateScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("O")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, OfficeCertificateScreen)
    return screen


def _progress(screen: OfficeCertificateScreen) -> str:
    return str(screen.query_one("#progress").render())


async def test_o_shows_the_expiry_and_the_dependants(tmp_path: Path) -> None:
    app, _demo, store = demo_app(tmp_path)
    serial = store.office_certificate.get(with_secrets=False).serial
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot)
        await until(pilot, lambda: serial in screen_text(app), "the office certificate")
        text = screen_text(app)
        assert "Certyfikat biura wygasa za 1 rok — zależy od niego 11 klientów." in text
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, OfficeCertificateScreen)


async def test_l_lists_and_v_revokes_only_after_the_typed_code(tmp_path: Path) -> None:
    app, demo, store = demo_app(tmp_path)
    current = store.office_certificate.get(with_secrets=False).serial
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _open(pilot)
        await pilot.press("l")
        await settle(pilot)
        serials = [i.certificate_serial_number for i in screen.items]
        assert current in serials, _progress(screen)
        assert "(w użyciu)" in screen_text(app)
        screen.query_one(OptionList).highlighted = serials.index(current)
        await pilot.press("v")
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, RevokeConfirmScreen)
        confirm.query_one("#confirm", Input).value = "ZZZZZZ"
        await pilot.press("enter")
        await settle(pilot)
        assert "niczego nie unieważniono" in screen_text(app)
        assert store.office_certificate.get(with_secrets=False).status is CredentialStatus.ACTIVE
        confirm.query_one("#confirm", Input).value = revoke_code(current).lower()
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        assert store.office_certificate.get(with_secrets=False).status is CredentialStatus.REVOKED
        revoked = next(c for c in demo.world.certificates.values() if c.serial == current)
        assert revoked.revoked  # in KSeF too
        assert "unieważniony" in screen_text(app)  # the stored one's status, on screen


async def test_e_enrols_an_office_certificate_with_a_qualified_seal(tmp_path: Path) -> None:
    app, demo, store = demo_app(tmp_path)
    world = demo.world
    before = store.office_certificate.get(with_secrets=False).serial
    seal = tmp_path / "pieczec.p12"
    seal.write_bytes(qualified_pkcs12(world, world.office_nip, world.office_name, password="tajne"))
    async with app.run_test(size=(100, 36)) as pilot:
        screen = await _open(pilot)
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, EnrolmentScreen)
        form.query_one("#qualified", Input).value = str(seal)
        form.query_one("#password", Input).value = "tajne"
        await pilot.press("f2")
        try:
            await until(pilot, lambda: app.screen is screen, "the enrolment to finish")
        except AssertionError:
            raise AssertionError(screen_text(app)) from None
        await settle(pilot)
        after = store.office_certificate.get()
        assert after.serial != before
        assert after.secret.startswith("-----BEGIN PRIVATE KEY")
        assert after.serial in screen_text(app)
        # The qualified seal went nowhere: not its file, not its password.
        assert seal.read_bytes() and "tajne" not in (after.label or "")


async def test_a_bad_password_is_named_and_nothing_changes(tmp_path: Path) -> None:
    app, demo, store = demo_app(tmp_path)
    world = demo.world
    before = store.office_certificate.get(with_secrets=False).serial
    seal = tmp_path / "pieczec.p12"
    seal.write_bytes(qualified_pkcs12(world, world.office_nip, world.office_name, password="tajne"))
    async with app.run_test(size=(100, 36)) as pilot:
        await _open(pilot)
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        form.query_one("#qualified", Input).value = str(seal)
        form.query_one("#password", Input).value = "zle"
        await pilot.press("f2")
        await until(pilot, lambda: "Nie uzyskano certyfikatu" in screen_text(app), "the refusal")
        assert form.query_one("#password", Input).value == ""  # the password left the form
        assert store.office_certificate.get(with_secrets=False).serial == before


async def test_i_replaces_the_office_certificate_from_a_file(tmp_path: Path) -> None:
    """A renewal: the office's new certificate (here a PKCS#12 naming the office's NIP) replaces the old
    one in one place, for every client."""
    app, demo, store = demo_app(tmp_path)
    world = demo.world
    before = store.office_certificate.get(with_secrets=False).serial
    renewed = tmp_path / "biuro-nowy.p12"
    renewed.write_bytes(qualified_pkcs12(world, world.office_nip, world.office_name))
    async with app.run_test(size=(100, 36)) as pilot:
        screen = await _open(pilot)
        await pilot.press("i")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, CertificateImportScreen) and dialog.office
        assert "zastępuje obecny" in screen_text(app)
        dialog.query_one("#cert", Input).value = str(renewed)
        await pilot.press("f2")
        await until(pilot, lambda: app.screen is screen, "the import to finish")
        await settle(pilot)
        after = store.office_certificate.get(with_secrets=False)
        assert after.serial != before
        assert after.serial in screen_text(app)
        assert store.credentials.for_client(store.clients.list()[0].id) is not None


async def test_i_refuses_a_certificate_of_another_nip(tmp_path: Path) -> None:
    app, demo, store = demo_app(tmp_path)
    world = demo.world
    before = store.office_certificate.get(with_secrets=False).serial
    other = tmp_path / "obcy.p12"
    other.write_bytes(qualified_pkcs12(world, "5260250274", "Obca firma"))
    async with app.run_test(size=(100, 36)) as pilot:
        await _open(pilot)
        await pilot.press("i")
        await settle(pilot)
        dialog = app.screen
        dialog.query_one("#cert", Input).value = str(other)
        await pilot.press("f2")
        await until(pilot, lambda: "nie NIP biura" in screen_text(app), "the refusal")
        assert isinstance(app.screen, CertificateImportScreen)
        assert store.office_certificate.get(with_secrets=False).serial == before
