"""Trust lookup endpoints.

The lookups (single, bulk, consignment) and the change feed are plain Django views: DRF's
request wrapping, content negotiation and serializers cost more than the lookup itself
(DESIGN.md, "Known traps"). They authenticate like the rest of the API (``Api-Key``,
``Token``, session), answer in the project's one error shape, and are documented in the
OpenAPI schema through ``schema.py``. The staff endpoints (lookup log, webhooks) are DRF.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django_countries import countries
from rest_framework import exceptions, generics, serializers
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet, mixins

from aeo_registry.authentication import verify_api_key
from aeo_registry.permissions import IsCustomsStaff, is_officer
from stakeholders.identifiers import InvalidIdentifier, normalise
from stakeholders.models import Membership

from ..models import TrustLookupLog, WebhookDelivery, WebhookSubscription
from . import selectors, services
from .snapshots import MACHINE, Viewer, iso, parse_as_of

MAX_BULK_ITEMS = 3000
PARTIES = (
    "seller",
    "platform",
    "carrier",
    "postal_operator",
    "fulfilment_centre",
    "broker",
    "importer",
)
# (source party, target party, relationship the source must have declared to the target)
RELATIONSHIP_CHECKS = (
    ("seller", "platform", "SELLS_VIA"),
    ("seller", "fulfilment_centre", "FULFILLED_BY"),
    ("seller", "carrier", "CARRIED_BY"),
    ("seller", "postal_operator", "CARRIED_BY"),
    ("importer", "broker", "REPRESENTED_BY"),
)


# --- Responses --------------------------------------------------------------------------------


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    return HttpResponse(
        orjson.dumps(data), status=status, content_type="application/json", headers=headers
    )


def _error(
    status: int,
    code: str,
    detail: str,
    errors: dict | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {"status": status, "code": code, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return _json(body, status, headers)


def _invalid(errors: dict) -> HttpResponse:
    return _error(400, "invalid", "Invalid input.", errors)


class _Refused(Exception):
    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def _unauthenticated(detail: str) -> _Refused:
    return _Refused(
        _error(401, "not_authenticated", detail, headers={"WWW-Authenticate": "Api-Key"})
    )


# --- Who is asking ----------------------------------------------------------------------------


def _caller(request: HttpRequest) -> selectors.Caller:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        keyword, _, credentials = header.partition(" ")
        keyword = keyword.lower()
        credentials = credentials.strip()
        if keyword == "api-key":
            key = verify_api_key(credentials) if credentials else None
            if key is None:
                raise _unauthenticated("Invalid, expired or revoked API key.")
            return selectors.Caller(
                label=f"api-key:{key.prefix}:{key.name}"[:200],
                throttle_ident=f"k:{key.prefix}",
                viewer=MACHINE,
                key_prefix=key.prefix,
                rate=settings.API_KEY_THROTTLE_RATE,
            )
        if keyword == "token":
            from knox.auth import TokenAuthentication

            try:
                user, _ = TokenAuthentication().authenticate_credentials(credentials.encode())
            except exceptions.AuthenticationFailed as exc:
                raise _unauthenticated(str(exc.detail)) from None
            return _person(user)
        raise _unauthenticated("Use 'Authorization: Api-Key <key>' or 'Token <token>'.")
    # DRF's test client authenticates this way; nothing a client sends can set it.
    user = getattr(request, "_force_auth_user", None)
    if user is None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            raise _unauthenticated("Authentication credentials were not provided.")
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            # A session is a browser: the same CSRF check DRF's SessionAuthentication makes.
            refused = CsrfViewMiddleware(lambda r: HttpResponse()).process_view(
                request, None, (), {}
            )
            if refused is not None:
                raise _Refused(_error(403, "permission_denied", "CSRF check failed."))
    return _person(user)


def _person(user) -> selectors.Caller:
    staff = is_officer(user)
    own = (
        frozenset()
        if staff
        else frozenset(
            Membership.objects.filter(user=user).values_list("stakeholder_id", flat=True)
        )
    )
    return selectors.Caller(
        label=f"user:{user.pk}:{user.get_username()}"[:200],
        throttle_ident=f"u:{user.pk}",
        viewer=Viewer(staff=staff, operator=not staff, own_ids=own),
        user_id=user.pk,
        rate=settings.TRUST_USER_THROTTLE_RATE,
    )


def _as_of(raw: Any) -> Any:
    if raw is not None and not isinstance(raw, str):
        raise _Refused(_invalid({"as_of": ["Must be an ISO 8601 date or date-time string."]}))
    try:
        return parse_as_of(raw)
    except ValueError as exc:
        raise _Refused(_invalid({"as_of": [str(exc)]})) from None


def _log_entry(ref: str, endpoint: str, caller: selectors.Caller, as_of, parsed, requested):
    identifiers = [
        f"{key[0]}:{key[1]}" if key else f"{t}:{v}"[:60]
        for key, (t, v) in zip((k for k, _ in parsed), requested, strict=True)
    ]
    return services.lookup_log_entry(
        ref=ref,
        endpoint=endpoint,
        caller_label=caller.label,
        user_id=caller.user_id,
        key_prefix=caller.key_prefix,
        as_of=as_of,
        identifiers=identifiers,
    )


def _refused_for(exc: Exception) -> _Refused:
    if isinstance(exc, selectors.Throttled):
        return _Refused(_error(429, "throttled", str(exc), headers={"Retry-After": str(exc.wait)}))
    return _Refused(_error(503, "service_unavailable", "Trust data is unavailable; retry shortly."))


def _lookup(
    endpoint: str,
    caller: selectors.Caller,
    requested: list[tuple[Any, Any]],
    as_of,
    *,
    serialised: bool,
    parsed: list[tuple[Any, Any]] | None = None,
) -> tuple[Any, str, str, int]:
    """Resolve, count against the caller's throttle and record the request.

    Returns (items, lookup_ref, oldest data_as_of, number found); items are bytes when
    ``serialised``.
    """
    ref = selectors.new_lookup_ref()
    if parsed is None:
        parsed = [selectors.parse_item(t, v) for t, v in requested]
    entry = _log_entry(ref, endpoint, caller, as_of, parsed, requested)
    queue = settings.TRUST_LOOKUP_LOG_ASYNC
    at = as_of or timezone.now()
    try:
        if serialised:
            items, oldest, found, resolved = selectors.lookup_serialised(
                requested, at=at, caller=caller, parsed=parsed, log_entry=entry if queue else None
            )
        else:
            items, resolved = selectors.lookup_items(
                requested, at=at, caller=caller, parsed=parsed, log_entry=entry if queue else None
            )
            oldest = selectors.oldest_data_as_of(items)
            found = sum(1 for i in items if i["match"] == "FOUND")
    except (selectors.Throttled, selectors.TrustUnavailable) as exc:
        raise _refused_for(exc) from None
    if not resolved.logged:
        entry["found"] = found
        services.lookup_log_record(entry, buffered=queue)
    return items, ref, oldest, found


def _body(request: HttpRequest) -> dict:
    try:
        data = orjson.loads(request.body or b"null")
    except orjson.JSONDecodeError:
        raise _Refused(_invalid({"non_field_errors": ["The body is not valid JSON."]})) from None
    if not isinstance(data, dict):
        raise _Refused(_invalid({"non_field_errors": ["The body must be a JSON object."]}))
    return data


def _refusals(view):
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except _Refused as refused:
            return refused.response

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return csrf_exempt(wrapped)


def _method_not_allowed(allowed: str) -> HttpResponse:
    return _error(405, "method_not_allowed", "Method not allowed.", headers={"Allow": allowed})


# --- Lookups ----------------------------------------------------------------------------------


@_refusals
def trust_single_lookup(request: HttpRequest, id_type: str, value: str) -> HttpResponse:
    """GET /api/v1/trust/{id_type}/{value}/?as_of= — one item; 404 with the item if unknown."""
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed("GET, HEAD")
    caller = _caller(request)
    # request.GET builds a QueryDict; most lookups have no query string to parse.
    as_of = _as_of(request.GET.get("as_of")) if request.META.get("QUERY_STRING") else None
    key, error = selectors.parse_item(id_type, value)
    if key is None:
        field = "id_type" if error and error.startswith("Unknown identifier type") else "value"
        return _invalid({field: [error]})
    items, ref, _, found = _lookup(
        "SINGLE", caller, [(id_type, value)], as_of, serialised=True, parsed=[(key, None)]
    )
    body = items[0]
    etag = f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'
    headers = {"ETag": etag, "X-Lookup-Ref": ref, "Cache-Control": "private, no-cache"}
    if_none_match = request.META.get("HTTP_IF_NONE_MATCH", "")
    if etag in if_none_match or if_none_match.strip() == "*":
        return HttpResponse(status=304, headers=headers)
    return HttpResponse(
        body, status=200 if found else 404, content_type="application/json", headers=headers
    )


def trust_single_lookup_any_type(request: HttpRequest, id_type: str, value: str) -> HttpResponse:
    """The single lookup's route for types no known one matches: the same view, a 400."""
    return trust_single_lookup(request, id_type, value)


@_refusals
def trust_bulk_lookup(request: HttpRequest) -> HttpResponse:
    """POST /api/v1/trust/lookup/ — 1 to 3,000 items, answered in request order."""
    if request.method != "POST":
        return _method_not_allowed("POST")
    caller = _caller(request)
    data = _body(request)
    as_of = _as_of(data.get("as_of"))
    raw_items = data.get("items")
    if not isinstance(raw_items, list):
        return _invalid({"items": ["A list of {id_type, id} objects is required."]})
    if not raw_items:
        return _invalid({"items": ["Give at least one item."]})
    if len(raw_items) > MAX_BULK_ITEMS:
        return _invalid(
            {"items": [f"At most {MAX_BULK_ITEMS} items per request ({len(raw_items)} given)."]}
        )
    requested = [
        (i.get("id_type"), i.get("id")) if isinstance(i, dict) else (None, i) for i in raw_items
    ]
    items, ref, oldest, _ = _lookup("BULK", caller, requested, as_of, serialised=True)
    head = orjson.dumps({"data_as_of": oldest, "lookup_ref": ref, "as_of": iso(as_of)})
    body = b"".join([head[:-1], b',"items":[', b",".join(items), b"]}"])
    return HttpResponse(body, content_type="application/json")


_TRUST_RANK = {"INVALID_FORMAT": 0, "NOT_FOUND": 1, "REVOKED": 2, "SUSPENDED": 3, "NONE": 4}


def _party_rank(item: dict[str, Any]) -> int:
    if item["match"] != "FOUND":
        return _TRUST_RANK[item["match"]]
    if item.get("restricted"):
        return 4
    if item["status"] == "ACTIVE":
        return 5 if item["suspended_types"] else 6
    return _TRUST_RANK[item["status"]]


@_refusals
def trust_consignment_lookup(request: HttpRequest) -> HttpResponse:
    """POST /api/v1/trust/consignment/ — the parties of one consignment and their links."""
    if request.method != "POST":
        return _method_not_allowed("POST")
    caller = _caller(request)
    data = _body(request)
    as_of = _as_of(data.get("as_of"))
    parties = data.get("parties")
    errors: dict[str, Any] = {}
    if not isinstance(parties, dict) or not parties:
        errors["parties"] = [f"An object with one or more of: {', '.join(PARTIES)}."]
    else:
        unknown = {p: ["Unknown party."] for p in parties if p not in PARTIES}
        if unknown:
            errors["parties"] = unknown
    context: dict[str, Any] = {}
    if data.get("ioss_number") is not None:
        try:
            context["ioss_number"] = normalise("IOSS", data["ioss_number"])
        except InvalidIdentifier as exc:
            errors["ioss_number"] = [str(exc)]
    if data.get("transport_document") is not None:
        doc = data["transport_document"]
        if not isinstance(doc, str) or not 0 < len(doc.strip()) <= 64:
            errors["transport_document"] = ["A string of 1 to 64 characters."]
        else:
            context["transport_document"] = doc.strip()
    if data.get("origin_country") is not None:
        code = data["origin_country"]
        if not isinstance(code, str) or code.upper() not in countries:
            errors["origin_country"] = ["An ISO 3166-1 alpha-2 country code."]
        else:
            context["origin_country"] = code.upper()
    if errors:
        return _invalid(errors)
    names = [p for p in PARTIES if p in parties]
    requested = [
        (parties[p].get("id_type"), parties[p].get("id"))
        if isinstance(parties[p], dict)
        else (None, parties[p])
        for p in names
    ]
    items, ref, oldest, _ = _lookup("CONSIGNMENT", caller, requested, as_of, serialised=False)
    by_party = dict(zip(names, items, strict=True))
    at = as_of or timezone.now()
    wanted = []
    for source, target, kind in RELATIONSHIP_CHECKS:
        s, t = by_party.get(source), by_party.get(target)
        if s and t and s["stakeholder_id"] and t["stakeholder_id"]:
            wanted.append((s["stakeholder_id"], t["stakeholder_id"], kind))
    declared = selectors.declared_relationships(wanted, at)
    relationships = []
    for source, target, kind in RELATIONSHIP_CHECKS:
        s, t = by_party.get(source), by_party.get(target)
        if not (s and t):
            continue
        if s.get("restricted") or t.get("restricted"):
            found = None  # not the operator's to know
        else:
            found = (s["stakeholder_id"], t["stakeholder_id"], kind) in declared
        relationships.append({"source": source, "target": target, "kind": kind, "declared": found})
    ranks = {p: _party_rank(i) for p, i in by_party.items()}
    trusted = all(r == 6 for r in ranks.values())
    weakest = None if trusted else min(names, key=lambda p: ranks[p])
    return _json(
        {
            "data_as_of": oldest,
            "lookup_ref": ref,
            "as_of": iso(as_of),
            **context,
            "parties": by_party,
            "relationships": relationships,
            "summary": {
                "all_parties_trusted": trusted,
                "weakest_party": weakest,
                "undeclared_relationships": [
                    f"{r['source']} {r['kind']} {r['target']}"
                    for r in relationships
                    if r["declared"] is False
                ],
            },
        }
    )


@_refusals
def trust_changes(request: HttpRequest) -> HttpResponse:
    """GET /api/v1/trust/changes/?after=<cursor>&limit= — the change feed, in commit order."""
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed("GET, HEAD")
    caller = _caller(request)
    if caller.viewer.operator:
        return _error(
            403, "permission_denied", "The change feed is for risk-engine keys and customs staff."
        )
    errors = {}
    try:
        after = int(request.GET.get("after") or 0)
        if not 0 <= after < 2**63:
            raise ValueError
    except ValueError:
        errors["after"] = ["A cursor from a previous page (a non-negative integer)."]
    try:
        limit = int(request.GET.get("limit") or 100)
        if not 1 <= limit <= 1000:
            raise ValueError
    except ValueError:
        errors["limit"] = ["An integer from 1 to 1000."]
    if errors:
        return _invalid(errors)
    changes = selectors.change_feed(after, limit)
    return _json(
        {
            "items": [services.change_as_json(c) for c in changes],
            "next_cursor": str(changes[-1].position if changes else after),
            "has_more": len(changes) == limit,
        }
    )


# --- Staff: lookup log, webhooks -------------------------------------------------------------


class LookupLogSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrustLookupLog
        fields = [
            "lookup_ref",
            "at",
            "endpoint",
            "caller",
            "user",
            "api_key_prefix",
            "as_of",
            "item_count",
            "found",
            "identifiers",
        ]


class LookupLogFilterSerializer(serializers.Serializer):
    lookup_ref = serializers.CharField(required=False)
    caller = serializers.CharField(required=False, help_text="User name or API key prefix.")
    identifier = serializers.CharField(required=False, help_text="e.g. EORI:DE123456789")
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)


class TrustLookupLogListView(generics.ListAPIView):
    """Who looked up what, when (customs staff). Filter by ref, caller, identifier, period."""

    permission_classes = [IsCustomsStaff]
    serializer_class = LookupLogSerializer

    def get_queryset(self):
        params = LookupLogFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return selectors.lookup_log_search(**params.validated_data)


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    secret = serializers.CharField(
        required=False, write_only=True, min_length=16, max_length=128,
        help_text="Left empty, one is generated and shown once in the response.",
    )  # fmt: skip

    class Meta:
        model = WebhookSubscription
        fields = ["id", "name", "url", "secret", "active", "created_at"]
        read_only_fields = ["id", "created_at"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    position = serializers.IntegerField(source="change.position", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "delivery_id",
            "subscription",
            "position",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "delivered_at",
            "created_at",
        ]


class WebhookSubscriptionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    GenericViewSet,
):
    """Webhook subscriptions (customs staff). Every change-feed entry is POSTed, signed."""

    permission_classes = [IsCustomsStaff]
    serializer_class = WebhookSubscriptionSerializer
    queryset = WebhookSubscription.objects.all()

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sub = services.webhook_subscription_create(
            name=serializer.validated_data["name"],
            url=serializer.validated_data["url"],
            secret=serializer.validated_data.get("secret", ""),
            created_by=request.user,
        )
        body = dict(self.get_serializer(sub).data)
        body["secret"] = sub.secret  # shown once
        return Response(body, status=201)

    @action(detail=True, methods=["get"], serializer_class=WebhookDeliverySerializer)
    def deliveries(self, request, pk=None):
        sub = self.get_object()
        page = self.paginate_queryset(
            WebhookDelivery.objects.filter(subscription=sub).select_related("change")
        )
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)
