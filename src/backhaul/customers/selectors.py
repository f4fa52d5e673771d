"""Reads of the customers area."""

from __future__ import annotations

from backhaul.customers.models import Account, SecurityAnswer


def security_answers_for(account: Account) -> list[SecurityAnswer]:
    """The questions the account has answered (the answers themselves cannot be read)."""
    return list(SecurityAnswer.objects.filter(account=account).only("prompt", "set_at"))
