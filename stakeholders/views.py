"""Registry API views: thin, one per action; selectors decide visibility, services write.

Who may do what (people only: API keys get 403 on every registry endpoint):
- operators see and act on the stakeholders they are members of; others' are 404;
- OWNER and MEMBER may edit the stakeholder (PATCH, identifiers, relationships);
  only an OWNER adds members and reads the change history;
- officers and supervisors read everything and may correct anything (the history says who).
"""

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from aeo_registry.api import ErrorSerializer
from aeo_registry.authentication import HashedTokenAuthentication
from aeo_registry.permissions import IsOperatorOrStaff
from aeo_registry.throttling import LoginThrottle, RegisterThrottle

from . import selectors, services
from .filters import StakeholderFilter
from .serializers import (
    HistoryEntrySerializer,
    IdentifierInputSerializer,
    IdentifierSerializer,
    MembershipInputSerializer,
    MembershipSerializer,
    RegisterSerializer,
    RelationshipInputSerializer,
    RelationshipSerializer,
    RoleSerializer,
    StakeholderCreateSerializer,
    StakeholderSerializer,
    StakeholderUpdateSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    UserSerializer,
)

_REASONS = {
    400: "Invalid input: field-level messages in `errors`.",
    401: "Not signed in (send `Authorization: Token <token>`).",
    403: "Signed in but not allowed (API keys may not use this endpoint).",
    404: "No such object, or not one of yours.",
    409: "Conflicts with existing data.",
    429: "Too many attempts; see the Retry-After header.",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {c: OpenApiResponse(ErrorSerializer, description=_REASONS[c]) for c in codes}


STAKEHOLDER_ID = OpenApiParameter(
    "stakeholder_id", int, OpenApiParameter.PATH, description="Stakeholder id"
)
TAG = ["registry"]
# Registry endpoints serve people; API keys are authenticated but refused (403).
PEOPLE = [{"tokenAuth": []}, {"cookieAuth": []}]


class _StakeholderView(APIView):
    permission_classes = [IsOperatorOrStaff]

    def stakeholder(self, stakeholder_id):
        return selectors.stakeholder_get(self.request.user, stakeholder_id)

    def editable_stakeholder(self, stakeholder_id):
        stakeholder = self.stakeholder(stakeholder_id)
        if not selectors.can_edit_stakeholder(self.request.user, stakeholder):
            raise PermissionDenied("Only members of this stakeholder and customs staff may edit.")
        return stakeholder

    def shaped(self, stakeholder_id) -> dict:
        return StakeholderSerializer(self.stakeholder(stakeholder_id)).data


class StakeholderListCreateView(GenericAPIView, _StakeholderView):
    serializer_class = StakeholderSerializer
    filterset_class = StakeholderFilter
    search_fields = ["legal_name", "trading_name"]
    ordering_fields = ["legal_name", "country", "created_at", "updated_at", "id"]
    ordering = ["legal_name", "id"]

    def get_queryset(self):
        return selectors.stakeholder_list(self.request.user)

    @extend_schema(
        tags=TAG,
        auth=PEOPLE,
        summary="List the stakeholders you may see",
        responses={200: StakeholderSerializer(many=True), **errors(400, 401, 403)},
    )
    def get(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(StakeholderSerializer(page, many=True).data)

    @extend_schema(
        tags=TAG,
        auth=PEOPLE,
        summary="Register a stakeholder with its identifiers and roles",
        description="An operator who registers a stakeholder becomes its OWNER.",
        request=StakeholderCreateSerializer,
        responses={201: StakeholderSerializer, **errors(400, 401, 403, 409)},
    )
    def post(self, request):
        serializer = StakeholderCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        stakeholder = services.stakeholder_create(request.user, serializer.validated_data)
        return Response(self.shaped(stakeholder.pk), status=status.HTTP_201_CREATED)


class StakeholderDetailView(_StakeholderView):
    @extend_schema(
        tags=TAG,
        auth=PEOPLE,
        summary="Read a stakeholder",
        parameters=[STAKEHOLDER_ID],
        responses={200: StakeholderSerializer, **errors(401, 403, 404)},
    )
    def get(self, request, stakeholder_id):
        return Response(self.shaped(stakeholder_id))

    @extend_schema(
        tags=TAG,
        auth=PEOPLE,
        summary="Change names, address, contact, consents or roles",
        parameters=[STAKEHOLDER_ID],
        request=StakeholderUpdateSerializer,
        responses={200: StakeholderSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def patch(self, request, stakeholder_id):
        stakeholder = self.editable_stakeholder(stakeholder_id)
        serializer = StakeholderUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.stakeholder_update(request.user, stakeholder, serializer.validated_data)
        return Response(self.shaped(stakeholder.pk))


class IdentifierCreateView(_StakeholderView):
    @extend_schema(
        tags=TAG,
        auth=PEOPLE,
        summary="Add an identifier",
        parameters=[STAKEHOLDER_ID],
        request=IdentifierInputSerializer,
        responses={201: IdentifierSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request, stakeholder_id):
        stakeholder = self.editable_stakeholder(stakeholder_id)
        serializer = IdentifierInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        identifier = services.identifier_add(request.user, stakeholder, serializer.validated_data)
        return Response(IdentifierSerializer(identifier).data, status=status.HTTP_201_CREATED)


class IdentifierDeleteView(_StakeholderView):
    @extend_schema(
        tags=TAG,
        auth=PEOPLE,
        summary="Remove an identifier (not the last one)",
        parameters=[
            STAKEHOLDER_ID,
            OpenApiParameter("identifier_id", int, OpenApiParameter.PATH),
        ],
        responses={204: None, **errors(400, 401, 403, 404)},
    )
    def delete(self, request, stakeholder_id, identifier_id):
        stakeholder = self.editable_stakeholder(stakeholder_id)
        services.identifier_remove(request.user, stakeholder, identifier_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RelationshipListCreateView(_StakeholderView):
    @extend_schema(
        tags=TAG,
        auth=PEOPLE,
        summary="Relationships of a stakeholder",
        description="Operators see the links their stakeholder declared; customs staff also "
        "see the links others declared to it.",
        parameters=[STAKEHOLDER_ID],
        responses={200: RelationshipSerializer(many=True), **errors(401, 403, 404)},
    )
    def get(self, request, stakeholder_id):
        stakeholder = self.stakeholder(stakeholder_id)
        relationships = selectors.relationship_list(request.user, stakeholder)
        return Response(RelationshipSerializer(relationships, many=True).data)

    @extend_schema(
        tags=TAG,
        auth=PEOPLE,
        summary="Declare a relationship to another registered stakeholder",
        description="SELLS_VIA → E_PLATFORM; FULFILLED_BY → FULFILMENT_CENTRE; CARRIED_BY → "
        "EXPRESS_CARRIER, POSTAL_OPERATOR or CARRIER; REPRESENTED_BY → CUSTOMS_BROKER.",
        parameters=[STAKEHOLDER_ID],
        request=RelationshipInputSerializer,
        responses={201: RelationshipSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request, stakeholder_id):
        stakeholder = self.editable_stakeholder(stakeholder_id)
        serializer = RelationshipInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        relationship = services.relationship_create(
            request.user, stakeholder, serializer.validated_data
        )
        return Response(RelationshipSerializer(relationship).data, status=status.HTTP_201_CREATED)


class MemberCreateView(_StakeholderView):
    @extend_schema(
        tags=TAG,
        auth=PEOPLE,
        summary="Let another operator account act for the stakeholder (owners only)",
        parameters=[STAKEHOLDER_ID],
        request=MembershipInputSerializer,
        responses={201: MembershipSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request, stakeholder_id):
        stakeholder = self.stakeholder(stakeholder_id)
        if not selectors.can_manage_members(request.user, stakeholder):
            raise PermissionDenied("Only an owner of this stakeholder may add members.")
        serializer = MembershipInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.membership_add(request.user, stakeholder, serializer.validated_data)
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)


class StakeholderHistoryView(_StakeholderView):
    @extend_schema(
        tags=TAG,
        auth=PEOPLE,
        summary="Who changed which field, when (owners and customs staff)",
        parameters=[STAKEHOLDER_ID],
        responses={200: HistoryEntrySerializer(many=True), **errors(401, 403, 404)},
    )
    def get(self, request, stakeholder_id):
        stakeholder = self.stakeholder(stakeholder_id)
        if not selectors.can_manage_members(request.user, stakeholder):
            raise PermissionDenied("Only an owner of this stakeholder may read its history.")
        entries = selectors.stakeholder_history(stakeholder)
        return Response(HistoryEntrySerializer(entries, many=True).data)


class RoleListView(APIView):
    permission_classes = [IsOperatorOrStaff]

    @extend_schema(
        tags=TAG,
        auth=PEOPLE,
        summary="The role catalogue with responsibilities and their sources",
        responses={200: RoleSerializer(many=True), **errors(401, 403)},
    )
    def get(self, request):
        return Response(RoleSerializer(selectors.role_list(), many=True).data)


# --- accounts ---------------------------------------------------------------------------------


class RegisterView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [RegisterThrottle]

    @extend_schema(
        tags=["auth"],
        summary="Create an operator account",
        request=RegisterSerializer,
        responses={201: UserSerializer, **errors(400, 429)},
    )
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.operator_register(**serializer.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenObtainView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginThrottle]

    @extend_schema(
        tags=["auth"],
        summary="Exchange a username and password for an expiring token",
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, **errors(400, 429)},
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(request._request, **serializer.validated_data)
        if user is None:
            raise ValidationError(
                {"non_field_errors": ["Unable to sign in with that username and password."]}
            )
        token, expiry = services.auth_token_issue(user)
        return Response(TokenSerializer({"token": token, "expiry": expiry}).data)


class LogoutView(APIView):
    authentication_classes = [HashedTokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["auth"],
        summary="Revoke the token used for this request",
        request=None,
        responses={204: None, **errors(401)},
    )
    def post(self, request):
        request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
