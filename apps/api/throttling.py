"""Throttling per token: each token has its own allowance (``DEFAULT_THROTTLE_RATES["token"]``),
a session its user's."""

from rest_framework.throttling import SimpleRateThrottle

from .models import AccessToken


class TokenRateThrottle(SimpleRateThrottle):
    scope = "token"

    def get_cache_key(self, request, view):
        token = request.auth
        if isinstance(token, AccessToken):
            ident = f"token-{token.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
