"""Django's admin application with the staff console as its site.

Listed in INSTALLED_APPS in place of "django.contrib.admin"; every `admin.site` and
`@admin.register` then means `backhaul.privacy.console.ConsoleSite`. It lives in a module of
its own because an app's `apps.py` may declare only one default configuration.
"""

from django.contrib.admin.apps import AdminConfig


class ConsoleAdminConfig(AdminConfig):
    default_site = "backhaul.privacy.console.ConsoleSite"
