from apps.core import permissions


def navigation(request):
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {}
    return {"is_admin": permissions.is_admin(user)}
