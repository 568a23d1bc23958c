"""Sign-in throttling that stops attackers, not colleagues: django-axes' database handler with
a limit of its own for each lockout parameter, and exemptions for the places and devices a
person already signs in from.

axes (8.x) counts failed logins for every combination in AXES_LOCKOUT_PARAMETERS but compares
the largest count with one AXES_FAILURE_LIMIT. ccgtrack has three limits (settings.
LOGIN_FAILURE_LIMITS, failures within AXES_COOLOFF_TIME, 15 minutes; README "Sign-in" argues
the numbers from OWASP ASVS 5.0 and the NCSC's guidance):

- one username from one address: 5 (NCSC: lock or throttle after 5 to 10 attempts);
- one address across usernames: 100, high enough that an NHS site behind one address never
  reaches it from its own people's typing (a successful login forgets that person's failures),
  low enough that one address cannot spray a password at more than 400 usernames an hour;
- one username across addresses: 10 (NCSC Cyber Essentials: no more than 10 guesses).

Three rules keep a named person from being locked out by someone else (ASVS 5.0 6.1.1: the
controls must "prevent malicious account lockout"):

- the per-username and per-address limits do not apply to a username at an address it has
  signed in from in the last LOGIN_KNOWN_ADDRESS_DAYS days, nor on a device it has signed in
  from (a signed cookie of the login page, ``KNOWN_DEVICE_COOKIE``, holding a keyed digest of
  each username signed in there, never the name): guesses from elsewhere, and a colleague's
  or an attacker's guesses from the same NHS site, never lock them out of their office or
  their laptop; the per-pair limit still applies there;
- a successful login forgets that username's failures from that address only (axes' own
  reset would clear every combination, so an attacker with one valid account could wipe the
  per-address count by signing in);
- failures while refused are not counted (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT off):
  an attacker who keeps trying at a refused address does not push the username's count up.

A refusal is 429 with ``Retry-After``: the seconds until the cool-off of the combination that
refused ends (15 minutes after its last counted failure).
"""

import math
from datetime import timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_lockout_parameters
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.core import signing
from django.db.models import Max, Sum
from django.shortcuts import render
from django.utils import timezone
from django.utils.crypto import salted_hmac

KNOWN_DEVICE_COOKIE = "ccgtrack_device"
_DEVICE_SALT = "ccgtrack.login_throttle.known_device"
MAX_KNOWN_USERNAMES = 10  # a shared computer remembers the last ten people, no more


def _key(parameter):
    return (parameter,) if isinstance(parameter, str) else tuple(parameter)


def _username_digest(username):
    return salted_hmac(_DEVICE_SALT, (username or "").casefold()).hexdigest()[:20]


def known_device_digests(request) -> list[str]:
    """The digests of the usernames signed in on this browser (an empty list if the cookie is
    missing, forged or older than LOGIN_KNOWN_ADDRESS_DAYS)."""
    try:
        value = request.get_signed_cookie(
            KNOWN_DEVICE_COOKIE, salt=_DEVICE_SALT, max_age=settings.LOGIN_KNOWN_ADDRESS_DAYS * 86400
        )
        digests = signing.loads(value, salt=_DEVICE_SALT)
    except (KeyError, signing.BadSignature, ValueError):
        return []
    return [d for d in digests if isinstance(d, str)] if isinstance(digests, list) else []


def remember_device(request, response, username) -> None:
    """After a successful sign-in: this browser is a known device of ``username``."""
    digest = _username_digest(username)
    digests = [d for d in known_device_digests(request) if d != digest]
    digests = ([digest] + digests)[:MAX_KNOWN_USERNAMES]
    response.set_signed_cookie(
        KNOWN_DEVICE_COOKIE,
        signing.dumps(digests, salt=_DEVICE_SALT),
        salt=_DEVICE_SALT,
        max_age=settings.LOGIN_KNOWN_ADDRESS_DAYS * 86400,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


class LoginThrottleHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        """The failures of the combination nearest its own limit, on the scale of
        AXES_FAILURE_LIMIT (axes locks out when this reaches it): AXES_FAILURE_LIMIT plus
        (failures - limit) of that combination. Sets ``request.ccgtrack_retry_after`` (seconds)
        for a refusal."""
        username = get_client_username(request, credentials)
        parameters = get_lockout_parameters(request, credentials)
        familiar = bool(username) and self.is_familiar(request, username)
        nearest = None
        retry_after = 0
        now = timezone.now()
        for parameter, attempts in zip(parameters, self.get_user_attempts(request, credentials), strict=True):
            key = _key(parameter)
            if "username" in key and not username:
                continue
            if familiar and key in (("username",), ("ip_address",)):
                continue
            totals = attempts.aggregate(total=Sum("failures_since_start"), last=Max("attempt_time"))
            margin = (totals["total"] or 0) - settings.LOGIN_FAILURE_LIMITS[key]
            nearest = margin if nearest is None else max(nearest, margin)
            if margin >= 0 and totals["last"]:
                ends = totals["last"] + timedelta(hours=settings.AXES_COOLOFF_TIME)
                retry_after = max(retry_after, math.ceil((ends - now).total_seconds()))
        request.ccgtrack_retry_after = max(1, retry_after)
        if nearest is None:
            return 0
        return max(0, settings.AXES_FAILURE_LIMIT + nearest)

    def is_familiar(self, request, username) -> bool:
        """Whether ``username`` signs in from here: this address in the last
        LOGIN_KNOWN_ADDRESS_DAYS days, or this browser."""
        if _username_digest(username) in known_device_digests(request):
            return True
        return self.is_known_address(username, request.axes_ip_address)

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


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the "too many attempts" page, 429, with Retry-After."""
    retry_after = getattr(request, "ccgtrack_retry_after", None) or int(settings.AXES_COOLOFF_TIME * 3600)
    response = render(
        request,
        settings.AXES_LOCKOUT_TEMPLATE,
        {"retry_minutes": max(1, math.ceil(retry_after / 60))},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response
