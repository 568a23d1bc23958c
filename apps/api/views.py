"""The API's endpoints: each list is a page's selector (the same visibility per person), the
page's filterset where the page has one, and cursor pagination; the two writes are the pages'
services through the one edit path (apps.core.edits)."""

import pghistory
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Prefetch
from django.http import HttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from apps.evidence import selectors as evidence_selectors
from apps.evidence import views as evidence_views
from apps.evidence.filters import EvidenceFilterSet
from apps.evidence.models import EvidenceLink, EvidenceRevision
from apps.organisations import permissions
from apps.organisations.models import Organisation
from apps.plans import selectors as plan_selectors
from apps.plans import services as plan_services
from apps.plans.filters import DeliverableFilterSet
from apps.plans.models import SelfAssessmentScore, StatusUpdate
from apps.reports import selectors as report_selectors
from apps.reports.models import IssuedPaper
from apps.reports.views import paper_filename
from apps.risks import selectors as risk_selectors
from apps.risks import services as risk_services
from apps.risks.filters import RiskFilterSet
from apps.risks.models import RiskReview

from . import filters, serializers
from .models import AccessToken
from .renderers import AnyFileRenderer, PdfRenderer

# How the history names a change made through the API (the audit context's "via").
VIA = "api"


def _service_errors(error: ValidationError) -> dict:
    """A service's ValidationError as a 400's body, field by field ("non_field_errors" for the
    rest)."""
    if hasattr(error, "error_dict"):
        return {
            (name if name != "__all__" else "non_field_errors"): [str(m) for e in errors for m in e.messages]
            for name, errors in error.error_dict.items()
        }
    return {"non_field_errors": list(error.messages)}


class ReadViewSet(viewsets.ReadOnlyModelViewSet):
    """A list and a detail of what the user may read."""

    filter_backends = [DjangoFilterBackend]

    def rows(self, user):
        """The rows ``user`` may read: each endpoint says which (the page's own selector)."""
        raise NotImplementedError(f"{type(self).__name__} must say which rows its user may read")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the code
            return self.serializer_class.Meta.model.objects.none()
        return self.rows(self.request.user)


def evidence_links_prefetch(user) -> Prefetch:
    """Each row's current evidence links (items not archived, that ``user`` may read), for
    ``evidence`` of the deliverables and the risks: one query for a page of rows."""
    links = (
        EvidenceLink.objects.current()
        .filter(permissions.visible_q(user, "item__organisation"))
        .only("pk", "item_id", "deliverable_id", "risk_id")
    )
    return Prefetch("evidence_links", queryset=links, to_attr=serializers.EVIDENCE_LINKS_ATTR)


def _audit_context(request):
    """The audit context of a write through the API: who (the edit path adds the user), how
    (``via``), and with which token (its prefix, never its secret)."""
    token = request.auth
    return pghistory.context(api_token=token.prefix if isinstance(token, AccessToken) else "")


class OrganisationViewSet(ReadViewSet):
    """Every organisation with its place in the hierarchy (``parent``, ``kind``), as the
    organisation pages show them to anyone signed in; ``readable`` says whether the user may read
    its OD data (plans, deliverables, risks), which the other endpoints then list."""

    serializer_class = serializers.OrganisationSerializer
    filterset_class = filters.OrganisationFilterSet

    def rows(self, user):
        return Organisation.objects.all()

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            ids = permissions.visible_organisation_ids(self.request.user)
            context["readable"] = None if ids is None else set(ids)
        return context


class PlanViewSet(ReadViewSet):
    serializer_class = serializers.PlanSerializer
    filterset_class = filters.PlanFilterSet

    def rows(self, user):
        return plan_selectors.plan_list(user=user)


class ThemeViewSet(ReadViewSet):
    serializer_class = serializers.ThemeSerializer
    filterset_class = filters.ThemeFilterSet

    def rows(self, user):
        return plan_selectors.visible_themes(user=user)


class ObjectiveViewSet(ReadViewSet):
    serializer_class = serializers.ObjectiveSerializer
    filterset_class = filters.ObjectiveFilterSet

    def rows(self, user):
        return plan_selectors.visible_objectives(user=user)


class DeliverableViewSet(ReadViewSet):
    """The deliverables list's rows and filters (the same filterset as the page)."""

    serializer_class = serializers.DeliverableSerializer
    filterset_class = DeliverableFilterSet

    def rows(self, user):
        return (
            plan_selectors.deliverable_list(user=user)
            .with_overdue()
            .prefetch_related(evidence_links_prefetch(user))
        )

    @extend_schema(
        request=serializers.StatusChangeSerializer,
        responses={
            200: serializers.DeliverableSerializer,
            400: OpenApiResponse(description="Bad input: the errors by field."),
            403: OpenApiResponse(description="You may read this deliverable but not change it."),
            404: OpenApiResponse(description="No such deliverable that you may read."),
            409: OpenApiResponse(serializers.ConflictSerializer, description="Changed meanwhile."),
        },
    )
    @action(detail=True, methods=["post"], url_path="status")
    def status_change(self, request, pk=None):
        """Change the deliverable's status, with a progress note (required when the status
        changes) and the version you read: the same rules and history as the page's form."""
        deliverable = self.get_object()
        body = serializers.StatusChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            with _audit_context(request):
                plan_services.deliverable_update(
                    deliverable_id=deliverable.pk,
                    acting_user=request.user,
                    expected_version=data["version"],
                    changes={"status": data["status"]},
                    note=data["note"],
                    via=VIA,
                )
        except plan_services.StaleVersionError:
            current = self.rows(request.user).get(pk=deliverable.pk)
            return _conflict(
                serializers.DeliverableSerializer(current, context=self.get_serializer_context())
            )
        except ValidationError as error:
            return Response(_service_errors(error), status=status.HTTP_400_BAD_REQUEST)
        return Response(self.get_serializer(self.rows(request.user).get(pk=deliverable.pk)).data)


def _conflict(current) -> Response:
    return Response(
        {
            "detail": "Someone else changed this record since you read it: nothing was saved. "
            "Read its current state below and send your change again with its version.",
            "current": current.data,
        },
        status=status.HTTP_409_CONFLICT,
    )


class StatusUpdateViewSet(ReadViewSet):
    """The deliverables' status history: who changed what, from what, to what, and why."""

    serializer_class = serializers.StatusUpdateSerializer
    filterset_class = filters.StatusUpdateFilterSet

    def rows(self, user):
        return (
            StatusUpdate.objects.current()
            .filter(permissions.visible_q(user, "deliverable__theme__plan__organisation"))
            .select_related("created_by")
        )


class RiskViewSet(ReadViewSet):
    """The risk register's rows and filters (the same filterset as the page), with ratings and
    bands computed as the page computes them."""

    serializer_class = serializers.RiskSerializer
    filterset_class = RiskFilterSet

    def rows(self, user):
        return risk_selectors.risk_list(user=user).prefetch_related(evidence_links_prefetch(user))

    @extend_schema(
        request=serializers.RiskReviewWriteSerializer,
        responses={
            200: serializers.RiskSerializer,
            400: OpenApiResponse(description="Bad input: the errors by field."),
            403: OpenApiResponse(description="You may read this risk but not review it."),
            404: OpenApiResponse(description="No such risk that you may read."),
            409: OpenApiResponse(serializers.ConflictSerializer, description="Changed meanwhile."),
        },
    )
    @action(detail=True, methods=["post"], url_path="review")
    def review(self, request, pk=None):
        """Review the risk: new scores (those not given stay as they are), mitigation, next review
        date or status, a note (required) and the version you read: the same rules and history
        as the page's review form."""
        risk = self.get_object()
        body = serializers.RiskReviewWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        note, version = data.pop("note"), data.pop("version")
        try:
            with _audit_context(request):
                risk_services.risk_review(
                    risk_id=risk.pk,
                    acting_user=request.user,
                    expected_version=version,
                    changes=data,
                    note=note,
                    via=VIA,
                )
        except risk_services.StaleVersionError:
            current = self.rows(request.user).get(pk=risk.pk)
            return _conflict(serializers.RiskSerializer(current, context=self.get_serializer_context()))
        except ValidationError as error:
            return Response(_service_errors(error), status=status.HTTP_400_BAD_REQUEST)
        return Response(self.get_serializer(self.rows(request.user).get(pk=risk.pk)).data)


class RiskReviewViewSet(ReadViewSet):
    """The risks' reviews: who reviewed, when, the scores before and after, and the note."""

    serializer_class = serializers.RiskReviewSerializer
    filterset_class = filters.RiskReviewFilterSet

    def rows(self, user):
        return (
            RiskReview.objects.filter(risk__archived_at__isnull=True)
            .filter(permissions.visible_q(user, "risk__organisation"))
            .select_related("reviewed_by")
        )


class SelfAssessmentViewSet(ReadViewSet):
    serializer_class = serializers.SelfAssessmentSerializer
    filterset_class = filters.SelfAssessmentFilterSet

    def rows(self, user):
        scores = SelfAssessmentScore.objects.select_related("domain").order_by("domain__number")
        return plan_selectors.visible_self_assessments(user=user).prefetch_related(
            Prefetch("scores", queryset=scores)
        )


class IssuedPaperViewSet(ReadViewSet):
    """Board papers as issued: their figures, and their PDF as issued (``pdf``)."""

    serializer_class = serializers.IssuedPaperSerializer
    filterset_class = filters.IssuedPaperFilterSet

    def rows(self, user):
        later = IssuedPaper.objects.filter(supersedes=OuterRef("pk"))
        return (
            report_selectors.visible_papers(user)
            .select_related("plan__organisation")
            .defer("html", "snapshot")
            .annotate(is_superseded=Exists(later))
        )

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF as issued."),
            404: OpenApiResponse(description="No such paper that you may read."),
            503: OpenApiResponse(description="The kept PDF is missing or does not match its SHA-256."),
        }
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="pdf",
        url_name="pdf",
        renderer_classes=[JSONRenderer, PdfRenderer],
    )
    def pdf(self, request, pk=None):
        """The PDF rendered when the paper was issued, byte for byte, checked against its
        SHA-256 (the same permission as the paper's page)."""
        paper = self.get_object()
        data = report_selectors.issued_pdf_bytes(paper)
        if data is None:
            return Response(
                {"detail": "The paper's PDF is missing or damaged: its page still shows it as issued."},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{paper_filename(paper)}"'
        response["Content-Length"] = str(len(data))
        return response


class EvidenceItemViewSet(ReadViewSet):
    """The evidence library's rows and filters (the same selector and filterset as the page):
    each item with its latest file's fingerprint and every record it supports or supported."""

    serializer_class = serializers.EvidenceItemSerializer
    filterset_class = EvidenceFilterSet

    def rows(self, user):
        links = EvidenceLink.objects.order_by("added_at", "pk")
        return evidence_selectors.evidence_list(user=user).prefetch_related(
            Prefetch("links", queryset=links, to_attr="all_links")
        )


class EvidenceRevisionViewSet(ReadViewSet):
    """The files of the evidence you may read (of items not archived), each with its
    fingerprint, and the file itself (``file``)."""

    serializer_class = serializers.EvidenceRevisionSerializer
    filterset_class = filters.EvidenceRevisionFilterSet

    def rows(self, user):
        return (
            EvidenceRevision.objects.filter(item__archived_at__isnull=True)
            .filter(permissions.visible_q(user, "item__organisation"))
            .select_related("uploaded_by")
        )

    @extend_schema(
        responses={
            (200, "*/*"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file as uploaded, as an attachment of its own type."
            ),
            404: OpenApiResponse(description="No such file that you may read."),
            503: OpenApiResponse(description="The file is missing from the file storage."),
        }
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="file",
        url_name="file",
        renderer_classes=[JSONRenderer, AnyFileRenderer],
        filter_backends=[],
        pagination_class=None,
    )
    def file(self, request, pk=None):
        """The file as uploaded, byte for byte: the evidence page's own download (the same
        permission, whoever may read the item's organisation, and the same response: an
        attachment with its stored type and ``nosniff``)."""
        revision = evidence_views.downloadable_revision(request.user, pk)
        try:
            return evidence_views.revision_file_response(revision)
        except FileNotFoundError:
            return Response(
                {"detail": "The file is missing from the file storage: tell your administrator."},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
