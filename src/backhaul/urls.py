"""URL configuration: the staff console, and the Member Centre as it grows."""

from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Backhaul staff console"
admin.site.site_title = "Backhaul"

urlpatterns = [
    path("console/", admin.site.urls),
    path("", include("backhaul.portal.urls")),
]
