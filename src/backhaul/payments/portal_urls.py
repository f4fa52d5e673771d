"""Member Centre pages for balance, statement, payments and disputes: /member/payments/."""

from django.urls import path

from backhaul.payments import views

app_name = "payments"

urlpatterns = [
    path("", views.balance, name="balance"),
    path("statement/", views.statement, name="statement"),
    path("payments/", views.payments, name="payments"),
    path("disputes/", views.disputes, name="disputes"),
]

PORTAL_MENU = [
    ("Balance", "payments:balance", 20),
    ("Statement", "payments:statement", 21),
    ("Payments", "payments:payments", 22),
    ("Disputes", "payments:disputes", 23),
]
