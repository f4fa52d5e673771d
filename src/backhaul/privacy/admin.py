"""Staff console pages for the purpose register, consents, disclosures, holds and audit.

Consent history, retention runs and the audit trail are records: nobody edits them.
"""

from __future__ import annotations

from axes.models import AccessAttempt
from django.contrib import admin
from django_otp.plugins.otp_totp.models import TOTPDevice
from unfold.admin import ModelAdmin

from backhaul.privacy.models import (
    AuditEvent,
    ConsentChange,
    Disclosure,
    LegalHold,
    Purpose,
    Referral,
    RetentionLog,
)


class RecordAdmin(ModelAdmin):
    """Read-only: history is appended by the services, never edited by hand."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Purpose)
class PurposeAdmin(RecordAdmin):
    list_display = ["interaction", "brand", "clause"]
    list_filter = ["brand"]
    search_fields = ["interaction"]


@admin.register(ConsentChange)
class ConsentChangeAdmin(RecordAdmin):
    list_display = ["account", "kind", "granted", "channel", "actor", "at"]
    list_filter = ["kind", "granted", "channel"]
    search_fields = ["account__number"]


@admin.register(Disclosure)
class DisclosureAdmin(RecordAdmin):
    list_display = ["disclosed_at", "account_number", "recipient_kind", "recipient", "basis"]
    list_filter = ["recipient_kind", "basis"]
    search_fields = ["account_number", "recipient", "reference"]


@admin.register(LegalHold)
class LegalHoldAdmin(ModelAdmin):
    list_display = ["account", "reason", "placed_at", "placed_by", "released_at"]
    search_fields = ["account__number", "reason"]
    autocomplete_fields = ["account"]


@admin.register(RetentionLog)
class RetentionLogAdmin(RecordAdmin):
    list_display = ["on", "data_class", "model_label", "action", "rows"]
    list_filter = ["data_class", "action"]


@admin.register(AuditEvent)
class AuditEventAdmin(RecordAdmin):
    """The data protection officer's report: who looked at or changed customer data, when."""

    list_display = ["at", "username", "action", "model_label", "object_id", "path"]
    list_filter = ["action", "model_label"]
    search_fields = ["username", "account_number", "object_id", "path"]
    date_hierarchy = "at"


@admin.register(Referral)
class ReferralAdmin(ModelAdmin):
    list_display = ["referrer", "referred", "referred_at"]
    search_fields = ["referrer__number", "referred__number"]
    autocomplete_fields = ["referrer", "referred"]


# Sign-in security: authenticators and throttled sign-in attempts. Keys and the POST data
# of attempts are never shown; removing a row is how an administrator resets a lost
# authenticator or lifts a lockout early.
admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class StaffAuthenticatorAdmin(RecordAdmin):
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__username"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return bool(request.user.has_perm("otp_totp.delete_totpdevice"))


@admin.register(AccessAttempt)
class SignInAttemptAdmin(RecordAdmin):
    list_display = ["attempt_time", "username", "ip_address", "failures_since_start", "path_info"]
    search_fields = ["username", "ip_address"]
    date_hierarchy = "attempt_time"
    fields = ["attempt_time", "username", "ip_address", "failures_since_start", "path_info"]

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return bool(request.user.has_perm("axes.delete_accessattempt"))
