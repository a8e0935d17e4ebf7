"""Shapes of the registry API. Input serializers check types; the services hold the rules."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from .identifiers import IdentifierType
from .models import (
    Identifier,
    Membership,
    MembershipRole,
    Relationship,
    RelationshipKind,
    Responsibility,
    Role,
    Stakeholder,
)

# --- output -----------------------------------------------------------------------------------


class IdentifierSerializer(serializers.ModelSerializer):
    issuing_country = serializers.CharField(source="issuing_country.code", read_only=True)

    class Meta:
        model = Identifier
        fields = ["id", "type", "value", "issuing_country", "valid_from", "valid_to"]
        read_only_fields = fields


class StakeholderSerializer(serializers.ModelSerializer):
    country = serializers.CharField(source="country.code", read_only=True)
    roles = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    identifiers = IdentifierSerializer(many=True, read_only=True)

    class Meta:
        model = Stakeholder
        fields = [
            "id",
            "legal_name",
            "trading_name",
            "country",
            "address",
            "city",
            "postal_code",
            "contact_email",
            "contact_phone",
            "established_on",
            "consent_publish",
            "consent_mra",
            "roles",
            "identifiers",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class RelationshipSerializer(serializers.ModelSerializer):
    class Meta:
        model = Relationship
        fields = ["id", "source", "target", "kind", "valid_from", "valid_to", "created_at"]
        read_only_fields = fields


class MembershipSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "stakeholder", "username", "role", "created_at"]
        read_only_fields = fields


class ResponsibilitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Responsibility
        fields = ["code", "description", "source", "binding"]
        read_only_fields = fields


class RoleSerializer(serializers.ModelSerializer):
    responsibilities = ResponsibilitySerializer(many=True, read_only=True)

    class Meta:
        model = Role
        fields = ["code", "name", "description", "responsibilities"]
        read_only_fields = fields


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class HistoryEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    user = serializers.CharField(allow_null=True, help_text="Username of who made the change.")
    model = serializers.ChoiceField(choices=["stakeholder", "identifier"])
    object_id = serializers.IntegerField()
    action = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    changes = FieldChangeSerializer(many=True)


# --- input ------------------------------------------------------------------------------------


class IdentifierInputSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=IdentifierType.choices)
    value = serializers.CharField(
        max_length=64, help_text="As written; stored normalised (upper case, no separators)."
    )
    valid_from = serializers.DateField(required=False, allow_null=True)
    valid_to = serializers.DateField(required=False, allow_null=True)


class _StakeholderFieldsSerializer(serializers.Serializer):
    legal_name = serializers.CharField(max_length=255)
    trading_name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    country = serializers.CharField(
        max_length=2, min_length=2, help_text="ISO 3166-1 alpha-2 code, e.g. DE."
    )
    address = serializers.CharField(max_length=255)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    contact_email = serializers.EmailField()
    contact_phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    established_on = serializers.DateField(required=False, allow_null=True)
    consent_publish = serializers.BooleanField(required=False, default=False)
    consent_mra = serializers.BooleanField(required=False, default=False)
    roles = serializers.ListField(
        child=serializers.CharField(max_length=32),
        min_length=1,
        help_text="Role codes from GET /api/v1/roles/.",
    )


class StakeholderCreateSerializer(_StakeholderFieldsSerializer):
    identifiers = IdentifierInputSerializer(many=True, allow_empty=False)


class StakeholderUpdateSerializer(_StakeholderFieldsSerializer):
    """PATCH: every field optional; identifiers and members have their own endpoints."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
        self.fields["consent_publish"].default = serializers.empty
        self.fields["consent_mra"].default = serializers.empty


class RelationshipInputSerializer(serializers.Serializer):
    target = serializers.IntegerField(help_text="Id of a registered stakeholder.")
    kind = serializers.ChoiceField(choices=RelationshipKind.choices)
    valid_from = serializers.DateField(required=False, help_text="Defaults to today.")
    valid_to = serializers.DateField(required=False, allow_null=True)


class MembershipInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=MembershipRole.choices, default=MembershipRole.MEMBER)


class RegisterSerializer(serializers.Serializer):
    username = serializers.RegexField(
        r"^[\w.@+-]+\Z",
        max_length=150,
        error_messages={"invalid": "Letters, digits and @/./+/-/_ only."},
    )
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    email = serializers.EmailField()


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = get_user_model()
        fields = ["id", "username", "email"]
        read_only_fields = fields


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")
    expiry = serializers.DateTimeField()
