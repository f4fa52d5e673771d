"""Shared set-up for the domain tests: a PlugIn customer and helpers to read the state."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from django.contrib.auth.models import User

from backhaul.customers.models import CustomerUser
from backhaul.customers.services import account_create


@pytest.fixture
def plugin_account(now):
    return account_create(
        brand_key="plugin",
        name="Foxley Print Ltd",
        email="accounts@foxley.example.com",
        now=now,
    )


@pytest.fixture
def other_account(now):
    return account_create(
        brand_key="plugin",
        name="Juniper Dental",
        email="office@juniper.example.com",
        now=now,
    )


@pytest.fixture
def customer_client(client, plugin_account):
    user = User.objects.create_user(username="foxley", password="not-used-here-1")
    CustomerUser.objects.create(user=user, account=plugin_account)
    client.force_login(user)
    return client


def snapshot(models: Iterable[Any]) -> dict[str, list[dict[str, Any]]]:
    """Every row of each model, in primary key order: the state a replay must not change."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in models}


def run_command(capsys: Any, name: str, *args: str) -> tuple[int, str, str]:
    """Run `backhaul NAME ARGS...` in this process as the console script would: returns
    (exit status, stdout, stderr). The test database stays open (the command would close
    its connections on the way out)."""
    from unittest import mock

    from django.core.management import get_commands, load_command_class

    command = load_command_class(get_commands()[name], name)
    code = 0
    with mock.patch("backhaul.cli.connections"):
        try:
            command.run_from_argv(["backhaul", name, *args])
        except SystemExit as exc:
            code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
