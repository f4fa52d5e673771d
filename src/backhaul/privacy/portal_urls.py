"""Member Centre privacy pages, served under /member/privacy/."""

from django.urls import path

from backhaul.privacy import views

app_name = "privacy-portal"
urlpatterns = [
    path("", views.privacy_home, name="home"),
    path("consents/", views.consent_update, name="consent-update"),
    path("export/", views.export_download, name="export"),
]

PORTAL_MENU = [("Privacy", "privacy-portal:home", 90)]
