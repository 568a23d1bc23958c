"""Session lifetime: idle expiry is the session's age (SESSION_COOKIE_AGE), renewed when this
middleware records activity, at most once every SESSION_ACTIVITY_INTERVAL seconds; and the absolute
limit (12 hours from login by default)."""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.db import InterfaceError, OperationalError
from django.utils.log import log_response

from apps.core.errors import service_unavailable_response

SESSION_STARTED_KEY = "ccgtrack_session_started"
SESSION_ACTIVE_KEY = "ccgtrack_session_active"


class SessionLifetimeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            started = request.session.setdefault(SESSION_STARTED_KEY, now)
            if now - started > settings.SESSION_ABSOLUTE_LIFETIME:
                logout(request)
                return redirect_to_login(request.get_full_path())
            # Changing the session is what saves it, and a save renews its expiry (and cookie).
            active = request.session.get(SESSION_ACTIVE_KEY, 0)
            if now - active >= settings.SESSION_ACTIVITY_INTERVAL:
                request.session[SESSION_ACTIVE_KEY] = now
        return self.get_response(request)


class NoStoreMiddleware:
    """Every page, export and PDF the application renders is `Cache-Control: private, no-store`
    (unless its view chose a policy of its own): they carry one organisation's data for one
    signed-in user, and must not stay in a shared cache or on a shared computer's disk. Static
    files are served by WhiteNoise, before this middleware, with their own long-lived headers.

    It sets the header on every response, signed in or not, rather than asking whether the
    user is signed in: that would need the session, and so the database, which may be the very
    thing that is down while the response is a 503."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Cache-Control" not in response:
            response["Cache-Control"] = "private, no-store"
        return response


class DatabaseUnavailableMiddleware:
    """While PostgreSQL is unreachable, a request is answered with the "temporarily unavailable"
    page (503, Retry-After) as soon as the database is first needed, which for a signed-in user
    is here, loading the session and the user. Listed right after AuthenticationMiddleware.
    Later failures (a view's queries, saving the session) reach Django's error handlers
    (apps/core/errors.py), which answer the same 503. /healthz answers its own 503."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info != "/healthz":
            try:
                request.user.is_authenticated  # noqa: B018  (loads the session and the user)
            except (OperationalError, InterfaceError) as exc:
                response = service_unavailable_response()
                log_response(
                    "%s: %s",
                    response.reason_phrase,
                    request.path,
                    response=response,
                    request=request,
                    exception=exc,
                )
                return response
        return self.get_response(request)
