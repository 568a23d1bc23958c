"""ccgtrack settings: everything that differs between machines comes from the environment.

DATABASE_URL  PostgreSQL URL; unset means the embedded PostgreSQL in .local/pgdata
SECRET_KEY    required when DEBUG is off
DEBUG         "true"/"1" for development (default off)
ALLOWED_HOSTS comma-separated host names (default: localhost names when DEBUG is on)
MEDIA_ROOT    where issued papers' PDFs are kept (default: media/ in the checkout)
AWS_STORAGE_BUCKET_NAME  keep them in this S3-compatible bucket instead (django-storages)
EVIDENCE_MAX_UPLOAD_BYTES  the largest evidence file kept (default 25 MB; in evidence/ of the storage)
"""

import os
from pathlib import Path
from typing import Any

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit():
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}")
    return int(value)


DEBUG = env_bool("DEBUG")
# With DEBUG on, the product's error pages are shown all the same (apps/core/errors.py) unless
# DEBUG_PAGES is set too: then Django's technical 404 and 500 pages, for developers.
DEBUG_PAGES = DEBUG and env_bool("DEBUG_PAGES")
# `make run` lists its demo accounts on the login page (apps/organisations/demo.py); never with DEBUG off.
DEMO_LOGINS = DEBUG and env_bool("DEMO_LOGINS")
SECRET_KEY = os.environ.get("SECRET_KEY", "")
SECRET_KEY_FROM_ENVIRONMENT = bool(SECRET_KEY)
if not SECRET_KEY:
    # Management commands (migrate, makemigrations, load_seed) need no real key. The prefix makes
    # `check --deploy` fail on it (security.W009, run first by `make serve`), and wsgi.py refuses
    # to serve with DEBUG off unless SECRET_KEY comes from the environment.
    SECRET_KEY = "django-insecure-ccgtrack-development-key-not-for-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")

INSTALLED_APPS = [
    "apps.core.apps.CcgtrackAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "apps.core.apps.StaticFilesWithoutUnusedConfig",  # django.contrib.staticfiles
    "django.contrib.humanize",
    "django_tables2",
    "django_filters",
    "django_htmx",
    "pgtrigger",
    "apps.core.apps.AuditTrailConfig",  # pghistory, with a readable name in the admin
    "pghistory.admin",
    "apps.core.apps.SignInAttemptsConfig",  # axes
    "csp",
    "apps.core",
    "apps.organisations",
    "apps.plans",
    "apps.risks",
    "apps.dashboards",
    "apps.reports",
    "apps.assurance",
    "apps.evidence",
    "apps.signon",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "apps.core.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.core.freshness.ViewerMiddleware",
    "apps.core.middleware.DatabaseUnavailableMiddleware",
    "apps.core.middleware.RequestBodyLimitMiddleware",
    "apps.core.middleware.SessionLifetimeMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    "axes.middleware.AxesMiddleware",
    "apps.core.errors.ProductErrorPagesMiddleware",
]

ROOT_URLCONF = "ccgtrack.urls"
WSGI_APPLICATION = "ccgtrack.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.organisations.context_processors.navigation",
                "apps.organisations.demo.demo_logins",
            ],
        },
    },
]

# --- Database: PostgreSQL only -------------------------------------------------------------
# Two roles (apps/core/dbroles.py, README "Database roles"): DATABASE_URL is how the app
# connects (a role that owns nothing and cannot rewrite history); DATABASE_OWNER_URL how
# `migrate` and `load_seed --reset` connect (the role that owns the tables). Unset: one role for
# both. The embedded PostgreSQL sets up both roles itself.
_owner_url = os.environ.get("DATABASE_OWNER_URL", "")
if os.environ.get("DATABASE_URL"):
    _database_url = os.environ["DATABASE_URL"]
else:
    from ccgtrack import embedded_db

    _database_url = embedded_db.database_url()
    _owner_url = _owner_url or embedded_db.owner_url()
# Persistent connections (DB_CONN_MAX_AGE seconds, 0: one per request, as behind a pooler such as
# PgBouncer in transaction mode) with a health check before reuse. TLS and other libpq options
# come with the URL, e.g. ?sslmode=verify-full&sslrootcert=/etc/ssl/certs/ca.pem.
DATABASES = {
    "default": dj_database_url.parse(
        _database_url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
    )
}
# Behind a transaction-mode pooler, server-side cursors (the streamed exports' .iterator()) must be off.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool("DB_DISABLE_SERVER_SIDE_CURSORS")
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("ccgtrack runs on PostgreSQL only; DATABASE_URL must be postgres://...")
DATABASE_OWNER: dict[str, Any] | None = dict(dj_database_url.parse(_owner_url)) if _owner_url else None
# The role `migrate` grants the app's privileges to: default, the user of DATABASE_URL when the
# owner's is another.
DATABASE_APP_ROLE = os.environ.get("DATABASE_APP_ROLE", "") or (
    DATABASES["default"]["USER"]
    if DATABASE_OWNER and DATABASE_OWNER.get("USER") != DATABASES["default"].get("USER")
    else ""
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "apps.signon.backends.SingleSignOnBackend",  # only at the sign-on callback (apps/signon)
    "apps.signon.backends.LocalPasswordsBackend",  # refuses passwords when LOCAL_PASSWORDS is off
    "apps.core.signin.UsernameLengthBackend",
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Failed logins are throttled three ways (apps/core/login_throttle.py, README "Sign-in"): per
# username from one address, per address across usernames and per username across addresses,
# each with its own limit of failures within AXES_COOLOFF_TIME. The limits let an office that
# shares one address sign in, and keep one attacker from locking a named user out.
LOGIN_FAILURE_LIMITS = {
    ("username", "ip_address"): 5,
    ("ip_address",): 100,
    ("username",): 10,
}
# The per-username and per-address limits spare the addresses and browsers a person signed in
# from in this many days.
LOGIN_KNOWN_ADDRESS_DAYS = 30
AXES_HANDLER = "apps.core.login_throttle.LoginThrottleHandler"
AXES_LOCKOUT_PARAMETERS = [list(parameters) for parameters in LOGIN_FAILURE_LIMITS]
AXES_FAILURE_LIMIT = 5  # the scale the handler reports on; each combination has its own limit
AXES_COOLOFF_TIME = 0.25  # hours
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # refused attempts count nowhere
# Behind reverse proxies: how many of them append to X-Forwarded-For (apps/core/client_address.py).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "apps.core.client_address.client_ip"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_LOCKOUT_CALLABLE = "apps.core.login_throttle.lockout_response"  # 429 with Retry-After

# Sessions end after 30 minutes idle, after 12 hours in all, and on logout. Activity is recorded
# (the session saved, so its expiry and cookie renewed) at most once a minute by
# SessionLifetimeMiddleware, not on every request: a page view costs no database write, and a
# session ends between 29 and 30 minutes after its user's last request.
SESSION_COOKIE_AGE = 30 * 60
# The cache: Redis when REDIS_URL is set, one cache shared by every app server, and sessions are
# then read from it and written through to PostgreSQL; otherwise this process's memory, and
# sessions in PostgreSQL only (a per-process cache must never hold sessions: a logout on one app
# server would not reach another's copy).
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "ccgtrack"),
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    # Sized for the pages in use: one person's round of their dashboard, a list, the register, the
    # heat map and the board report keeps about 20 entries (40 KB each, pickled), so Django's
    # default of 300 entries held 15 people's; past that it dropped a third of the cache at each
    # new entry and pages were computed again and again (50 people: 15 requests a second instead
    # of 40). 2,000 entries are at most about 80 MB per worker process.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": env_int("CACHE_MAX_ENTRIES", 2000)},
        }
    }
# Messages live in the session, not in a cookie: "Saved at 10:42: ..." must reach the user's
# next page even when the response to their POST never reached the browser (apps/core/receipts.py).
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_SAVE_EVERY_REQUEST = False
SESSION_ACTIVITY_INTERVAL = 60
SESSION_ABSOLUTE_LIFETIME = 12 * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "apps.core.errors.csrf_failure"

if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy: no inline script anywhere; everything is served from 'self'.
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = False

# --- Static files (whitenoise) --------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / ".local" / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "apps.core.staticfiles.StaticFilesStorage"
    },
}

# --- Files: the PDFs of issued board papers ---------------------------------------------------
# Written through Django's storage API and read back only by the paper's own view, which checks
# each file's SHA-256 (the storage's addresses are never served, so there is no MEDIA_URL).
# Default: a folder of the checkout (ignored by git). With AWS_STORAGE_BUCKET_NAME set, an
# S3-compatible bucket through django-storages (`pip install -e '.[s3]'`); the credentials are
# boto3's own (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment, or the machine's
# role), never kept in these settings.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or BASE_DIR / "media")
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "").strip()
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL", "").strip() or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME", "").strip() or None,
            "location": os.environ.get("AWS_LOCATION", "").strip(),
            "file_overwrite": False,  # a paper's file is never replaced: another name is chosen
            "querystring_auth": True,
        },
    }

DJANGO_TABLES2_TEMPLATE = "django_tables2/table.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "table"}


# Everything goes to the console once: Django's own "django" handler (which, with DEBUG on,
# printed every line a second time beside the root's) is replaced by propagation to the root.
# django.server keeps its handler: the development server's request lines. django.request
# writes a refused request as one line and no 404s at all (apps/core/logging.py).
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"one_line_per_request": {"()": "apps.core.logging.OneLinePerRequest"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "django.request": {"filters": ["one_line_per_request"]},
        "axes": {"level": "WARNING"},
        "pgserver": {"level": "WARNING"},
        # WeasyPrint logs every page it lays out at INFO; its warnings (CSS it ignores) still show.
        "weasyprint.progress": {"level": "WARNING"},
    },
}
FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# --- Reminders (issue 11) -------------------------------------------------------------------
# SITE_URL            where people reach ccgtrack, for the links in reminder emails
# EMAIL_URL           the mail server, e.g. submission://user:password@smtp.example.nhs.uk:587
#                     (dj-email-url; ?timeout=, ?ssl=1). Unset: the console under DEBUG, else
#                     smtp://localhost:25
# DEFAULT_FROM_EMAIL  the sender of invitations and reminders
# TASKS_BACKEND       "database" (django-tasks-db: `manage.py db_worker` runs the tasks) or
#                     "immediate" (in the process that enqueues them); default: immediate under
#                     DEBUG (`make run`), database otherwise
import dj_email_url  # noqa: E402

INSTALLED_APPS += [
    "django_tasks",
    "apps.core.apps.BackgroundTasksConfig",
    "apps.reminders",
]  # django_tasks_db
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "ccgtrack <ccgtrack@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
_email = dj_email_url.parse(os.environ.get("EMAIL_URL") or ("console:" if DEBUG else "smtp://localhost:25"))
if "EMAIL_BACKEND" not in _email:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("EMAIL_URL must start with smtp://, submission://, console:, file://, memory:")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _email["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
EMAIL_TIMEOUT = _email["EMAIL_TIMEOUT"] or 10
EMAIL_FILE_PATH = _email["EMAIL_FILE_PATH"] or None
# One log line per task at INFO is noise in the job's log; failures still log (ERROR), and
# `db_worker` sets its own level from --verbosity.
LOGGING["loggers"]["django_tasks"] = {"level": "WARNING"}
_tasks_backend = os.environ.get("TASKS_BACKEND", "immediate" if DEBUG else "database")
# The board report's PDF made ahead by the task worker when the data change (apps/reports/pdfs.py):
# on wherever a worker runs the tasks (the database backend).
BOARD_REPORT_PDF_AHEAD = env_bool("BOARD_REPORT_PDF_AHEAD", _tasks_backend == "database")
TASKS = {
    "default": {
        "BACKEND": {
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
            "database": "django_tasks_db.DatabaseBackend",
        }[_tasks_backend],
    }
}

# An uploaded plan waits between its preview and its confirmation in Django's default storage
# (plan-imports/ of MEDIA_ROOT, or the S3 bucket: shared by every app server), or in this folder
# when it is set (apps/plans/imports/pending.py).
PLAN_IMPORT_DIR = os.environ.get("PLAN_IMPORT_DIR", "")
# No request body larger than this is read (apps/core/middleware.py RequestBodyLimitMiddleware):
# a 10 MB plan upload, an evidence file and their forms fit. Set the same limit at the proxy (README).
# The largest evidence file kept (apps/evidence/files.py), 25 MB unless set.
EVIDENCE_MAX_UPLOAD_BYTES = env_int("EVIDENCE_MAX_UPLOAD_BYTES", 25 * 1024 * 1024)
MAX_REQUEST_BYTES = env_int(
    "MAX_REQUEST_BYTES", max(11 * 1024 * 1024, EVIDENCE_MAX_UPLOAD_BYTES + 1024 * 1024)
)
# ... and from someone not signed in (the login and set-password forms are far smaller).
ANONYMOUS_MAX_REQUEST_BYTES = 64 * 1024

# --- The REST API (issue 23; apps/api, README "The API") ---------------------------------------
# API_THROTTLE_RATE  requests a token (or a signed-in person) may make, e.g. 600/hour (DRF's form)
INSTALLED_APPS += ["rest_framework", "drf_spectacular", "drf_spectacular_sidecar", "apps.api"]
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.api.authentication.AccessTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["apps.api.permissions.TokenScope"],
    "DEFAULT_THROTTLE_CLASSES": ["apps.api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": os.environ.get("API_THROTTLE_RATE", "") or "1200/hour"},
    "DEFAULT_PAGINATION_CLASS": "apps.api.pagination.IdCursorPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Amounts as JSON numbers, which Power BI and Excel read as numbers (not as text).
    "COERCE_DECIMAL_TO_STRING": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ccgtrack API",
    "DESCRIPTION": (
        "Read the organisations, OD plans, deliverables, status history, risks and reviews, "
        "self-assessments and issued board papers you may see in ccgtrack; change a "
        "deliverable's status and review a risk. Authenticate with a personal access token "
        "(`Authorization: Bearer ccg-...`) made on your 'API tokens' page."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "DeliverableStatusEnum": "apps.plans.models.DeliverableStatus",
        "RiskStatusEnum": "apps.risks.models.Risk.Status",
        "BandEnum": "apps.risks.models.Band",
    },
}
# --- Single sign-on (issue 23): OpenID Connect, e.g. NHSmail / Microsoft Entra ID ---------------
# Off unless OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are all set (apps/signon, README
# "Single sign-on"). The endpoints come from the issuer's /.well-known/openid-configuration,
# read when first needed, unless OIDC_AUTHORIZATION_ENDPOINT, OIDC_TOKEN_ENDPOINT and
# OIDC_JWKS_ENDPOINT name them. mozilla-django-oidc reads the OIDC_RP_* and OIDC_* names below.
OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "").strip().rstrip("/")
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "").strip()
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "").strip()
OIDC_EXPLICIT_ENDPOINTS = {
    "authorization_endpoint": os.environ.get("OIDC_AUTHORIZATION_ENDPOINT", "").strip(),
    "token_endpoint": os.environ.get("OIDC_TOKEN_ENDPOINT", "").strip(),
    "jwks_uri": os.environ.get("OIDC_JWKS_ENDPOINT", "").strip(),
}
# Addresses in these domains are trusted without a verification claim: the domains verified in
# the Entra tenant that OIDC_ISSUER names (e.g. nhs.net for NHSmail); see README.
OIDC_TRUSTED_EMAIL_DOMAINS = [d.lower() for d in env_list("OIDC_TRUSTED_EMAIL_DOMAINS")]
OIDC_BUTTON_LABEL = os.environ.get("OIDC_BUTTON_LABEL", "").strip() or "Sign in with NHSmail / Microsoft"
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = "openid email profile"
OIDC_USE_NONCE = True
OIDC_USE_PKCE = True
OIDC_TIMEOUT = 10
OIDC_AUTHENTICATION_CALLBACK_URL = "signon:callback"
# Domains no organisation may allow for everyone (shared by people of many organisations).
SHARED_EMAIL_DOMAINS = ["nhs.net", "nhs.uk", "gmail.com", "outlook.com", "hotmail.com", "yahoo.com"]
# LOCAL_PASSWORDS=false: nobody signs in with a ccgtrack password (the form is gone and a
# posted one refused), except a superuser at the admin's login as the break-glass (README).
LOCAL_PASSWORDS = env_bool("LOCAL_PASSWORDS", True)
if not LOCAL_PASSWORDS and not (OIDC_ISSUER and OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "LOCAL_PASSWORDS=false needs single sign-on: set OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET"
    )
