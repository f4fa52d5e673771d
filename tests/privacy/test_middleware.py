"""The audit trail records staff looking at or changing customer data, and nothing else."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client, override_settings

from backhaul.customers.models import Account
from backhaul.demo.services import staff_users_ensure
from backhaul.privacy.choices import AuditAction
from backhaul.privacy.models import AuditEvent

pytestmark = pytest.mark.django_db

AUDIT = "backhaul.privacy.middleware.StaffAuditMiddleware"
# The audit middleware is in the settings; the tests state that they rely on it.
WITH_AUDIT = (
    [*settings.MIDDLEWARE] if AUDIT in settings.MIDDLEWARE else [*settings.MIDDLEWARE, AUDIT]
)


@override_settings(MIDDLEWARE=WITH_AUDIT)
def test_staff_views_of_customer_data_are_audited(demo: list[Account]) -> None:
    staff_users_ensure()
    client = Client()
    client.force_login(User.objects.get(username="support"))
    account = demo[0]
    assert client.get(f"/console/customers/account/{account.pk}/change/").status_code == 200
    assert client.get("/console/catalogue/product/").status_code == 200
    event = AuditEvent.objects.get()
    assert (event.username, event.action, event.model_label, event.object_id) == (
        "support",
        AuditAction.VIEW,
        "customers.Account",
        str(account.pk),
    )
    assert event.status_code == 200


@override_settings(MIDDLEWARE=WITH_AUDIT)
def test_customers_in_the_member_centre_are_not_audited(demo: list[Account]) -> None:
    account = next(a for a in demo if a.users.exists())
    client = Client()
    client.force_login(account.users.first().user)
    client.get("/member/privacy/")
    assert not AuditEvent.objects.exists()


@override_settings(
    MIDDLEWARE=[*settings.MIDDLEWARE, "backhaul.privacy.middleware.SecurityHeadersMiddleware"]
)
def test_security_headers_on_every_page(db: None) -> None:
    response = Client().get("/member/login/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
