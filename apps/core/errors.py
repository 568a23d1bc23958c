"""The product's error pages: 400, 403, 404, 500 and 503 (the database is unreachable).

Django uses the handlers below (ccgtrack/urls.py) when DEBUG is off. `make run` keeps DEBUG on
for its development conveniences, where Django would show its technical pages instead;
ProductErrorPagesMiddleware shows the product's pages there too, unless DEBUG_PAGES=1.

The 500 and 503 pages are rendered without the request, so without context processors, the
session or the user: nothing on them needs the database.
"""

import sys

import psycopg2
from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse, HttpResponseServerError
from django.template.loader import render_to_string
from django.urls import Resolver404, get_resolver
from django.utils.log import log_response
from django.views import defaults
from django.views.decorators.csrf import requires_csrf_token

RETRY_AFTER_SECONDS = 30


# Django's wrappers of the driver's errors, and the driver's own: a server-side cursor read
# while rendering (QuerySet.iterator()) raises psycopg2's error unwrapped.
UNAVAILABLE = (OperationalError, InterfaceError, psycopg2.OperationalError, psycopg2.InterfaceError)


def unavailable_cause(exc):
    """The exception, or the one it arose from, that says the database is unreachable (refused
    or dropped connections, a server shutting down or starting up, a cancelled statement), or
    None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, UNAVAILABLE):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def database_unavailable(exc) -> bool:
    return unavailable_cause(exc) is not None


def service_unavailable_response():
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error_response():
    return HttpResponseServerError(render_to_string("500.html"))


@requires_csrf_token
def bad_request(request, exception):
    # The session could not be saved at the end of the request because the database went
    # away (SessionInterrupted from an UpdateError from an OperationalError): not the
    # client's fault, so a 503, not a 400.
    if database_unavailable(exception):
        return service_unavailable_response()
    return defaults.bad_request(request, exception)


@requires_csrf_token
def server_error(request):
    # Django calls this inside its `except` block, so the exception is at hand.
    if database_unavailable(sys.exc_info()[1]):
        return service_unavailable_response()
    return server_error_response()


def csrf_failure(request, reason=""):
    """A refused form (expired page, cookies off, another site's form): the product's 403."""
    return defaults.permission_denied(
        request,
        PermissionDenied(
            "This form had expired or did not come from ccgtrack, so nothing was changed. "
            "Go back, reload the page and try again."
        ),
    )


class ProductErrorPagesMiddleware:
    """With DEBUG on (`make run`), the product's own 404, 500 and 503 pages instead of Django's
    technical ones, unless DEBUG_PAGES is set; the traceback of a 500 goes to the console.
    With DEBUG off it does nothing: Django uses the handlers above. Listed last, so that its
    process_exception sees a view's exception first and every other middleware works on the
    page it returns."""

    def __init__(self, get_response):
        self.get_response = get_response

    @staticmethod
    def active():
        return settings.DEBUG and not settings.DEBUG_PAGES

    def __call__(self, request):
        if self.active():
            # An address no URL matches is a 404 before any view runs (Django would show its
            # technical "URLconf" page): answer it here, where the resolver would.
            try:
                get_resolver(getattr(request, "urlconf", None)).resolve(request.path_info)
            except Resolver404 as exc:
                return defaults.page_not_found(request, exc)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not self.active():
            return None
        if isinstance(exception, PermissionDenied):
            return None  # Django renders 403.html (handler403) whatever DEBUG says
        if isinstance(exception, Http404):
            return defaults.page_not_found(request, exception)
        if isinstance(exception, BadRequest | SuspiciousOperation):
            response = bad_request(request, exception)
        elif database_unavailable(exception):
            response = service_unavailable_response()
        else:
            response = server_error_response()
        log_response(
            "%s: %s",
            response.reason_phrase,
            request.path,
            response=response,
            request=request,
            exception=exception,
        )
        return response
