"""Session lifetime: idle expiry is the session's age (SESSION_COOKIE_AGE), renewed when this
middleware records activity, at most once every SESSION_ACTIVITY_INTERVAL seconds; and the absolute
limit (12 hours from login by default)."""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
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


class RequestBodyLimitMiddleware:
    """Refuses, before a byte of the body is read: a request body larger than
    MAX_REQUEST_BYTES (413: the largest form ccgtrack takes is a 10 MB plan upload), and, from
    someone not signed in, a body larger than ANONYMOUS_MAX_REQUEST_BYTES (sent to the login
    page: the forms anyone may send, signing in and setting a password, are a few hundred bytes,
    so this is an upload). Listed right after AuthenticationMiddleware: CSRF's check, which
    reads the form, comes later, so a 300 MB anonymous POST no longer fills a temporary file
    before it is refused. A body without a Content-Length is read by Django as empty. Set the
    same limit at the proxy (README)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BYTES:
            from django.template.loader import render_to_string

            megabytes = settings.MAX_REQUEST_BYTES / 1024 / 1024
            message = f"The request is larger than {megabytes:.0f} MB, more than any form here takes."
            response = HttpResponse(
                render_to_string("400.html", {"message": message}), status=413, content_type="text/html"
            )
            response["Connection"] = "close"  # the unread body is not waited for
            log_response("%s: %s", response.reason_phrase, request.path, response=response, request=request)
            return response
        if length > settings.ANONYMOUS_MAX_REQUEST_BYTES and not request.user.is_authenticated:
            response = redirect_to_login(request.get_full_path())
            response["Connection"] = "close"
            return response
        return self.get_response(request)
