"""``{% audience record "field" as shown %}``: whether the signed-in user may see that field of
``record`` (apps/core/audience.py), the same rule as the exports."""

from django import template

from apps.core.audience import may_see_field

register = template.Library()


@register.simple_tag(takes_context=True)
def audience(context, record, field_name):
    request = context.get("request")
    return may_see_field(getattr(request, "user", None), type(record), field_name)
