"""OpenAPI documentation of the plain-Django trust views.

drf-spectacular documents DRF views only. Each hot-path view gets a documentation twin: an
``APIView`` whose methods carry ``extend_schema`` and are never called. ``document()``
hangs the twin on the function as ``cls``, which is all the schema generator looks at; the
requests themselves never go through DRF. The serializers here describe shapes, they never
validate anything.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from aeo_registry.api import ErrorSerializer
from stakeholders.identifiers import IdentifierType

MATCHES = ["FOUND", "NOT_FOUND", "INVALID_FORMAT"]
STATUSES = ["ACTIVE", "SUSPENDED", "REVOKED", "NONE"]


class MraRecognitionSerializer(serializers.Serializer):
    partner = serializers.CharField()
    recognised = serializers.BooleanField()
    partner_id = serializers.CharField()
    since = serializers.DateField(allow_null=True)


class TrustItemSerializer(serializers.Serializer):
    input = serializers.JSONField(help_text="The identifier as sent.")
    id_type = serializers.CharField(
        allow_null=True, help_text="Null in an INVALID_FORMAT item sent without a string id_type."
    )
    normalized = serializers.CharField(allow_null=True)
    match = serializers.ChoiceField(MATCHES)
    stakeholder_id = serializers.IntegerField(allow_null=True)
    country = serializers.CharField(allow_null=True)
    roles = serializers.ListField(child=serializers.CharField())
    status = serializers.ChoiceField(
        STATUSES, allow_null=True, help_text="Null only in a restricted item."
    )
    types = serializers.ListField(
        child=serializers.CharField(), help_text="AEO types active at that instant."
    )
    suspended_types = serializers.ListField(child=serializers.CharField())
    status_since = serializers.DateTimeField(allow_null=True)
    authorisation_no = serializers.CharField(allow_null=True)
    issuing_country = serializers.CharField(allow_null=True)
    effective_from = serializers.DateTimeField(allow_null=True)
    close_monitoring = serializers.BooleanField(allow_null=True)
    mra = MraRecognitionSerializer(many=True)
    source = serializers.CharField(allow_null=True, help_text="REGISTRY or MRA:<partner>.")
    data_as_of = serializers.DateTimeField(allow_null=True)
    legal_name = serializers.CharField(
        required=False, help_text="Only if the holder consented to publication, or for staff."
    )
    restricted = serializers.BooleanField(
        required=False,
        help_text="Present (true) when an operator looks up a holder who did not consent to "
        "publication: the status fields are withheld.",
    )
    error = serializers.CharField(required=False, help_text="Why the item is INVALID_FORMAT.")


class LookupItemRequestSerializer(serializers.Serializer):
    id_type = serializers.CharField(help_text="EORI, AEO_NO, IOSS, TIN, CN_AEO, MID, CTPAT …")
    id = serializers.CharField()


class BulkLookupRequestSerializer(serializers.Serializer):
    as_of = serializers.DateTimeField(required=False)
    items = LookupItemRequestSerializer(many=True, min_length=1, max_length=3000)


class BulkLookupResponseSerializer(serializers.Serializer):
    data_as_of = serializers.DateTimeField()
    lookup_ref = serializers.CharField()
    as_of = serializers.DateTimeField(allow_null=True)
    items = TrustItemSerializer(many=True)


class PartiesSerializer(serializers.Serializer):
    seller = LookupItemRequestSerializer(required=False)
    platform = LookupItemRequestSerializer(required=False)
    carrier = LookupItemRequestSerializer(required=False)
    postal_operator = LookupItemRequestSerializer(required=False)
    fulfilment_centre = LookupItemRequestSerializer(required=False)
    broker = LookupItemRequestSerializer(required=False)
    importer = LookupItemRequestSerializer(required=False)


class ConsignmentRequestSerializer(serializers.Serializer):
    as_of = serializers.DateTimeField(required=False)
    parties = PartiesSerializer()
    ioss_number = serializers.CharField(required=False)
    transport_document = serializers.CharField(required=False, max_length=64)
    origin_country = serializers.CharField(required=False, max_length=2)


class PartyItemsSerializer(serializers.Serializer):
    seller = TrustItemSerializer(required=False)
    platform = TrustItemSerializer(required=False)
    carrier = TrustItemSerializer(required=False)
    postal_operator = TrustItemSerializer(required=False)
    fulfilment_centre = TrustItemSerializer(required=False)
    broker = TrustItemSerializer(required=False)
    importer = TrustItemSerializer(required=False)


class RelationshipCheckSerializer(serializers.Serializer):
    source = serializers.CharField()
    target = serializers.CharField()
    kind = serializers.CharField()
    declared = serializers.BooleanField(allow_null=True)


class ConsignmentSummarySerializer(serializers.Serializer):
    all_parties_trusted = serializers.BooleanField()
    weakest_party = serializers.CharField(allow_null=True)
    undeclared_relationships = serializers.ListField(child=serializers.CharField())


class ConsignmentResponseSerializer(serializers.Serializer):
    data_as_of = serializers.DateTimeField()
    lookup_ref = serializers.CharField()
    as_of = serializers.DateTimeField(allow_null=True)
    ioss_number = serializers.CharField(required=False)
    transport_document = serializers.CharField(required=False)
    origin_country = serializers.CharField(required=False)
    parties = PartyItemsSerializer()
    relationships = RelationshipCheckSerializer(many=True)
    summary = ConsignmentSummarySerializer()


class ChangeSerializer(serializers.Serializer):
    position = serializers.CharField()
    change = serializers.CharField()
    stakeholder_id = serializers.IntegerField()
    authorisation_id = serializers.IntegerField(allow_null=True)
    authorisation_no = serializers.CharField(allow_null=True)
    identifiers = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    occurred_at = serializers.DateTimeField()


class ChangesResponseSerializer(serializers.Serializer):
    items = ChangeSerializer(many=True)
    next_cursor = serializers.CharField()
    has_more = serializers.BooleanField()


AS_OF = OpenApiParameter(
    "as_of", OpenApiTypes.DATETIME, description="Any instant (ISO 8601); default now."
)
ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Malformed input, field by field."),
    401: OpenApiResponse(ErrorSerializer),
    429: OpenApiResponse(ErrorSerializer, description="Throttled; see Retry-After."),
    503: OpenApiResponse(ErrorSerializer, description="Neither Redis nor the database answered."),
}


class UndocumentedDoc(APIView):
    """Routes left out of the schema (a second route to an operation already documented)."""

    schema = None


class SingleLookupDoc(APIView):
    @extend_schema(
        operation_id="trust_single_lookup",
        tags=["trust"],
        parameters=[
            OpenApiParameter(
                "id_type", OpenApiTypes.STR, OpenApiParameter.PATH, enum=IdentifierType.values
            ),
            OpenApiParameter("value", OpenApiTypes.STR, OpenApiParameter.PATH),
            AS_OF,
        ],
        responses={
            200: TrustItemSerializer,
            304: OpenApiResponse(description="Unchanged (If-None-Match matched the ETag)."),
            404: OpenApiResponse(TrustItemSerializer, description="The item, match NOT_FOUND."),
            **ERRORS,
        },
        description="One identifier's trust item. ETag / If-None-Match supported; the "
        "request's audit reference is in the X-Lookup-Ref header.",
    )
    def get(self, request, id_type, value):  # pragma: no cover - documentation only
        raise NotImplementedError


class BulkLookupDoc(APIView):
    @extend_schema(
        operation_id="trust_bulk_lookup",
        tags=["trust"],
        request=BulkLookupRequestSerializer,
        responses={200: BulkLookupResponseSerializer, **ERRORS},
        description="1 to 3,000 identifiers, answered in request order; a bad item gets "
        "match INVALID_FORMAT without failing the request. Counts one throttle hit per item.",
    )
    def post(self, request):  # pragma: no cover - documentation only
        raise NotImplementedError


class ConsignmentLookupDoc(APIView):
    @extend_schema(
        operation_id="trust_consignment_lookup",
        tags=["trust"],
        request=ConsignmentRequestSerializer,
        responses={200: ConsignmentResponseSerializer, **ERRORS},
        description="An item per party, checks of the declared relationships (SELLS_VIA, "
        "FULFILLED_BY, CARRIED_BY, REPRESENTED_BY) and a summary.",
    )
    def post(self, request):  # pragma: no cover - documentation only
        raise NotImplementedError


class ChangesDoc(APIView):
    @extend_schema(
        operation_id="trust_changes",
        tags=["trust"],
        parameters=[
            OpenApiParameter("after", OpenApiTypes.STR, description="Cursor; default 0."),
            OpenApiParameter("limit", OpenApiTypes.INT, description="1 to 1000; default 100."),
        ],
        responses={200: ChangesResponseSerializer, 400: ERRORS[400], 401: ERRORS[401]},
        description="Every change that affects lookups, in commit order. Pass next_cursor "
        "as after to continue; positions only grow.",
    )
    def get(self, request):  # pragma: no cover - documentation only
        raise NotImplementedError


def document(view, doc_class):
    """Let the schema generator see ``view`` as ``doc_class``."""
    view.cls = doc_class
    view.initkwargs = {}
    return view
