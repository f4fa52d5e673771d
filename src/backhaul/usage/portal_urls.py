"""Member Centre pages for usage: the usage page with its chart, Top Ups, published speeds."""

from django.urls import path

from backhaul.usage import views

app_name = "usage"

urlpatterns = [
    path("", views.usage_page, name="usage"),
    path("topup/", views.topup, name="topup"),
    path("speeds/", views.speeds_page, name="speeds"),
    path("speeds.json", views.speeds_json, name="speeds-json"),
]

PORTAL_MENU = [("Usage", "usage:usage", 20)]
