"""The Member Centre home (balance, next bill, alerts, notices); the contract page's exit
cost."""

from __future__ import annotations

import pytest
import time_machine
from django.contrib.auth.models import User
from django.urls import reverse

from backhaul.contracts.services import exit_quote_for_subscription
from backhaul.customers.models import CustomerUser
from tests.api.conftest import NOW, World

pytestmark = pytest.mark.django_db


@time_machine.travel(NOW, tick=False)
def test_home_shows_balance_next_bill_alerts_and_links_the_exit_cost(client, world: World) -> None:  # type: ignore[no-untyped-def]
    user = User.objects.create_user("penrose", password="pw-123456")
    CustomerUser.objects.create(user=user, account=world.mine)
    client.force_login(user)
    page = client.get(reverse("portal:member-home")).content.decode()
    # £76.91 billed on 15 Nov less £20.00 paid on 18 Nov (tests/api/test_endpoints.py).
    assert "£56.91" in page
    # Bill day 15: on 21 Nov 2026 the next bill is 15 Dec 2026.
    assert 'datetime="2026-12-15"' in page
    assert "You have 1 open ticket." in page
    assert reverse("portal:contract") in page
    assert world.theirs.name not in page
    line = world.mine.subscriptions.get(product__key="mps-option-1")
    quote = exit_quote_for_subscription(subscription_id=line.pk, notice=NOW.date())
    contract = client.get(reverse("portal:contract")).content.decode()
    assert f"<strong>£{quote['total']}</strong>" in contract
