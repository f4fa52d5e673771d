"""Staff console pages for the network: NASes, logins, static addresses, CoA and history."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from unfold.admin import ModelAdmin

from backhaul.network.models import (
    BroadbandLogin,
    CoaRequest,
    IpAssignment,
    IpPool,
    Nas,
    RadiusPolicy,
    StaticIp,
    VendorProfile,
)


class ReadOnly(ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Nas)
class NasAdmin(ModelAdmin):
    list_display = ["shortname", "nasname", "type", "coa_mode", "coa_port"]
    fields = ["nasname", "shortname", "type", "secret", "coa_mode", "coa_port", "description"]


@admin.register(VendorProfile)
class VendorProfileAdmin(ModelAdmin):
    list_display = ["key", "name", "rate_limit_attribute", "rate_limit_template", "enabled"]


@admin.register(RadiusPolicy)
class RadiusPolicyAdmin(ModelAdmin):
    list_display = ["brand", "blocked_action", "walled_garden_pool"]


@admin.register(BroadbandLogin)
class BroadbandLoginAdmin(ReadOnly):
    list_display = ["username", "account", "subscription", "group", "created_at"]
    list_filter = ["group"]
    search_fields = ["username", "account__number"]
    exclude = ["password"]


@admin.register(CoaRequest)
class CoaRequestAdmin(ReadOnly):
    list_display = ["created_at", "kind", "username", "nas", "result", "reason"]
    list_filter = ["kind", "result"]
    search_fields = ["username", "session_id"]


@admin.register(IpPool)
class IpPoolAdmin(ReadOnly):
    list_display = ["name", "brand", "network", "rdns_domain"]


@admin.register(StaticIp)
class StaticIpAdmin(ReadOnly):
    list_display = ["ip", "pool", "account", "username", "allocated_at", "rdns_name"]
    list_filter = ["pool"]
    search_fields = ["ip", "account__number", "username"]


@admin.register(IpAssignment)
class IpAssignmentAdmin(ReadOnly):
    list_display = ["ip", "port_start", "port_end", "account", "source", "start", "end"]
    list_filter = ["source"]
    search_fields = ["ip", "account__number", "username", "session_id"]
