"""Admin: profiles and the questionnaire are editable data; infringements are entered here
too. The audit log is read-only (no add, change or delete); workflow records are changed only
through the workflow, so they are read-only here as well."""

from django.contrib import admin

from .models import (
    Application,
    ApplicationTransition,
    AuditEvent,
    Authorisation,
    AuthorisationStatusInterval,
    Criterion,
    Finding,
    Hearing,
    Infringement,
    ProgrammeProfile,
    Question,
    QuestionnaireSection,
    Suspension,
)


@admin.register(ProgrammeProfile)
class ProgrammeProfileAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "acceptance_days",
        "decision_days",
        "hearing_days",
        "grant_effective_days",
        "revalidation_years",
    ]


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ["code", "framework", "title"]
    list_filter = ["framework"]


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0
    fields = ["code", "text", "kind", "required", "order"]


@admin.register(QuestionnaireSection)
class QuestionnaireSectionAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "order", "aeo_types"]
    filter_horizontal = ["roles", "criteria"]
    inlines = [QuestionInline]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["code", "section", "kind", "required"]
    list_filter = ["section", "kind"]
    filter_horizontal = ["roles", "criteria"]


@admin.register(Infringement)
class InfringementAdmin(admin.ModelAdmin):
    list_display = ["stakeholder", "date", "severity", "source"]
    list_filter = ["severity"]
    raw_id_fields = ["stakeholder"]
    exclude = ["recorded_by"]

    def save_model(self, request, obj, form, change):
        from . import services

        if change:
            return super().save_model(request, obj, form, change)
        created = services.infringement_create(
            actor=request.user,
            stakeholder_id=obj.stakeholder_id,
            date=obj.date,
            severity=obj.severity,
            description=obj.description,
            source=obj.source,
        )
        obj.pk = created.pk


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class TransitionInline(admin.TabularInline):
    model = ApplicationTransition
    extra = 0
    can_delete = False
    readonly_fields = ["action", "from_status", "to_status", "actor", "reason", "at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "stakeholder",
        "type",
        "status",
        "overdue",
        "decision_due",
        "assigned_officer",
    ]
    list_filter = ["status", "type", "overdue"]
    inlines = [TransitionInline]


class IntervalInline(admin.TabularInline):
    model = AuthorisationStatusInterval
    extra = 0
    can_delete = False
    readonly_fields = ["type", "status", "valid_from", "valid_to", "ground", "reason"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Authorisation)
class AuthorisationAdmin(ReadOnlyAdmin):
    list_display = ["number", "holder", "type", "effective_from"]
    search_fields = ["number"]
    inlines = [IntervalInline]


@admin.register(Finding, Hearing, Suspension)
class WorkflowRecordAdmin(ReadOnlyAdmin):
    pass


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "at", "actor_label", "action", "target_type", "target_id"]
    list_filter = ["action", "target_type"]
    search_fields = ["target_id", "actor_label"]

    def get_actions(self, request):
        return {}  # not even the bulk "delete selected"
