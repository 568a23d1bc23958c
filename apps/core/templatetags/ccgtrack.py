from django import template

register = template.Library()


@register.filter
def person(user, default="—"):
    """A user's full name, else their username; ``default`` when there is no user."""
    if user is None:
        return default
    return user.get_full_name() or user.get_username()


@register.filter
def may_edit(user, organisation):
    """Whether ``user`` may change ``organisation``'s OD data (one query)."""
    from apps.organisations.permissions import can_edit

    return can_edit(user, organisation)
