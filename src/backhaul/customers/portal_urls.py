"""Member Centre pages of the customers area, served under /member/customers/."""

from django.urls import path

from backhaul.customers import views

app_name = "customers-portal"
urlpatterns = [
    path("security-questions/", views.security_questions, name="security-questions"),
    path(
        "security-questions/remove/",
        views.security_question_remove,
        name="security-question-remove",
    ),
]

PORTAL_MENU = [("Security questions", "customers-portal:security-questions", 92)]
