"""Member Centre pages of the abuse desk, served under /member/abuse/.

The report form is public (no sign-in); the case pages are the signed-in customer's own.
"""

from django.urls import path

from backhaul.abuse import views

app_name = "abuse"

urlpatterns = [
    path("report/", views.report_form, name="report"),
    path("", views.case_list, name="case-list"),
    path("cases/<int:case_id>/", views.case_detail, name="case-detail"),
]

PORTAL_MENU = [("Abuse cases", "abuse:case-list", 70)]
