"""URL configuration: the staff console, the Member Centre and each area's portal pages."""

from django.contrib import admin
from django.urls import include, path

from backhaul.portal.menu import portal_url_modules

admin.site.site_header = "Backhaul staff console"
admin.site.site_title = "Backhaul"

urlpatterns = [
    path("console/", admin.site.urls),
    path("api/v1/", include("backhaul.api.urls")),
    *[path(f"member/{label}/", include(module)) for label, module in portal_url_modules()],
    path("", include("backhaul.portal.urls")),
]
