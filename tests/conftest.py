"""Shared test set-up: both brands' catalogues are loaded once into the test database.

Staff two-factor: tests run with `BACKHAUL_STAFF_2FA_REQUIRED` off, so a test may sign a
member of staff in to the console with `client.force_login`; tests marked `staff_2fa` run
with it on (the production default) and sign staff in with the `console_login` fixture,
which gives them a confirmed authenticator and a verified session.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

# Properties assert what holds, never how fast: no per-example deadline (CI machines vary).
hypothesis_settings.register_profile("backhaul", deadline=None, print_blob=True)
hypothesis_settings.load_profile("backhaul")

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = ROOT / "catalogues"
PLUSNET = CATALOGUES / "plusnet-business.toml"
PLUGIN = CATALOGUES / "plugin.toml"
FIXED_NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "staff_2fa: run with BACKHAUL_STAFF_2FA_REQUIRED on (sign staff in with console_login)",
    )


@pytest.fixture(autouse=True)
def _staff_two_factor(request, settings):  # type: ignore[no-untyped-def]
    settings.BACKHAUL_STAFF_2FA_REQUIRED = request.node.get_closest_marker("staff_2fa") is not None


@pytest.fixture
def console_login():  # type: ignore[no-untyped-def]
    """Sign a staff user in to a test client as the console would after a correct code."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def sign_in(client, user):  # type: ignore[no-untyped-def]
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="Test app", confirmed=True)
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return device

    return sign_in


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    from backhaul.catalogue.services import catalogue_load

    with django_db_blocker.unblock():
        for path in (PLUSNET, PLUGIN):
            catalogue_load(path=path, now=FIXED_NOW)
    yield
    # Worker processes and FreeRADIUS started by tests may still hold a session on the test
    # database; PostgreSQL refuses to drop a database in use, so end them first.
    from django.db import connection

    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@pytest.fixture
def now() -> datetime:
    """A fixed clock: tests never read the real time."""
    return FIXED_NOW


@pytest.fixture(autouse=True)
def _catalogues_present(request, django_db_blocker):  # type: ignore[no-untyped-def]
    """Reload the catalogues if a transactional test's flush removed them."""
    database_fixtures = {"db", "transactional_db", "live_server", "django_db_reset_sequences"}
    if request.node.get_closest_marker("django_db") is None and not (
        database_fixtures & set(request.fixturenames)
    ):
        return
    from backhaul.catalogue.models import Brand
    from backhaul.catalogue.services import catalogue_load

    with django_db_blocker.unblock():
        if Brand.objects.filter(key__in=["plusnet-business", "plugin"]).count() != 2:
            for path in (PLUSNET, PLUGIN):
                catalogue_load(path=path, now=FIXED_NOW)
