"""Trust lookup URLs, mounted at /api/v1/trust/ first in the root URLconf (the hot path)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import schema, views

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
        schema.document(views.trust_single_lookup, schema.SingleLookupDoc),
        name="trust-single-lookup",
    ),
]
