"""`make bench SCALE=national` serves the app through gunicorn with the production settings and
these few changes: plain HTTP on loopback, and a trivial view to compare every page with
(bench/urls.py). Used only by the benchmark's gunicorn (bench/server.py)."""

import os

os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")

from ccgtrack.settings import *  # noqa: E402,F403
from ccgtrack.settings import STORAGES  # noqa: E402

ROOT_URLCONF = "bench.urls"
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
