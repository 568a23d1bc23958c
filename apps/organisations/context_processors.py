from apps.organisations import permissions


def navigation(request):
    """The header's role label and admin link, worked out once per request (django-tables2
    renders its template with a fresh context, which runs the processors again)."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {}
    if not hasattr(request, "_ccgtrack_navigation"):
        request._ccgtrack_navigation = {
            "is_admin": permissions.is_admin(user),
            "role_label": permissions.role_label(user),
        }
    return request._ccgtrack_navigation
