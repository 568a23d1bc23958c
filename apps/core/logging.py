"""One line per refused or failed request in the logs, never a traceback for the client's
mistakes or for the database being down.

Django's "django.request" logger writes a warning for every 4xx and an error for every 5xx,
with the traceback of a PermissionDenied (403) or of the database's OperationalError (503).
This filter, on that logger (settings.LOGGING):

- drops the 404 lines: the server's request line ("GET /x 404") already says it;
- writes other 4xx, and a 503 for an unreachable database, as one line: what, which path,
  who (if signed in), from which address, and the exception's first line;
- leaves a real 500 alone: its traceback is what someone has to read.
"""

import logging

from django.utils.functional import empty

from apps.core.client_address import client_ip
from apps.core.errors import unavailable_cause


def _who(request):
    user = getattr(request, "user", None)
    user = getattr(user, "_wrapped", user)  # a lazy user is not loaded here: that needs the database
    if user is None or user is empty:
        return "-"  # not known (not loaded, or loading it failed)
    if not getattr(user, "is_authenticated", False):
        return "anonymous"
    return user.get_username()


class OneLinePerRequest(logging.Filter):
    def filter(self, record):
        status = getattr(record, "status_code", None)
        # Logging configured twice (the development server's django.setup() and then its
        # wsgi.py's) leaves two of these on the logger: the second one changes nothing.
        if status is None or getattr(record, "one_line", False):
            return True
        record.one_line = True
        if status == 404:
            return False
        exception = record.exc_info[1] if record.exc_info else None
        cause = unavailable_cause(exception)
        if status >= 500 and cause is None:
            return True
        request = getattr(record, "request", None)
        message = record.getMessage()
        if cause is not None:  # say what it is, whatever it was raised as (e.g. a lost session save)
            exception = cause
            if request is not None:
                message = f"Service Unavailable (database): {request.path}"
        details = []
        if request is not None and hasattr(request, "META"):
            details.append(f"user={_who(request)} address={client_ip(request)}")
        if exception is not None:
            lines = str(exception).strip().splitlines()
            details.append(f"{type(exception).__name__}: {lines[0]}" if lines else type(exception).__name__)
        record.msg = f"{message} ({'; '.join(details)})" if details else message
        record.args = None
        record.exc_info = record.exc_text = None
        return True
