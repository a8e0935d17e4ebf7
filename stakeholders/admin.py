"""Admin for the registry: search, filters, and a read-only field-level history.

History is viewable but never revertible from the admin: a revert would bypass the services
(validation, signals). Identifier values typed here are normalised like the API does.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .models import (
    RELATIONSHIP_TARGET_ROLES,
    Identifier,
    Membership,
    Relationship,
    Responsibility,
    Role,
    Stakeholder,
)


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    def revert_disabled(self, request, obj=None) -> bool:
        return True


def _notify(stakeholder_id: int) -> None:
    # The admin saves directly; tell the same receivers the services tell.
    services.announce_change(stakeholder_id)


class IdentifierForm(forms.ModelForm):
    class Meta:
        model = Identifier
        fields = ["stakeholder", "type", "value", "valid_from", "valid_to"]

    def clean(self):
        # The same rules as the API (normalisation, issuing country, AEO_NO country).
        data = super().clean()
        id_type, value = data.get("type"), data.get("value")
        if id_type and value:
            stakeholder = data.get("stakeholder") or getattr(self.instance, "stakeholder", None)
            country = stakeholder.country.code if stakeholder and stakeholder.country else ""
            try:
                cleaned = services.clean_identifier(
                    {"type": id_type, "value": value}, country, "value"
                )
            except ValidationError as exc:
                self.add_error("value", exc.message_dict["value"])
            else:
                data["value"] = cleaned["value"]
                self.instance.issuing_country = cleaned["issuing_country"]
        return data


class IdentifierInline(admin.TabularInline):
    model = Identifier
    form = IdentifierForm
    extra = 0
    fields = ["type", "value", "issuing_country", "valid_from", "valid_to"]
    readonly_fields = ["issuing_country"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Stakeholder)
class StakeholderAdmin(ReadOnlyHistoryAdmin):
    list_display = ["legal_name", "country", "contact_email", "consent_publish", "updated_at"]
    list_filter = ["country", "roles", "consent_publish", "consent_mra"]
    search_fields = ["legal_name", "trading_name", "identifiers__value", "contact_email"]
    filter_horizontal = ["roles"]
    readonly_fields = ["created_by", "created_at", "updated_at"]
    inlines = [IdentifierInline, MembershipInline]
    history_list_display = ["legal_name", "country"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("roles")

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        _notify(form.instance.pk)


@admin.register(Identifier)
class IdentifierAdmin(ReadOnlyHistoryAdmin):
    form = IdentifierForm
    list_display = ["type", "value", "stakeholder", "issuing_country", "valid_from", "valid_to"]
    list_filter = ["type", "issuing_country"]
    search_fields = ["value", "stakeholder__legal_name"]
    autocomplete_fields = ["stakeholder"]
    list_select_related = ["stakeholder"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        _notify(obj.stakeholder_id)

    def delete_model(self, request, obj):
        stakeholder_id = obj.stakeholder_id
        super().delete_model(request, obj)
        _notify(stakeholder_id)


class ResponsibilityInline(admin.TabularInline):
    model = Responsibility
    extra = 0


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name", "description"]
    inlines = [ResponsibilityInline]


class RelationshipForm(forms.ModelForm):
    class Meta:
        model = Relationship
        fields = ["source", "target", "kind", "valid_from", "valid_to"]

    def clean(self):
        data = super().clean()
        target, kind = data.get("target"), data.get("kind")
        if target and kind:
            needed = RELATIONSHIP_TARGET_ROLES[kind]
            if not target.roles.filter(code__in=needed).exists():
                self.add_error("target", f"{kind} needs a target with role {' or '.join(needed)}.")
        return data


@admin.register(Relationship)
class RelationshipAdmin(ReadOnlyHistoryAdmin):
    form = RelationshipForm
    list_display = ["source", "kind", "target", "valid_from", "valid_to"]
    list_filter = ["kind"]
    search_fields = ["source__legal_name", "target__legal_name"]
    autocomplete_fields = ["source", "target"]
    list_select_related = ["source", "target"]
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        _notify(obj.source_id)
        _notify(obj.target_id)


@admin.register(Membership)
class MembershipAdmin(ReadOnlyHistoryAdmin):
    list_display = ["user", "role", "stakeholder", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "stakeholder__legal_name"]
    autocomplete_fields = ["user", "stakeholder"]
    list_select_related = ["user", "stakeholder"]
