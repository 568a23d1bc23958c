"""The app's URLs plus the benchmark's trivial views (registered only in bench/settings.py)."""

import os

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import path

from ccgtrack.urls import urlpatterns as app_urlpatterns


def ok(request):
    """No database access beyond what the middleware does for every request."""
    return HttpResponse("ok", content_type="text/plain")


@login_not_required
def worker(request):
    """Which worker process answered: the benchmark starts measuring once every one has."""
    return HttpResponse(str(os.getpid()), content_type="text/plain")


urlpatterns = [
    path("bench/worker/", worker, name="bench_worker"),
    path("bench/ok/", ok, name="bench_ok"),
    path("bench/ok-anonymous/", login_not_required(ok), name="bench_ok_anonymous"),
    *app_urlpatterns,
]
