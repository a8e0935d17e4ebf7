"""AEO accreditation: programme profiles, applications, authorisations, audit, outbox.

Status changes happen only in ``workflow.py`` (applications) and ``services.py``
(authorisations); models hold data and constraints, no behaviour that writes.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from stakeholders.models import Stakeholder


class AeoType(models.TextChoices):
    AEOC = "AEOC", "AEO – customs simplifications"
    AEOS = "AEOS", "AEO – security and safety"
    AEOF = "AEOF", "AEO – full (AEOC + AEOS)"


# The types an authorisation of each kind holds, each with its own status.
HELD_TYPES: dict[str, tuple[str, ...]] = {
    AeoType.AEOC: (AeoType.AEOC,),
    AeoType.AEOS: (AeoType.AEOS,),
    AeoType.AEOF: (AeoType.AEOC, AeoType.AEOS),
}


class ProgrammeProfile(models.Model):
    """The legal clocks and rules of one AEO programme, as data (editable in admin)."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    legal_basis = models.CharField(max_length=255, blank=True)
    acceptance_days = models.PositiveIntegerField(
        default=30, help_text="Days from receipt to accept or refuse the application."
    )
    decision_days = models.PositiveIntegerField(
        default=120, help_text="Days from acceptance to take the decision."
    )
    extension_days = models.PositiveIntegerField(
        default=60, help_text="Days one extension adds to the decision deadline."
    )
    max_extensions = models.PositiveIntegerField(default=1)
    hearing_days = models.PositiveIntegerField(
        default=30, help_text="Days the applicant or holder has to comment before a decision."
    )
    grant_effective_days = models.PositiveIntegerField(
        default=5, help_text="Days after the decision that a grant takes effect."
    )
    suspension_days = models.PositiveIntegerField(default=30)
    suspension_extension_days = models.PositiveIntegerField(default=30)
    bar_revoked_years = models.PositiveIntegerField(
        default=3, help_text="Refuse acceptance if any AEO status was revoked this recently."
    )
    bar_same_type_revoked_months = models.PositiveIntegerField(
        default=12, help_text="Refuse acceptance if the same type was revoked this recently."
    )
    compliance_lookback_years = models.PositiveIntegerField(default=3)
    info_request_pauses_decision_clock = models.BooleanField(default=True)
    revalidation_years = models.PositiveIntegerField(
        null=True, blank=True, help_text="Revalidate holders this often (empty: no fixed term)."
    )
    close_monitoring_if_established_less_than_years = models.PositiveIntegerField(default=3)
    close_monitoring_years = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class ApplicationStatus(models.TextChoices):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    INFO_REQUESTED = "INFO_REQUESTED"
    NOT_ACCEPTED = "NOT_ACCEPTED"
    EXAMINATION = "EXAMINATION"
    DECISION_PROPOSED = "DECISION_PROPOSED"
    HEARING = "HEARING"
    GRANTED = "GRANTED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"


FINAL_APPLICATION_STATUSES = (
    ApplicationStatus.NOT_ACCEPTED,
    ApplicationStatus.GRANTED,
    ApplicationStatus.REJECTED,
    ApplicationStatus.WITHDRAWN,
)


class Application(models.Model):
    """An application for AEO status, with its legal dates."""

    stakeholder = models.ForeignKey(
        Stakeholder, on_delete=models.PROTECT, related_name="applications"
    )
    type = models.CharField(max_length=4, choices=AeoType.choices)
    profile = models.ForeignKey(ProgrammeProfile, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=20, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT
    )
    # Incremented by every transition: a compare-and-set guard for concurrent writers.
    version = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_applications",
    )
    received_at = models.DateTimeField(null=True, blank=True)
    acceptance_due = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    decision_due = models.DateTimeField(null=True, blank=True)
    extensions = models.PositiveIntegerField(default=0)
    overdue = models.BooleanField(default=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["stakeholder"],
                condition=~Q(status__in=FINAL_APPLICATION_STATUSES),
                name="application_one_open_per_stakeholder",
            )
        ]
        indexes = [models.Index(fields=["status", "type"])]

    def __str__(self) -> str:
        return f"Application {self.pk} ({self.type}, {self.status})"


class ApplicationTransition(models.Model):
    """One row per status change of an application: who, when, why, under which law."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="transitions"
    )
    action = models.CharField(max_length=32)
    from_status = models.CharField(max_length=20, choices=ApplicationStatus.choices)
    to_status = models.CharField(max_length=20, choices=ApplicationStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    legal_basis = models.CharField(max_length=255, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.from_status} → {self.to_status}"


class AuthorisationStatus(models.TextChoices):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    REVOKED = "REVOKED"


class Authorisation(models.Model):
    """The AEO certificate: created exactly once, when an application is granted."""

    number = models.CharField(max_length=40, unique=True)
    holder = models.ForeignKey(Stakeholder, on_delete=models.PROTECT, related_name="authorisations")
    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="authorisation"
    )
    type = models.CharField(max_length=4, choices=AeoType.choices)
    profile = models.ForeignKey(ProgrammeProfile, on_delete=models.PROTECT, related_name="+")
    issuing_country = models.CharField(max_length=2)
    decided_at = models.DateTimeField()
    effective_from = models.DateTimeField()
    last_reassessment = models.DateField(null=True, blank=True)
    close_monitoring_until = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_at", "-id"]

    def __str__(self) -> str:
        return self.number


class AuthorisationStatusInterval(models.Model):
    """The status of one held type over ``[valid_from, valid_to)``.

    Intervals of one authorisation type never overlap; the open one has ``valid_to`` null.
    Any instant is answered by the interval that covers it; before the first one the holder
    had no status for that type.
    """

    authorisation = models.ForeignKey(
        Authorisation, on_delete=models.CASCADE, related_name="intervals"
    )
    type = models.CharField(max_length=4, choices=AeoType.choices)
    status = models.CharField(max_length=10, choices=AuthorisationStatus.choices)
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField(null=True, blank=True)
    ground = models.CharField(max_length=32, blank=True)
    reason = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["authorisation_id", "type", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["authorisation", "type"],
                condition=Q(valid_to__isnull=True),
                name="interval_one_open_per_type",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="interval_dates_ordered",
            ),
        ]
        indexes = [models.Index(fields=["authorisation", "type", "valid_from"])]

    def __str__(self) -> str:
        return f"{self.authorisation_id} {self.type} {self.status} from {self.valid_from}"


class AuditEvent(models.Model):
    """Append-only record of every state change and sensitive read, hash-chained.

    ``hash`` = SHA-256 over the previous event's hash and this event's canonical content, so
    altering or removing any row breaks the chain from there on (``verify_audit_chain``).
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    legal_basis = models.CharField(max_length=255, blank=True)
    at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.target_type}:{self.target_id}"


class OutboxMessage(models.Model):
    """Work that must not be lost, written in the same transaction as the change behind it.

    A relay task hands pending rows to Celery and the periodic sweep retries what was not
    handed over (Redis down at commit, worker lost). Handlers are idempotent.
    """

    topic = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    available_at = models.DateTimeField(db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["available_at"],
                condition=Q(processed_at__isnull=True),
                name="outbox_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk}"


# --- Trust lookups ---
# Read models for risk engines (accreditation/trust/). The source of truth stays in the
# registry and in the status intervals above; these rows record what came from outside (MRA
# partner lists), who asked what (lookup log), and what changed in which order (change feed).


class MraPartnerRecord(models.Model):
    """One operator on an MRA partner's AEO list (imported from the partner's file).

    Partner identifiers (CN_AEO, MID, CTPAT …) answer lookups with ``source: MRA:<partner>``;
    when a registered stakeholder carries the same identifier, its item lists the recognition.
    """

    partner = models.CharField(max_length=8, help_text="Partner code, e.g. CN, US, JP, UK.")
    id_type = models.CharField(max_length=16)
    partner_id = models.CharField(max_length=40, help_text="Normalised partner identifier.")
    name = models.CharField(max_length=255, blank=True)
    address = models.CharField(max_length=255, blank=True)
    country = models.CharField(max_length=2, blank=True)
    status = models.CharField(
        max_length=10, choices=AuthorisationStatus.choices, default=AuthorisationStatus.ACTIVE
    )
    types = models.JSONField(default=list, blank=True)
    since = models.DateField(null=True, blank=True)
    imported_at = models.DateTimeField()
    source_file = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["partner", "id_type", "partner_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_type", "partner_id"], name="mra_record_unique_identifier"
            )
        ]

    def __str__(self) -> str:
        return f"MRA:{self.partner} {self.id_type} {self.partner_id}"


class MraExportRun(models.Model):
    """One daily delta sent to a partner: the window it covers and the file's checksum."""

    partner = models.CharField(max_length=8, db_index=True)
    since = models.DateTimeField(null=True, blank=True)
    until = models.DateTimeField()
    rows = models.PositiveIntegerField(default=0)
    filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-until", "-id"]

    def __str__(self) -> str:
        return f"MRA export {self.partner} until {self.until:%Y-%m-%d %H:%M}"


class TrustLookupLog(models.Model):
    """Who asked what, when: one row per lookup request, found by its ``lookup_ref``."""

    lookup_ref = models.CharField(max_length=32, unique=True)
    at = models.DateTimeField(db_index=True)
    endpoint = models.CharField(max_length=12)  # SINGLE | BULK | CONSIGNMENT
    caller = models.CharField(max_length=200, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_key_prefix = models.CharField(max_length=16, blank=True, db_index=True)
    as_of = models.DateTimeField(null=True, blank=True)
    item_count = models.PositiveIntegerField(default=0)
    # "TYPE:VALUE TYPE:VALUE …" as asked (normalised where valid): searchable on any database.
    identifiers = models.TextField(blank=True)
    found = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.lookup_ref} {self.endpoint} by {self.caller}"


class TrustChange(models.Model):
    """The change feed: one row per change that affects lookups, written by the writer's
    transaction. ``position`` is assigned after commit by one serialised step, so it follows
    the order in which changes became visible (a sequence taken at insert would not)."""

    position = models.BigIntegerField(null=True, blank=True, unique=True)
    change = models.CharField(max_length=32)
    stakeholder_id = models.BigIntegerField(db_index=True)
    authorisation_id = models.BigIntegerField(null=True, blank=True)
    occurred_at = models.DateTimeField()
    sequenced_at = models.DateTimeField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(
                fields=["id"], condition=Q(position__isnull=True), name="trust_change_unsequenced"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.position} {self.change} {self.stakeholder_id}"


class WebhookSubscription(models.Model):
    """A staff-registered endpoint that receives every change-feed entry, signed."""

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=128, help_text="HMAC-SHA256 key shared with the receiver.")
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


class WebhookDelivery(models.Model):
    """One change sent to one subscription. ``delivery_id`` is stable across retries so the
    receiver can drop replays; the body is frozen at creation so every attempt is identical."""

    delivery_id = models.UUIDField(unique=True)
    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    change = models.ForeignKey(TrustChange, on_delete=models.CASCADE, related_name="deliveries")
    body = models.TextField()
    status = models.CharField(
        max_length=10,
        choices=WebhookDeliveryStatus.choices,
        default=WebhookDeliveryStatus.PENDING,
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "change"], name="webhook_delivery_once_per_change"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="PENDING"),
                name="webhook_delivery_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} → {self.subscription_id} ({self.status})"
