"""The demo accounts on the login page, when `make run` made them: never in production.

`make run` (ccgtrack/devserver.py) serves with DEBUG and DEMO_LOGINS on; settings.py ignores
DEMO_LOGINS when DEBUG is off, and this looks at both again on each request. Only the accounts
that exist are listed, with the password create_demo_accounts gave them (DEMO_PASSWORD, as
`make run` passed it on, or the default).
"""

import os

from django.conf import settings
from django.contrib.auth import get_user_model

from apps.organisations.management.commands.create_demo_accounts import DEFAULT_PASSWORD, DEMO_ACCOUNTS
from apps.organisations.models import Membership, Organisation


def enabled() -> bool:
    return bool(settings.DEBUG and settings.DEMO_LOGINS)


def accounts():
    """[(username, role)] of the demo accounts that exist."""
    usernames = [username for username, *_ in DEMO_ACCOUNTS]
    existing = set(get_user_model().objects.filter(username__in=usernames).values_list("username", flat=True))
    names: dict[str, str] = dict(
        Organisation.objects.filter(slug__in=[slug for *_, slug, _ in DEMO_ACCOUNTS if slug]).values_list(
            "slug", "name"
        )
    )
    listed = []
    for username, _, _, slug, role in DEMO_ACCOUNTS:
        if username not in existing:
            continue
        if role is None or slug is None:
            what = "Administrator: everything, and the admin"
        else:
            what = f"{Membership.Role(role).label}, {names.get(slug, slug)}"
        listed.append((username, what))
    return listed


def demo_logins(request):
    """Context processor: `demo_logins` on the login page only, computed when it is shown."""
    match = getattr(request, "resolver_match", None)
    if not enabled() or match is None or match.url_name != "login":
        return {}
    return {"demo_logins": accounts, "demo_password": os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD}
