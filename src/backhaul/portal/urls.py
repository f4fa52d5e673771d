from django.contrib.auth import views as auth_views
from django.urls import path

from backhaul.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("member/", views.member_home, name="member-home"),
    path("member/contract/", views.contract, name="contract"),
    path("member/notices/", views.notices, name="notices"),
    path(
        "member/login/",
        auth_views.LoginView.as_view(template_name="portal/login.html"),
        name="login",
    ),
    path("member/logout/", auth_views.LogoutView.as_view(next_page="portal:login"), name="logout"),
]
