"""Member Centre pages for email and hosting packages, served under /member/hosting/."""

from django.urls import path

from backhaul.hosting import views

app_name = "hosting"

urlpatterns = [
    path("", views.package_list, name="list"),
    path("order/", views.package_new, name="order"),
    path("<int:package_id>/notice/", views.package_notice, name="notice"),
    path("<int:package_id>/refund/", views.package_refund, name="refund"),
]

PORTAL_MENU = [("Email & hosting", "hosting:list", 42)]
