"""The client's address, as sign-in throttling and the logs see it.

Without a reverse proxy (TRUSTED_PROXY_COUNT=0, the default) it is the connection's address,
REMOTE_ADDR, and X-Forwarded-For is ignored: a client cannot choose the address it is counted
under. Behind N trusted reverse proxies, each of which appends the address it received the
request from to X-Forwarded-For (nginx's ``$proxy_add_x_forwarded_for``, HAProxy's
``option forwardfor``, cloud load balancers), the client is the N-th address from the right:
whatever a client writes into the header itself stands to the left of it and is never used.
"""

import ipaddress

from django.conf import settings


def _address(value):
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request):
    remote = request.META.get("REMOTE_ADDR") or None
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if not forwarded:
        return remote  # the request did not come through the proxies
    # Fewer entries than proxies: it passed fewer of them, and every entry was written by one.
    hop = forwarded[-count] if len(forwarded) >= count else forwarded[0]
    return _address(hop) or remote
