"""HTTP endpoints of the accreditation workflow. Views are thin: permission, visibility
(selectors, 404 for what is not yours), validation (serializers), then one service call."""

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import FileResponse
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from aeo_registry.api import ErrorSerializer

from . import selectors, serializers, services
from .filters import ApplicationFilter, AuthorisationFilter
from .models import Application, Authorisation
from .permissions import IsApplicantMember, IsCustomsStaff, IsOperatorOrStaff, IsSupervisor

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input (field messages)."),
    403: OpenApiResponse(ErrorSerializer, description="Not allowed for your role (says why)."),
    404: OpenApiResponse(ErrorSerializer, description="No such object visible to you."),
    409: OpenApiResponse(
        ErrorSerializer,
        description="Not allowed in the current status: `current_status`, `allowed_actions`.",
    ),
}


def _detail(request, application_id: int, code: int = status.HTTP_200_OK) -> Response:
    application = selectors.application_detail(application_id)
    data = serializers.ApplicationDetailSerializer(application, context={"request": request}).data
    return Response(data, status=code)


class ApplicationListCreateView(generics.ListAPIView):
    permission_classes = [IsOperatorOrStaff]
    serializer_class = serializers.ApplicationSerializer
    filterset_class = ApplicationFilter
    ordering_fields = ["created_at", "decision_due", "acceptance_due", "status"]
    search_fields = ["stakeholder__legal_name"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Application.objects.none()
        return selectors.applications_for_user(self.request.user)

    @extend_schema(
        request=serializers.ApplicationCreateSerializer,
        responses={201: serializers.ApplicationDetailSerializer, **ERRORS},
    )
    def post(self, request):
        data = _valid(serializers.ApplicationCreateSerializer, request)
        application = services.application_create(
            actor=request.user, stakeholder_id=data["stakeholder"], type=data["type"]
        )
        return _detail(request, application.pk, status.HTTP_201_CREATED)


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ApplicationDetailView(APIView):
    permission_classes = [IsOperatorOrStaff]

    @extend_schema(responses={200: serializers.ApplicationDetailSerializer, **ERRORS})
    def get(self, request, pk: int):
        selectors.application_get_for_user(request.user, pk)
        return _detail(request, pk)


class _ApplicationAction(APIView):
    """Base of the action endpoints: find the application visible to the caller, check the
    role, validate, call the service, answer with the application's detail."""

    permission_classes = [IsOperatorOrStaff]
    input_serializer = None
    operator_action = False

    def application(self, request, pk: int):
        application = selectors.application_get_for_user(request.user, pk)
        if self.operator_action:
            self.check_object_permissions(request, application)
        return application

    def get_permissions(self):
        if self.operator_action:
            return [IsApplicantMember()]
        return [permission() for permission in self.permission_classes]

    def data(self, request) -> dict:
        return _valid(self.input_serializer, request) if self.input_serializer else {}

    def run(self, request, pk: int) -> Response:
        application = self.application(request, pk)
        self.perform(request, application, self.data(request))
        return _detail(request, application.pk)

    def perform(self, request, application, data) -> None:  # pragma: no cover
        raise NotImplementedError


def _action_schema(request_serializer=None, summary: str = ""):
    return extend_schema(
        request=request_serializer,
        responses={200: serializers.ApplicationDetailSerializer, **ERRORS},
        summary=summary,
    )


class ApplicationSubmitView(_ApplicationAction):
    operator_action = True

    @_action_schema(summary="Submit the application (operator); the acceptance check follows.")
    def post(self, request, pk: int):
        return self.run(request, pk)

    def perform(self, request, application, data):
        services.application_submit(application_id=application.pk, actor=request.user)


class ApplicationProvideInfoView(_ApplicationAction):
    operator_action = True
    input_serializer = serializers.OptionalCommentsSerializer

    @_action_schema(
        serializers.OptionalCommentsSerializer,
        "Say the requested information is provided (operator).",
    )
    def post(self, request, pk: int):
        return self.run(request, pk)

    def perform(self, request, application, data):
        services.application_provide_info(
            application_id=application.pk, actor=request.user, comments=data.get("comments", "")
        )


class ApplicationHearingResponseView(_ApplicationAction):
    operator_action = True
    input_serializer = serializers.CommentsSerializer

    @_action_schema(serializers.CommentsSerializer, "Comment on a proposed rejection (operator).")
    def post(self, request, pk: int):
        return self.run(request, pk)

    def perform(self, request, application, data):
        services.hearing_respond(
            application_id=application.pk, actor=request.user, comments=data["comments"]
        )


class ApplicationWithdrawView(_ApplicationAction):
    operator_action = True
    input_serializer = serializers.ReasonSerializer

    @_action_schema(serializers.ReasonSerializer, "Withdraw the application (operator).")
    def post(self, request, pk: int):
        return self.run(request, pk)

    def perform(self, request, application, data):
        services.application_withdraw(
            application_id=application.pk, actor=request.user, reason=data.get("reason", "")
        )


class ApplicationAssignView(_ApplicationAction):
    permission_classes = [IsCustomsStaff]
    input_serializer = serializers.AssignSerializer

    @_action_schema(serializers.AssignSerializer, "Assign an officer (officer).")
    def post(self, request, pk: int):
        return self.run(request, pk)

    def perform(self, request, application, data):
        officer = request.user
        if data.get("officer"):
            officer = get_user_model().objects.filter(pk=data["officer"]).first()
            if officer is None:
                raise ValidationError({"officer": "No such user."})
        services.application_assign(
            application_id=application.pk, actor=request.user, officer=officer
        )


class ApplicationRequestInfoView(_ApplicationAction):
    permission_classes = [IsCustomsStaff]
    input_serializer = serializers.MessageSerializer

    @_action_schema(serializers.MessageSerializer, "Ask the applicant for information (officer).")
    def post(self, request, pk: int):
        return self.run(request, pk)

    def perform(self, request, application, data):
        services.application_request_info(
            application_id=application.pk, actor=request.user, message=data["message"]
        )


class ApplicationFindingsView(_ApplicationAction):
    permission_classes = [IsCustomsStaff]
    input_serializer = serializers.FindingInputSerializer

    @extend_schema(
        request=serializers.FindingInputSerializer,
        responses={201: serializers.FindingSerializer, **ERRORS},
        summary="Record a finding against a criterion (officer).",
    )
    def post(self, request, pk: int):
        application = self.application(request, pk)
        data = self.data(request)
        finding = services.finding_add(application_id=application.pk, actor=request.user, **data)
        return Response(serializers.FindingSerializer(finding).data, status=201)


class ApplicationExtendView(_ApplicationAction):
    permission_classes = [IsCustomsStaff]
    input_serializer = serializers.ReasonSerializer

    @_action_schema(serializers.ReasonSerializer, "Extend the decision period once (officer).")
    def post(self, request, pk: int):
        return self.run(request, pk)

    def perform(self, request, application, data):
        services.application_extend(
            application_id=application.pk, actor=request.user, reason=data.get("reason", "")
        )


class ApplicationProposeView(_ApplicationAction):
    permission_classes = [IsCustomsStaff]
    input_serializer = serializers.OutcomeSerializer

    @_action_schema(
        serializers.OutcomeSerializer, "Propose a decision (officer); REJECT opens the hearing."
    )
    def post(self, request, pk: int):
        return self.run(request, pk)

    def perform(self, request, application, data):
        services.application_propose(application_id=application.pk, actor=request.user, **data)


class ApplicationDecideView(_ApplicationAction):
    permission_classes = [IsSupervisor]
    input_serializer = serializers.OutcomeSerializer

    @_action_schema(
        serializers.OutcomeSerializer, "Decide (a supervisor other than the proposer: four eyes)."
    )
    def post(self, request, pk: int):
        return self.run(request, pk)

    def perform(self, request, application, data):
        services.application_decide(application_id=application.pk, actor=request.user, **data)


class ApplicationQuestionnaireView(APIView):
    permission_classes = [IsOperatorOrStaff]

    @extend_schema(responses={200: serializers.QuestionnaireSerializer, **ERRORS})
    def get(self, request, pk: int):
        application = selectors.application_get_for_user(request.user, pk)
        return Response(selectors.questionnaire_view(application))


class ApplicationAnswersView(_ApplicationAction):
    operator_action = True
    input_serializer = serializers.AnswersSerializer

    @extend_schema(
        request=serializers.AnswersSerializer,
        responses={200: serializers.QuestionnaireSerializer, **ERRORS},
        summary="Save answers (partial saves allowed while the operator holds the pen).",
    )
    def put(self, request, pk: int):
        application = self.application(request, pk)
        data = self.data(request)
        services.answers_save(
            application_id=application.pk, actor=request.user, answers=data["answers"]
        )
        return Response(selectors.questionnaire_view(application))


class ApplicationDocumentsView(_ApplicationAction):
    operator_action = True
    parser_classes = [MultiPartParser, FormParser]
    input_serializer = serializers.DocumentUploadSerializer

    @extend_schema(
        request={"multipart/form-data": serializers.DocumentUploadSerializer},
        responses={201: serializers.DocumentSerializer, **ERRORS},
        summary="Upload a document (operator); a DOCUMENT answer's value is its id.",
    )
    def post(self, request, pk: int):
        application = self.application(request, pk)
        data = self.data(request)
        document = services.document_upload(
            application_id=application.pk, actor=request.user, file=data["file"]
        )
        return Response(serializers.DocumentSerializer(document).data, status=201)


class DocumentDownloadView(APIView):
    permission_classes = [IsOperatorOrStaff]

    @extend_schema(responses={(200, "application/octet-stream"): bytes, **ERRORS})
    def get(self, request, pk: int):
        document = selectors.document_get_for_user(request.user, pk)
        services.document_read_record(document=document, actor=request.user)
        response = FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=document.original_name,
            content_type=document.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


# --- authorisations --------------------------------------------------------------------------


class AuthorisationListView(generics.ListAPIView):
    permission_classes = [IsOperatorOrStaff]
    serializer_class = serializers.AuthorisationSerializer
    filterset_class = AuthorisationFilter
    ordering_fields = ["decided_at", "effective_from", "number"]
    search_fields = ["number", "holder__legal_name"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Authorisation.objects.none()
        return selectors.authorisations_for_user(self.request.user)


class AuthorisationDetailView(APIView):
    permission_classes = [IsOperatorOrStaff]

    @extend_schema(responses={200: serializers.AuthorisationSerializer, **ERRORS})
    def get(self, request, pk: int):
        authorisation = selectors.authorisation_get_for_user(request.user, pk)
        return Response(serializers.AuthorisationSerializer(authorisation).data)


def _measure_response(result, code: int) -> Response:
    authorisation = selectors.authorisation_detail(result.authorisation.pk)
    return Response(
        {
            "applied": result.applied,
            "hearing": serializers.HearingSerializer(result.hearing).data
            if result.hearing
            else None,
            "authorisation": serializers.AuthorisationSerializer(authorisation).data,
        },
        status=code,
    )


class _AuthorisationAction(APIView):
    permission_classes = [IsCustomsStaff]

    def authorisation(self, request, pk: int):
        return selectors.authorisation_get_for_user(request.user, pk)


MEASURE_RESPONSES = {
    200: OpenApiResponse(serializers.MeasureResultSerializer, description="Applied now."),
    202: OpenApiResponse(
        serializers.MeasureResultSerializer,
        description="The holder is heard first; the measure applies when the hearing closes.",
    ),
    **ERRORS,
}


class _AuthorisationMeasureView(_AuthorisationAction):
    # Suspension and revocation share their shape; subclasses name the serializer and service.

    measure_serializer: type
    measure: Callable

    def post(self, request, pk: int):
        self.authorisation(request, pk)
        data = _valid(self.measure_serializer, request)
        result = self.measure(
            authorisation_id=pk,
            actor=request.user,
            types=data.get("types"),
            ground=data["ground"],
            reason=data["reason"],
            immediate=data["immediate"],
        )
        return _measure_response(result, 200 if result.applied else 202)


@extend_schema_view(
    post=extend_schema(request=serializers.SuspendSerializer, responses=MEASURE_RESPONSES)
)
class AuthorisationSuspendView(_AuthorisationMeasureView):
    """Suspend held types: applied now (200) at the holder's request or when a supervisor acts
    immediately, otherwise once the holder has been heard (202)."""

    measure_serializer = serializers.SuspendSerializer
    measure = staticmethod(services.authorisation_suspend)


@extend_schema_view(
    post=extend_schema(request=serializers.RevokeSerializer, responses=MEASURE_RESPONSES)
)
class AuthorisationRevokeView(_AuthorisationMeasureView):
    """Revoke held types: applied now (200) when a supervisor acts immediately, otherwise once
    the holder has been heard (202)."""

    measure_serializer = serializers.RevokeSerializer
    measure = staticmethod(services.authorisation_revoke)


class AuthorisationReinstateView(_AuthorisationAction):
    @extend_schema(
        request=serializers.ReinstateSerializer,
        responses={200: serializers.AuthorisationSerializer, **ERRORS},
    )
    def post(self, request, pk: int):
        self.authorisation(request, pk)
        data = _valid(serializers.ReinstateSerializer, request)
        services.authorisation_reinstate(
            authorisation_id=pk, actor=request.user, reason=data["reason"], types=data.get("types")
        )
        authorisation = selectors.authorisation_get_for_user(request.user, pk)
        return Response(serializers.AuthorisationSerializer(authorisation).data)


class AuthorisationWithdrawMeasureView(_AuthorisationAction):
    @extend_schema(
        request=serializers.WithdrawMeasureSerializer,
        responses={200: serializers.HearingSerializer, **ERRORS},
        summary="Withdraw the proposed suspension or revocation before its hearing closes.",
        description="Closes the open hearing with outcome WITHDRAWN: nothing is applied, the "
        "holder is told why. 409 when no measure is pending.",
    )
    def post(self, request, pk: int):
        self.authorisation(request, pk)
        data = _valid(serializers.WithdrawMeasureSerializer, request)
        hearing = services.authorisation_withdraw_measure(
            authorisation_id=pk, actor=request.user, reason=data["reason"]
        )
        return Response(serializers.HearingSerializer(hearing).data)


class AuthorisationExtendSuspensionView(_AuthorisationAction):
    @extend_schema(
        request=serializers.ReasonSerializer,
        responses={200: serializers.AuthorisationSerializer, **ERRORS},
        summary="Extend the running suspension once (+30 days in EU_UCC).",
    )
    def post(self, request, pk: int):
        self.authorisation(request, pk)
        data = _valid(serializers.ReasonSerializer, request)
        services.authorisation_extend_suspension(
            authorisation_id=pk, actor=request.user, reason=data.get("reason", "")
        )
        authorisation = selectors.authorisation_get_for_user(request.user, pk)
        return Response(serializers.AuthorisationSerializer(authorisation).data)


class AuthorisationHearingResponseView(APIView):
    permission_classes = [IsApplicantMember]

    @extend_schema(
        request=serializers.CommentsSerializer,
        responses={200: serializers.HearingSerializer, **ERRORS},
        summary="The holder comments on a proposed suspension or revocation.",
    )
    def post(self, request, pk: int):
        authorisation = selectors.authorisation_get_for_user(request.user, pk)
        self.check_object_permissions(request, authorisation)
        data = _valid(serializers.CommentsSerializer, request)
        hearing = services.authorisation_hearing_respond(
            authorisation_id=pk, actor=request.user, comments=data["comments"]
        )
        return Response(serializers.HearingSerializer(hearing).data)


# --- infringements and audit -----------------------------------------------------------------


class InfringementListCreateView(generics.ListAPIView):
    permission_classes = [IsCustomsStaff]
    serializer_class = serializers.InfringementSerializer
    filterset_fields = ["stakeholder", "severity"]

    def get_queryset(self):
        return selectors.infringements()

    @extend_schema(
        request=serializers.InfringementSerializer,
        responses={201: serializers.InfringementSerializer, **ERRORS},
    )
    def post(self, request):
        data = _valid(serializers.InfringementSerializer, request)
        infringement = services.infringement_create(
            actor=request.user,
            stakeholder_id=data["stakeholder_id"],
            date=data["date"],
            severity=data["severity"],
            description=data["description"],
            source=data["source"],
        )
        return Response(serializers.InfringementSerializer(infringement).data, status=201)


class AuditEventListView(generics.ListAPIView):
    permission_classes = [IsCustomsStaff]
    serializer_class = serializers.AuditEventSerializer
    filter_backends = []

    @extend_schema(
        parameters=[
            OpenApiParameter("target_type", str, description="e.g. application, authorisation"),
            OpenApiParameter("target_id", str),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        return selectors.audit_events(params.get("target_type"), params.get("target_id"))
