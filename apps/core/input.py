"""Request input that no form sees: the query string and posted values the Django admin passes
straight to the ORM (its search box, list filters, autocomplete ``term``, the audit trail's
``obj``), and the list pages' ``per_page``. Bad values answer 400 with a message, never 500.

Values that reach ccgtrack's own pages go through forms and filtersets, whose fields already
refuse NUL characters (Django's ProhibitNullCharactersValidator on every CharField), so only the
admin needs ``has_nul`` (``CcgtrackAdminSite.admin_view``). PostgreSQL refuses NUL in text, so a
NUL that reached a query would be a 500."""

from django.shortcuts import render

MAX_PER_PAGE = 500


def bad_request(request, message):
    """The 400 page, saying what was wrong. Nothing was changed."""
    return render(request, "400.html", {"message": message}, status=400)


def has_nul(request) -> bool:
    """Whether any query-string or posted name or value carries a NUL character."""
    for data in (request.GET, request.POST):
        for key, values in data.lists():
            if "\x00" in key or any("\x00" in value for value in values if isinstance(value, str)):
                return True
    return False


NUL_MESSAGE = "The request contains a NUL character (%00), which no field accepts. Nothing was changed."


def per_page_error(request, maximum=MAX_PER_PAGE):
    """A message if the list's ``per_page`` is not a whole number from 1 to ``maximum``, else None
    (django-tables2 passes it to the paginator, which fails on 0, negative and huge values)."""
    raw = request.GET.get("per_page")
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not 1 <= value <= maximum:
        return f"Rows per page (per_page) must be a whole number from 1 to {maximum}."
    return None
