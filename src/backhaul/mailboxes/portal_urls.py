"""Member Centre pages for mailboxes, served under /member/mailboxes/."""

from django.urls import path

from backhaul.mailboxes import views

app_name = "mailboxes"

urlpatterns = [
    path("", views.mailbox_list, name="list"),
    path("<int:mailbox_id>/", views.mailbox_detail, name="detail"),
]

PORTAL_MENU = [("Mailboxes", "mailboxes:list", 41)]
