"""How the API knows who is asking: a personal access token (``Authorization: Bearer ccg-...``),
or the signed-in session of the browsable pages and the documentation."""

from django.utils import timezone
from rest_framework import authentication, exceptions

from .models import LAST_USED_EVERY, TOKEN_START, AccessToken, token_hash


class AccessTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <token>``. A revoked or expired token, or one of an account that
    is deactivated, is refused (401), never treated as no token. The token is kept on the request
    (``request.auth``): the permissions read its scope, the throttle its id, the writes its prefix
    for the history."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Give the token after 'Bearer ', with no spaces in it.")
        try:
            text = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("That is not a ccgtrack token.") from exc
        if not text.startswith(TOKEN_START) or len(text) > 200:
            raise exceptions.AuthenticationFailed("That is not a ccgtrack token.")
        token = AccessToken.objects.select_related("user").filter(secret_hash=token_hash(text)).first()
        now = timezone.now()
        if token is None or token.revoked_at is not None or token.expires_at <= now:
            raise exceptions.AuthenticationFailed("The token is unknown, revoked or expired.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("The token's account is deactivated.")
        if token.last_used_at is None or token.last_used_at < now - LAST_USED_EVERY:
            # Written at most once a minute: a report refreshing pages of rows writes once.
            AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token.user, token

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'
