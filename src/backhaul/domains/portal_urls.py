"""Member Centre pages for domains, served under /member/domains/."""

from django.urls import path

from backhaul.domains import views

app_name = "domains"

urlpatterns = [
    path("", views.domain_list, name="list"),
    path("<str:name>/", views.domain_detail, name="detail"),
    path("<str:name>/privacy/", views.domain_privacy, name="privacy"),
    path("<str:name>/renew/", views.domain_renewal, name="renew"),
    path("<str:name>/transfer/", views.domain_transfer, name="transfer"),
]

PORTAL_MENU = [("Domains", "domains:list", 40)]
