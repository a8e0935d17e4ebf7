"""The registry: who takes part in cross-border e-commerce, in which roles, linked to whom.

Writes go through ``services.py``, reads through ``selectors.py``.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from .identifiers import IdentifierType


class RoleCode(models.TextChoices):
    E_VENDOR = "E_VENDOR", "E-commerce vendor"
    E_PLATFORM = "E_PLATFORM", "E-commerce platform (marketplace)"
    FULFILMENT_CENTRE = "FULFILMENT_CENTRE", "Fulfilment centre"
    EXPRESS_CARRIER = "EXPRESS_CARRIER", "Express carrier"
    POSTAL_OPERATOR = "POSTAL_OPERATOR", "Postal operator"
    CUSTOMS_BROKER = "CUSTOMS_BROKER", "Customs broker"
    FREIGHT_FORWARDER = "FREIGHT_FORWARDER", "Freight forwarder"
    CARRIER = "CARRIER", "Carrier"
    PAYMENT_PROVIDER = "PAYMENT_PROVIDER", "Payment service provider"
    IMPORTER = "IMPORTER", "Importer"
    EXPORTER = "EXPORTER", "Exporter"
    WAREHOUSE_KEEPER = "WAREHOUSE_KEEPER", "Warehouse keeper"
    MANUFACTURER = "MANUFACTURER", "Manufacturer"


class Role(models.Model):
    """A role in the catalogue (seeded by migration; the WCO annex names them)."""

    code = models.CharField(max_length=32, unique=True, choices=RoleCode.choices)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Responsibility(models.Model):
    """What a role is expected to do, with where that expectation comes from.

    The WCO annex creates no legal obligation by itself: ``binding`` is true only where the
    source is law.
    """

    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="responsibilities")
    code = models.CharField(max_length=64)
    description = models.TextField()
    source = models.CharField(max_length=255)
    binding = models.BooleanField(default=False)

    class Meta:
        ordering = ["role__code", "code"]
        constraints = [
            models.UniqueConstraint(fields=["role", "code"], name="responsibility_unique_code")
        ]

    def __str__(self) -> str:
        return f"{self.role.code}:{self.code}"


class Stakeholder(models.Model):
    """A legal entity taking part in cross-border e-commerce."""

    legal_name = models.CharField(max_length=255, db_index=True)
    trading_name = models.CharField(max_length=255, blank=True)
    country = CountryField(db_index=True)
    address = models.CharField(max_length=255)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    contact_email = models.EmailField()
    contact_phone = models.CharField(max_length=40, blank=True)
    established_on = models.DateField(null=True, blank=True)
    consent_publish = models.BooleanField(
        default=False, help_text="The holder agrees to be named in public AEO lists and lookups."
    )
    consent_mra = models.BooleanField(
        default=False, help_text="The holder agrees to its data being sent to MRA partners."
    )
    roles = models.ManyToManyField(Role, related_name="stakeholders", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(m2m_fields=[roles])

    class Meta:
        ordering = ["legal_name", "id"]

    def __str__(self) -> str:
        return f"{self.legal_name} ({self.country})"


class Identifier(models.Model):
    """An identifier of a stakeholder, stored normalised; unique per type across the registry."""

    stakeholder = models.ForeignKey(
        Stakeholder, on_delete=models.CASCADE, related_name="identifiers"
    )
    type = models.CharField(max_length=16, choices=IdentifierType.choices)
    value = models.CharField(max_length=40)
    issuing_country = CountryField(blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["type", "value"]
        constraints = [
            models.UniqueConstraint(fields=["type", "value"], name="identifier_unique_type_value"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=F("valid_from")),
                name="identifier_valid_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.value}"


class RelationshipKind(models.TextChoices):
    SELLS_VIA = "SELLS_VIA", "sells via (platform)"
    FULFILLED_BY = "FULFILLED_BY", "fulfilled by (fulfilment centre)"
    CARRIED_BY = "CARRIED_BY", "carried by (carrier or postal operator)"
    REPRESENTED_BY = "REPRESENTED_BY", "represented by (customs broker)"


# The role the target of each relationship must hold (any one of them).
RELATIONSHIP_TARGET_ROLES: dict[str, tuple[str, ...]] = {
    RelationshipKind.SELLS_VIA: (RoleCode.E_PLATFORM,),
    RelationshipKind.FULFILLED_BY: (RoleCode.FULFILMENT_CENTRE,),
    RelationshipKind.CARRIED_BY: (
        RoleCode.EXPRESS_CARRIER,
        RoleCode.POSTAL_OPERATOR,
        RoleCode.CARRIER,
    ),
    RelationshipKind.REPRESENTED_BY: (RoleCode.CUSTOMS_BROKER,),
}


class Relationship(models.Model):
    """A declared business link from one stakeholder to another, valid between two dates."""

    source = models.ForeignKey(
        Stakeholder, on_delete=models.CASCADE, related_name="relationships_out"
    )
    target = models.ForeignKey(
        Stakeholder, on_delete=models.PROTECT, related_name="relationships_in"
    )
    kind = models.CharField(max_length=16, choices=RelationshipKind.choices)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["source_id", "kind", "valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(source=F("target")), name="relationship_not_to_itself"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="relationship_valid_dates_ordered",
            ),
            models.UniqueConstraint(
                fields=["source", "target", "kind", "valid_from"],
                name="relationship_unique_start",
            ),
        ]
        indexes = [models.Index(fields=["source", "kind", "target"])]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_id}"


class MembershipRole(models.TextChoices):
    OWNER = "OWNER", "Owner"
    MEMBER = "MEMBER", "Member"


class Membership(models.Model):
    """A user acts for a stakeholder. Owners may add members."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    stakeholder = models.ForeignKey(
        Stakeholder, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=8, choices=MembershipRole.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["stakeholder_id", "user_id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "stakeholder"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} of {self.stakeholder_id}"
