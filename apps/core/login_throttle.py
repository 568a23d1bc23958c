"""Sign-in throttling: django-axes' database handler with a limit of its own for each lockout
parameter.

axes (8.x) counts failed logins for every combination in AXES_LOCKOUT_PARAMETERS but compares
the largest count with one AXES_FAILURE_LIMIT. ccgtrack needs three different limits
(settings.LOGIN_FAILURE_LIMITS, failures within AXES_COOLOFF_TIME):

- one username from one address: 5, as before;
- one address across usernames: 25, so that 40 usernames tried from one address are refused
  while an office sharing one address, whose people mistype and then get in, never is;
- one username across addresses: 10, so that guesses spread over several addresses are
  refused, while one attacker at one address (stopped at 5) cannot lock the user out.

Two more rules keep a named user from being locked out by someone else:

- the per-username limit does not apply at an address the user has signed in from in the last
  LOGIN_KNOWN_ADDRESS_DAYS days: guesses from elsewhere never lock them out of their office;
- a successful login forgets that username's failures from that address only (axes' own
  reset would clear every combination, so an attacker with one valid account could wipe the
  per-address count by signing in).

Failures while refused are not counted (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT off):
an attacker who keeps trying at a refused address does not push the username's count up.
"""

from datetime import timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_lockout_parameters
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone


def _key(parameter):
    return (parameter,) if isinstance(parameter, str) else tuple(parameter)


class LoginThrottleHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        """The failures of the combination nearest its own limit, on the scale of
        AXES_FAILURE_LIMIT (axes locks out when this reaches it): AXES_FAILURE_LIMIT plus
        (failures - limit) of that combination."""
        username = get_client_username(request, credentials)
        parameters = get_lockout_parameters(request, credentials)
        nearest = None
        for parameter, attempts in zip(parameters, self.get_user_attempts(request, credentials), strict=True):
            key = _key(parameter)
            if "username" in key and not username:
                continue
            if key == ("username",) and self.is_known_address(username, request.axes_ip_address):
                continue
            failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            margin = failures - settings.LOGIN_FAILURE_LIMITS[key]
            nearest = margin if nearest is None else max(nearest, margin)
        if nearest is None:
            return 0
        return max(0, settings.AXES_FAILURE_LIMIT + nearest)

    def is_known_address(self, username, ip_address) -> bool:
        since = timezone.now() - timedelta(days=settings.LOGIN_KNOWN_ADDRESS_DAYS)
        return AccessLog.objects.filter(
            username=username, ip_address=ip_address, attempt_time__gte=since
        ).exists()

    def reset_user_attempts(self, request, credentials=None) -> int:
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(
            username=username, ip_address=request.axes_ip_address
        ).delete()
        return count
