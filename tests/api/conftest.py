import pytest

from apps.api.models import AccessToken
from apps.api.services import token_create


def make_token(user, scope=AccessToken.Scope.WRITE, days=30, name="Test"):
    return token_create(user=user, name=name, scope=scope, days=days)[1]


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def api(client):
    """``api(user_or_token, method, url, data)``: a request with a token (a user gets a
    read-and-write token made for them)."""

    def call(who, url, data=None, method="get", **headers):
        token = who if isinstance(who, str) else make_token(who)
        kwargs = {**bearer(token), **headers}
        if method == "get":
            return client.get(url, data or {}, **kwargs)
        return client.generic(
            method.upper(),
            url,
            data=__import__("json").dumps(data or {}),
            content_type="application/json",
            **kwargs,
        )

    return call
