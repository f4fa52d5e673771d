"""The Member Centre menu, gathered from each area's `portal_urls.PORTAL_MENU`.

An area adds pages to the Member Centre by providing `backhaul/<area>/portal_urls.py` with
`app_name`, `urlpatterns` and `PORTAL_MENU = [(label, url_name, order)]`; its URLs are
served under `/member/<area>/`. Nothing outside the area needs changing.
"""

from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType

from django.apps import apps
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse


@cache
def portal_url_modules() -> tuple[tuple[str, ModuleType], ...]:
    found = []
    for config in apps.get_app_configs():
        if not config.name.startswith("backhaul.") or config.label == "portal":
            continue
        try:
            module = importlib.import_module(f"{config.name}.portal_urls")
        except ModuleNotFoundError as exc:
            if exc.name == f"{config.name}.portal_urls":
                continue
            raise
        found.append((config.label, module))
    return tuple(found)


# The Member Centre's own pages that belong to no single area.
PORTAL_MENU = [("Contract", "portal:contract", 15), ("Notices", "portal:notices", 80)]


@cache
def _menu_entries() -> tuple[tuple[str, str], ...]:
    entries: list[tuple[int, str, str]] = []
    menus = [PORTAL_MENU] + [getattr(m, "PORTAL_MENU", []) for _, m in portal_url_modules()]
    for menu in menus:
        for label, url_name, order in menu:
            try:
                entries.append((order, label, reverse(url_name)))
            except NoReverseMatch:
                continue
    return tuple((label, url) for _order, label, url in sorted(entries))


def portal_menu(request: HttpRequest) -> dict[str, list[tuple[str, str]]]:
    """Context processor: the menu entries for signed-in customers (built once: the
    URL configuration does not change while the process runs)."""
    return {"portal_menu": list(_menu_entries())}
