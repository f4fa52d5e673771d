"""Django settings for Backhaul, all from the environment (see docs/operations.md)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from backhaul.env import env_bool, env_database, env_list, env_str

_CHECKOUT = Path(__file__).resolve().parents[2]
_DEFAULT_HOME = _CHECKOUT if (_CHECKOUT / "catalogues").is_dir() else Path.cwd()
BASE_DIR = Path(env_str("BACKHAUL_HOME", str(_DEFAULT_HOME))).resolve()
VAR_DIR = BASE_DIR / "var"

DEBUG = env_bool("BACKHAUL_DEBUG", False)
SECRET_KEY = env_str("BACKHAUL_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and env_bool("BACKHAUL_REQUIRE_SECRET_KEY", False):
        raise ImproperlyConfigured("set BACKHAUL_SECRET_KEY to a long random string")
    SECRET_KEY = "backhaul-insecure-development-key-set-BACKHAUL_SECRET_KEY-in-production"
ALLOWED_HOSTS = env_list("BACKHAUL_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    # unfold's templates without its site: the console is backhaul.privacy.console.ConsoleSite,
    # an unfold site that asks staff for their two-factor code (docs/privacy-and-security.md).
    "unfold.apps.BasicAppConfig",
    "unfold.contrib.filters",
    "backhaul.privacy.console_app.ConsoleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "backhaul.catalogue",
    "backhaul.customers",
    "backhaul.contracts",
    "backhaul.notices",
    "backhaul.billing",
    "backhaul.payments",
    "backhaul.rating",
    "backhaul.usage",
    "backhaul.network",
    "backhaul.support",
    "backhaul.abuse",
    "backhaul.domains",
    "backhaul.mailboxes",
    "backhaul.hosting",
    "backhaul.privacy",
    "backhaul.scheduler",
    "backhaul.api",
    "backhaul.demo",
    "backhaul.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "backhaul.privacy.middleware.SecurityHeadersMiddleware",
    "backhaul.privacy.middleware.StaffAuditMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "backhaul.urls"
WSGI_APPLICATION = "backhaul.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "backhaul.portal.menu.portal_menu",
            ],
        },
    },
]

DATABASES = {"default": env_database("DATABASE_URL", VAR_DIR / "backhaul.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

# Cookies and transport. Behind HTTPS in production set BACKHAUL_HTTPS=true.
HTTPS = env_bool("BACKHAUL_HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Sign-in throttling (django-axes): after 5 failed sign-ins for one username from one
# address, that pair is locked out for 15 minutes (a success clears the count). Staff
# unlock someone early with `backhaul axes_reset_username NAME` (docs/operations.md).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env_bool("BACKHAUL_LOGIN_THROTTLE", True)
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "backhaul.privacy.throttle.lockout_response"
AXES_CLIENT_IP_CALLABLE = "backhaul.privacy.throttle.client_ip"
AXES_VERBOSE = False
# Only failed attempts are kept (and only until the cool-off passes); successful sign-ins
# are not logged. The console lists the attempts (backhaul.privacy.admin).
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ADMIN = False
# How many reverse proxies in front of Backhaul append to X-Forwarded-For; 0 trusts only
# the connecting address (REMOTE_ADDR).
_proxy_count = env_str("BACKHAUL_PROXY_COUNT", "0").strip()
if not _proxy_count.isdigit():
    raise ImproperlyConfigured(
        f"BACKHAUL_PROXY_COUNT must be a whole number of proxies, not {_proxy_count!r}"
    )
BACKHAUL_PROXY_COUNT = int(_proxy_count)

# Staff two-factor authentication (TOTP, django-otp). Staff who have confirmed an
# authenticator give its 6-digit code at every console sign-in, always. When required
# (the default unless BACKHAUL_DEBUG is on, so `make demo` works with passwords alone),
# staff without one can reach only the console's enrolment page until they confirm one.
BACKHAUL_STAFF_2FA_REQUIRED = env_bool("BACKHAUL_STAFF_2FA_REQUIRED", not DEBUG)
OTP_TOTP_ISSUER = env_str("BACKHAUL_OTP_ISSUER", "Backhaul")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
LOGIN_URL = "admin:login"
PORTAL_LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:member-home"

# The API's list pages return at most this many rows per request (`limit`).
NINJA_PAGINATION_MAX_LIMIT = 1000

CATALOGUE_DIR = Path(env_str("BACKHAUL_CATALOGUES", str(BASE_DIR / "catalogues")))

# Celery runs tasks in-process unless a broker is configured (docs/operations.md).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", "")
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    # The daily tick runs each morning for the London date; it is safe to run again.
    "daily-tick": {"task": "backhaul.tick", "schedule": crontab(hour=2, minute=15)},
}

# Without SMTP configured, outgoing mail is written to files under var/mail/ (never to the
# terminal, where it would mix with a command's --json output).
EMAIL_BACKEND = env_str(
    "BACKHAUL_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = env_str("BACKHAUL_EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env_str("BACKHAUL_FROM_EMAIL", "backhaul@localhost")

UNFOLD = {
    "SITE_TITLE": "Backhaul",
    "SITE_HEADER": "Backhaul staff console",
    "SITE_SYMBOL": "router",
    "SHOW_HISTORY": True,
    "DASHBOARD_CALLBACK": "backhaul.api.dashboard.dashboard_callback",
    "ACCOUNT": {"navigation": "backhaul.privacy.console.account_links"},
}
