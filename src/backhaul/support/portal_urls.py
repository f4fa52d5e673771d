"""Member Centre pages of the support area, served under /member/support/."""

from django.urls import path

from backhaul.support import portal_views

app_name = "support"

urlpatterns = [
    path("", portal_views.ticket_list, name="tickets"),
    path("new/", portal_views.ticket_new, name="ticket-new"),
    path("tickets/<str:reference>/", portal_views.ticket_detail, name="ticket"),
    path("tickets/<str:reference>/reply/", portal_views.ticket_reply_view, name="ticket-reply"),
    path(
        "tickets/<str:reference>/confirm/", portal_views.ticket_confirm_view, name="ticket-confirm"
    ),
    path("tickets/<str:reference>/claim/", portal_views.ticket_claim_view, name="ticket-claim"),
    path("tickets/<str:reference>/reopen/", portal_views.ticket_reopen_view, name="ticket-reopen"),
    path(
        "tickets/<str:reference>/phone-claim/",
        portal_views.ticket_phone_claim_view,
        name="ticket-phone-claim",
    ),
    path(
        "tickets/<str:reference>/visits/<int:visit_id>/cancel/",
        portal_views.visit_cancel_view,
        name="visit-cancel",
    ),
    path("claims/", portal_views.claim_list, name="claims"),
    path("attachments/<int:pk>/", portal_views.attachment_download, name="attachment"),
]

PORTAL_MENU = [
    ("Help & faults", "support:tickets", 40),
    ("Report a fault", "support:ticket-new", 41),
    ("Claims", "support:claims", 42),
]
