from django.contrib import admin, messages

from ..models import (
    MraExportRun,
    MraPartnerRecord,
    TrustChange,
    TrustLookupLog,
    WebhookDelivery,
    WebhookSubscription,
)
from . import services


@admin.register(MraPartnerRecord)
class MraPartnerRecordAdmin(admin.ModelAdmin):
    list_display = ["partner", "id_type", "partner_id", "name", "country", "status", "since"]
    list_filter = ["partner", "status", "id_type"]
    search_fields = ["partner_id", "name"]


@admin.register(MraExportRun)
class MraExportRunAdmin(admin.ModelAdmin):
    list_display = ["partner", "since", "until", "rows", "filename", "sha256"]
    list_filter = ["partner"]


@admin.register(TrustLookupLog)
class TrustLookupLogAdmin(admin.ModelAdmin):
    list_display = ["lookup_ref", "at", "endpoint", "caller", "item_count", "found"]
    list_filter = ["endpoint"]
    search_fields = ["=lookup_ref", "caller", "api_key_prefix", "identifiers"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TrustChange)
class TrustChangeAdmin(admin.ModelAdmin):
    list_display = ["position", "change", "stakeholder_id", "authorisation_id", "occurred_at"]
    list_filter = ["change"]
    search_fields = ["=stakeholder_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    fields = ["delivery_id", "change", "status", "attempts", "last_status_code", "last_error"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["-id"]

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(status="DELIVERED")


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["name", "url", "active", "created_at"]
    inlines = [DeliveryInline]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "delivery_id", "subscription", "status", "attempts", "last_status_code",
        "next_attempt_at", "delivered_at",
    ]  # fmt: skip
    list_filter = ["status", "subscription"]
    search_fields = ["=delivery_id"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = ["redeliver"]

    @admin.action(description="Deliver again (same delivery id and body)")
    def redeliver(self, request, queryset):
        for delivery in queryset:
            services.webhook_redeliver(delivery.pk)
        messages.success(request, f"{queryset.count()} deliveries queued.")
