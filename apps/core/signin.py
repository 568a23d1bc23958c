"""Sign-in input checks that Django's login form leaves out."""

from typing import cast

from django.contrib.auth import get_user_model
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import ngettext

from apps.core.login_throttle import remember_device


class UsernameLengthBackend:
    """First of AUTHENTICATION_BACKENDS: refuses a username longer than any user can have.

    Django's AuthenticationForm sets the username field's max_length after the field is built,
    so no length validator runs and a 256-character username reaches authenticate(), where
    django-axes fails to record it (its column holds 255) and the request became a 500. The
    form calls authenticate() from clean(), which turns this ValidationError into the form's
    own error on the login page and on the admin's; nothing is recorded, since such a name
    cannot be anyone's. It has no get_user(), so it never holds a session (nor is chosen by
    the test client's force_login)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        field = cast(models.CharField, get_user_model()._meta.get_field(get_user_model().USERNAME_FIELD))
        if username is not None and field.max_length and len(username) > field.max_length:
            raise ValidationError(
                ngettext(
                    "A username has at most %(limit)d character; this one has %(length)d.",
                    "A username has at most %(limit)d characters; this one has %(length)d.",
                    field.max_length,
                )
                % {"limit": field.max_length, "length": len(username)},
                code="max_length",
            )
        return None  # no opinion: the next backends decide


class SignInView(LoginView):
    """Django's login page, which also remembers this browser as a known device of the person
    who signed in (apps/core/login_throttle.py): other people's failed attempts never lock them
    out of it."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        remember_device(self.request, response, form.get_user().get_username())
        return response
