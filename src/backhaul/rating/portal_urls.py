"""Member Centre pages for calls, served under /member/rating/."""

from django.urls import path

from backhaul.rating import views

app_name = "rating"

urlpatterns = [
    path("", views.call_months, name="months"),
    path("<int:year>-<int:month>/", views.call_list, name="calls"),
]

PORTAL_MENU = [("Calls", "rating:months", 50)]
