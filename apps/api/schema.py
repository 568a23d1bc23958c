"""How drf-spectacular describes the token authentication in the schema."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class AccessTokenScheme(OpenApiAuthenticationExtension):
    target_class = "apps.api.authentication.AccessTokenAuthentication"
    name = "accessToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal access token, made on your 'API tokens' page: "
            "`Authorization: Bearer ccg-...`.",
        }


def _describe_shared_filters() -> None:
    """The schema's type of two filters of the pages that drf-spectacular cannot guess (their
    choices are read per request): an organisation's id, and an authorisation domain's."""
    from drf_spectacular.drainage import set_override
    from drf_spectacular.types import OpenApiTypes

    from apps.evidence.filters import EvidenceFilterSet
    from apps.organisations.filters import WithinFilter
    from apps.plans.filters import DeliverableFilterSet

    set_override(WithinFilter, "field", OpenApiTypes.INT)
    set_override(DeliverableFilterSet.base_filters["domain"], "field", OpenApiTypes.INT)
    set_override(EvidenceFilterSet.base_filters["domain"], "field", OpenApiTypes.INT)


_describe_shared_filters()
