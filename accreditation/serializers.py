"""Input validation and output shapes of the accreditation API. No business logic here."""

from rest_framework import serializers

from aeo_registry.permissions import is_officer, is_supervisor

from .models import (
    HELD_TYPES,
    AeoType,
    Application,
    AuditEvent,
    Authorisation,
    AuthorisationStatusInterval,
    Finding,
    Hearing,
    Infringement,
    InfringementSeverity,
    Severity,
    SuspensionGround,
)
from .permissions import member_stakeholder_ids
from .workflow import allowed_actions

OUTCOMES = [("GRANT", "Grant"), ("REJECT", "Reject")]


# --- input -----------------------------------------------------------------------------------


class ApplicationCreateSerializer(serializers.Serializer):
    stakeholder = serializers.IntegerField(min_value=1)
    type = serializers.ChoiceField(choices=AeoType.choices)


class AnswerItemSerializer(serializers.Serializer):
    question = serializers.CharField(max_length=32)
    value = serializers.JSONField(allow_null=True)


class AnswersSerializer(serializers.Serializer):
    answers = AnswerItemSerializer(many=True, allow_empty=False, max_length=500)


class DocumentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False)


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=10_000)


class CommentsSerializer(serializers.Serializer):
    comments = serializers.CharField(max_length=20_000)


class OptionalCommentsSerializer(serializers.Serializer):
    comments = serializers.CharField(max_length=20_000, required=False, allow_blank=True)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=10_000, required=False, allow_blank=True)


class AssignSerializer(serializers.Serializer):
    officer = serializers.IntegerField(
        min_value=1, required=False, help_text="User id of the officer; default: yourself."
    )


class FindingInputSerializer(serializers.Serializer):
    criterion = serializers.CharField(max_length=32)
    severity = serializers.ChoiceField(choices=Severity.choices)
    text = serializers.CharField(max_length=20_000)


class OutcomeSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=OUTCOMES)
    reasons = serializers.CharField(max_length=20_000)


class SuspendSerializer(serializers.Serializer):
    types = serializers.ListField(
        child=serializers.ChoiceField(choices=[AeoType.AEOC, AeoType.AEOS]),
        required=False,
        allow_empty=False,
        help_text="Held types to suspend (AEOF holds AEOC and AEOS); default: all.",
    )
    ground = serializers.ChoiceField(choices=SuspensionGround.choices)
    reason = serializers.CharField(max_length=20_000)
    immediate = serializers.BooleanField(
        default=False,
        help_text="Supervisors only: act without hearing the holder first (document why).",
    )


class RevokeSerializer(serializers.Serializer):
    types = serializers.ListField(
        child=serializers.ChoiceField(choices=[AeoType.AEOC, AeoType.AEOS]),
        required=False,
        allow_empty=False,
    )
    ground = serializers.ChoiceField(
        choices=[("", "-"), *SuspensionGround.choices], required=False, default=""
    )
    reason = serializers.CharField(max_length=20_000)
    immediate = serializers.BooleanField(default=False)


class WithdrawMeasureSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=20_000, help_text="Why the measure is dropped; sent to the holder."
    )


class ReinstateSerializer(serializers.Serializer):
    types = serializers.ListField(
        child=serializers.ChoiceField(choices=[AeoType.AEOC, AeoType.AEOS]),
        required=False,
        allow_empty=False,
    )
    reason = serializers.CharField(max_length=20_000)


class InfringementSerializer(serializers.ModelSerializer):
    stakeholder = serializers.IntegerField(source="stakeholder_id", min_value=1)
    severity = serializers.ChoiceField(choices=InfringementSeverity.choices)

    class Meta:
        model = Infringement
        fields = [
            "id",
            "stakeholder",
            "date",
            "severity",
            "description",
            "source",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = ["id", "recorded_by", "created_at"]


# --- output ----------------------------------------------------------------------------------


class IdSerializer(serializers.Serializer):
    id = serializers.IntegerField()


class FindingSerializer(serializers.ModelSerializer):
    criterion = serializers.CharField(source="criterion.code")

    class Meta:
        model = Finding
        fields = [
            "id",
            "criterion",
            "severity",
            "text",
            "automated",
            "check_code",
            "author",
            "created_at",
        ]


class HearingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Hearing
        fields = [
            "id",
            "subject",
            "grounds",
            "measure",
            "opened_at",
            "deadline",
            "comments",
            "responded_at",
            "closed_at",
            "outcome",
            "closing_reason",
        ]


class IntervalSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuthorisationStatusInterval
        fields = ["type", "status", "valid_from", "valid_to", "ground", "reason"]


class AuthorisationSerializer(serializers.ModelSerializer):
    types = serializers.SerializerMethodField()
    statuses = serializers.SerializerMethodField(help_text="Current status per held type.")
    history = IntervalSerializer(source="intervals", many=True, read_only=True)
    holder = serializers.IntegerField(source="holder_id")
    application = serializers.IntegerField(source="application_id")
    profile = serializers.CharField(source="profile.code")

    class Meta:
        model = Authorisation
        fields = [
            "id",
            "number",
            "holder",
            "application",
            "type",
            "types",
            "statuses",
            "profile",
            "issuing_country",
            "decided_at",
            "effective_from",
            "last_reassessment",
            "close_monitoring_until",
            "history",
        ]

    def get_types(self, obj) -> list[str]:
        return list(HELD_TYPES[obj.type])

    def get_statuses(self, obj) -> dict[str, str]:
        current = {}
        for row in obj.intervals.all():
            if row.valid_to is None:
                current[row.type] = row.status
        return current


class ApplicationSerializer(serializers.ModelSerializer):
    stakeholder = serializers.IntegerField(source="stakeholder_id")
    profile = serializers.CharField(source="profile.code")
    assigned_officer = serializers.IntegerField(source="assigned_officer_id", allow_null=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "id",
            "stakeholder",
            "type",
            "profile",
            "status",
            "version",
            "received_at",
            "acceptance_due",
            "accepted_at",
            "decision_due",
            "extensions",
            "extended_at",
            "overdue",
            "assigned_officer",
            "allowed_actions",
            "created_at",
            "updated_at",
        ]

    def get_allowed_actions(self, obj) -> list[str]:
        """What the caller may do now (all actions of the status without a request)."""
        request = self.context.get("request")
        if request is None:
            return allowed_actions(obj.status)
        user = request.user
        roles = set()
        if is_supervisor(user):
            roles |= {"officer", "supervisor"}
        elif is_officer(user):
            roles.add("officer")
        member_of = getattr(request, "_aeo_member_of", None)
        if member_of is None:  # once per request, not once per listed application
            member_of = request._aeo_member_of = member_stakeholder_ids(user)
        if obj.stakeholder_id in member_of:
            roles.add("operator")
        return allowed_actions(obj.status, frozenset(roles))


class DecisionSerializer(serializers.Serializer):
    proposed_outcome = serializers.CharField()
    proposed_reasons = serializers.CharField()
    proposed_by = serializers.IntegerField(source="proposed_by_id", allow_null=True)
    proposed_at = serializers.DateTimeField(allow_null=True)
    outcome = serializers.CharField(source="decision_outcome")
    reasons = serializers.CharField(source="decision_reasons")
    decided_by = serializers.IntegerField(source="decided_by_id", allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)


class DocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    original_name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_at = serializers.DateTimeField()


class ApplicationDetailSerializer(ApplicationSerializer):
    checks = serializers.JSONField()
    findings = FindingSerializer(many=True, read_only=True)
    hearing = serializers.SerializerMethodField()
    decision = serializers.SerializerMethodField()
    documents = DocumentSerializer(many=True, read_only=True)
    info_request = serializers.SerializerMethodField()
    authorisation = serializers.SerializerMethodField()

    class Meta(ApplicationSerializer.Meta):
        fields = [
            *ApplicationSerializer.Meta.fields,
            "checks",
            "checked_at",
            "findings",
            "hearing",
            "decision",
            "documents",
            "info_request",
            "authorisation",
        ]

    def get_hearing(self, obj) -> dict | None:
        hearings = list(obj.hearings.all())
        return HearingSerializer(hearings[-1]).data if hearings else None

    def get_decision(self, obj) -> dict:
        return DecisionSerializer(obj).data

    def get_info_request(self, obj) -> dict | None:
        if not obj.info_requested_at:
            return None
        return {
            "message": obj.info_message,
            "requested_at": obj.info_requested_at,
            "returns_to": obj.info_return_status,
        }

    def get_authorisation(self, obj) -> dict | None:
        authorisation = getattr(obj, "authorisation", None) if obj.status == "GRANTED" else None
        return AuthorisationSerializer(authorisation).data if authorisation else None


class QuestionOutSerializer(serializers.Serializer):
    code = serializers.CharField()
    text = serializers.CharField()
    kind = serializers.CharField()
    required = serializers.BooleanField()
    choices = serializers.ListField(child=serializers.DictField())
    criteria = serializers.ListField(child=serializers.CharField())
    answer = serializers.JSONField(allow_null=True)


class SectionOutSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    questions = QuestionOutSerializer(many=True)


class QuestionnaireSerializer(serializers.Serializer):
    sections = SectionOutSerializer(many=True)
    complete = serializers.BooleanField()
    missing = serializers.ListField(child=serializers.CharField())


class MeasureResultSerializer(serializers.Serializer):
    applied = serializers.BooleanField(help_text="False: the holder is heard first.")
    hearing = HearingSerializer(allow_null=True)
    authorisation = AuthorisationSerializer()


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "actor",
            "actor_label",
            "action",
            "target_type",
            "target_id",
            "before",
            "after",
            "legal_basis",
            "at",
            "prev_hash",
            "hash",
        ]
