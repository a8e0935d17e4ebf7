"""API plumbing shared by every app: pagination, the error shape, the exception handler.

Every error response has one shape (documented in the OpenAPI schema as ``Error``)::

    {"status": 400, "code": "invalid", "detail": "Invalid input.",
     "errors": {"field": ["message"], "nested": {"0": {"field": ["message"]}}}}

``errors`` is present only on validation errors (400); other statuses may add keys of their
own, such as ``allowed_actions`` on a 409 from the workflow.
"""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class DefaultPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


class ConflictError(exceptions.APIException):
    """The request is valid but clashes with the current state (HTTP 409)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"

    def __init__(self, detail: str | None = None, code: str | None = None, **extra: Any):
        super().__init__(detail, code)
        self.extra = extra


class ErrorSerializer(serializers.Serializer):
    """The shape of every error response (for the schema; never used to validate)."""

    status = serializers.IntegerField()
    code = serializers.CharField()
    detail = serializers.CharField()
    errors = serializers.DictField(required=False, help_text="Field name → list of messages.")


def django_validation_error_as_drf(exc: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError(exc.message_dict)
    return exceptions.ValidationError({"non_field_errors": exc.messages})


def _first_code(detail: Any) -> str | None:
    if isinstance(detail, exceptions.ErrorDetail):
        return detail.code
    if isinstance(detail, dict):
        detail = list(detail.values())
    if isinstance(detail, list):
        for item in detail:
            code = _first_code(item)
            if code:
                return code
    return None


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = django_validation_error_as_drf(exc)
    elif isinstance(exc, IntegrityError):
        # Constraints are the backstop of the services' own checks (concurrent writers).
        exc = ConflictError("The change conflicts with existing data; reload and try again.")
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None

    body: dict[str, Any] = {"status": response.status_code}
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        if not isinstance(detail, dict):
            detail = {"non_field_errors": detail if isinstance(detail, list) else [detail]}
        body["code"] = "invalid"
        body["detail"] = "Invalid input."
        body["errors"] = detail
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        body["code"] = _first_code(detail) or exc.default_code
        body["detail"] = str(detail) if not isinstance(detail, (dict, list)) else detail
        body.update(getattr(exc, "extra", {}))
    response.data = body
    return response


def not_found(request, exception=None):
    """handler404: a URL that matches no route (``/applications/abc/``) answers in the one
    error shape under /api/, Django's page elsewhere."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        body = {"status": 404, "code": "not_found", "detail": "Not found."}
        return JsonResponse(body, status=404)
    return page_not_found(request, exception)
