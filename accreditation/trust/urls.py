"""Trust lookup URLs, mounted at /api/v1/trust/ first in the root URLconf (the hot path)."""

import re

from django.urls import path, register_converter
from rest_framework.routers import SimpleRouter

from stakeholders.identifiers import IdentifierType

from . import schema, views


class IdentifierTypeConverter:
    """A known identifier type (EORI, LEI, AEO_NO …), as the API spells it."""

    regex = "|".join(re.escape(t) for t in sorted(IdentifierType.values, key=len, reverse=True))

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(IdentifierTypeConverter, "id_type")

# The single lookup, matched in one step before anything else in the root URLconf: most of
# the API's traffic. Any other spelling of a type falls through to the route at the end of
# ``urlpatterns`` below, which answers the same view's 400 naming the field.
single_lookup = path(
    "api/v1/trust/<id_type:id_type>/<path:value>/",
    schema.document(views.trust_single_lookup, schema.SingleLookupDoc),
    name="trust-single-lookup",
)

router = SimpleRouter()
router.register("webhooks", views.WebhookSubscriptionViewSet, basename="trust-webhook")

urlpatterns = [
    path(
        "lookup/",
        schema.document(views.trust_bulk_lookup, schema.BulkLookupDoc),
        name="trust-bulk-lookup",
    ),
    path(
        "consignment/",
        schema.document(views.trust_consignment_lookup, schema.ConsignmentLookupDoc),
        name="trust-consignment-lookup",
    ),
    path(
        "changes/",
        schema.document(views.trust_changes, schema.ChangesDoc),
        name="trust-changes",
    ),
    path("lookups/", views.TrustLookupLogListView.as_view(), name="trust-lookup-log"),
    *router.urls,
    path(
        "<str:id_type>/<path:value>/",
        schema.document(views.trust_single_lookup_any_type, schema.UndocumentedDoc),
        name="trust-single-lookup-any-type",
    ),
]
