"""The framework where a risk of the register appears: ``{% principal_risk_of risk as p %}``
gives its principal risk (with ``outside_appetite``, computed once by ``with_appetite``) or None.
One query; the register's other pages need not know the framework exists."""

from django import template

from apps.assurance.models import PrincipalRisk

register = template.Library()


@register.simple_tag
def principal_risk_of(risk):
    return PrincipalRisk.objects.with_appetite().select_related("committee").filter(risk=risk.pk).first()
