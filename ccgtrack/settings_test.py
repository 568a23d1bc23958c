"""Test settings: the production settings (DEBUG off) with what a test run needs changed."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret")

from ccgtrack.settings import *  # noqa: E402,F403

SECURE_SSL_REDIRECT = False  # the test client and live server speak plain HTTP
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
# Files go to the local folder, whatever bucket the environment names; tests/conftest.py points
# MEDIA_ROOT at a temporary folder of each test's own.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
# Each test process has its own in-memory cache, whatever REDIS_URL says (tests that serve from
# Redis start servers with their own settings); tests/conftest.py empties it before every test.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ccgtrack-tests"}
}
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# No worker runs the tests' tasks: a board report's PDF is made when first asked for
# (tests/reports/test_pdf_ahead.py turns it on with the worker).
BOARD_REPORT_PDF_AHEAD = False
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Tests make their own roles (tests/conftest.py): the suite migrates and loads the seed as the
# URL's user (the owner: with the embedded PostgreSQL its superuser, which may create the test
# databases) and then runs every test as an app role made for the test database.
DATABASE_OWNER = None
DATABASE_APP_ROLE = ""
if not os.environ.get("DATABASE_URL"):
    DATABASES["default"]["USER"] = "postgres"  # noqa: F405
# The OpenID provider that the single sign-on tests sign in through (tests/signon/provider.py):
# django-oauth-toolkit (a dev dependency), mounted at /o/ by the tests' own URLconf only.
INSTALLED_APPS = [*INSTALLED_APPS, "oauth2_provider"]  # noqa: F405
