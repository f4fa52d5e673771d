"""URL configuration: the staff console, the Member Centre and each area's portal pages."""

from django.contrib import admin
from django.urls import include, path

from backhaul.portal.menu import portal_url_modules

admin.site.site_header = "Backhaul staff console"
admin.site.site_title = "Backhaul"
admin.site.index_template = "admin/console_index.html"

urlpatterns = [
    # Staff who sign in at the console land on the console, not the Member Centre.
    path("console/login/", admin.site.login, {"extra_context": {"next": "/console/"}}),
    path("console/", admin.site.urls),
    path("api/v1/", include("backhaul.api.urls")),
    *[path(f"member/{label}/", include(module)) for label, module in portal_url_modules()],
    path("", include("backhaul.portal.urls")),
]
