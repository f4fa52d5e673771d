"""Member Centre: bills, each bill on screen, and its PDF."""

from django.urls import path

from backhaul.billing import views

app_name = "billing-portal"

urlpatterns = [
    path("", views.bills, name="bills"),
    path("<str:number>/", views.bill, name="bill"),
    path("<str:number>/pdf/", views.bill_pdf, name="bill-pdf"),
]

PORTAL_MENU = [("Bills", "billing-portal:bills", 20)]
