"""Who may call the API: anyone signed in (a token or a session) reads what the pages let them
read; a write needs a read-write token (or a session). What they may change is the services'
own rule (apps.organisations.permissions), asked by the edit path."""

from rest_framework import permissions

from .models import AccessToken


class TokenScope(permissions.BasePermission):
    message = "This token is read-only: make a read-and-write token to change records."

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated and request.user.is_active):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        token = request.auth
        return not isinstance(token, AccessToken) or token.may_write
