"""AEO accreditation: programme profiles, applications, authorisations, audit, outbox.

Status changes happen only in ``workflow.py`` (applications) and ``services.py``
(authorisations); models hold data and constraints, no behaviour that writes.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from stakeholders.models import Stakeholder

from .trust.delivery import validate_webhook_url


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
    extended_at = models.DateTimeField(null=True, blank=True)
    overdue = models.BooleanField(default=False, db_index=True)
    # Information request: where the application returns to, and since when the clock waits.
    info_return_status = models.CharField(max_length=20, blank=True)
    info_requested_at = models.DateTimeField(null=True, blank=True)
    info_message = models.TextField(blank=True)
    # Acceptance checks as run by the task: [{"code", "passed", "detail"}].
    checks = models.JSONField(default=list, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    examination_checked_at = models.DateTimeField(null=True, blank=True)
    # Four eyes: one officer proposes, another supervisor decides.
    proposed_outcome = models.CharField(max_length=6, blank=True)
    proposed_reasons = models.TextField(blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField(null=True, blank=True)
    decision_outcome = models.CharField(max_length=6, blank=True)
    decision_reasons = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
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
    # Set by the sweep once effective_from has passed and lookups were told (idempotence).
    effective_announced_at = models.DateTimeField(null=True, blank=True)
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
    claimed_by = models.CharField(
        max_length=64, blank=True, help_text="The Celery task holding the claim, if any."
    )

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


# --- Questionnaire -----------------------------------------------------------------------------


class CriterionFramework(models.TextChoices):
    UCC = "UCC", "EU Union Customs Code, Art. 39"
    WCO_SAFE = "WCO_SAFE", "WCO SAFE Framework, AEO criteria A–M"
    WCO_ECOM = "WCO_ECOM", "WCO Framework of Standards on Cross-Border E-Commerce"


class Criterion(models.Model):
    """A legal or framework criterion that questions and findings refer to."""

    code = models.CharField(max_length=32, unique=True)
    framework = models.CharField(max_length=16, choices=CriterionFramework.choices)
    title = models.CharField(max_length=255)
    legal_basis = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["framework", "code"]
        verbose_name_plural = "criteria"

    def __str__(self) -> str:
        return self.code


class QuestionnaireSection(models.Model):
    """A section of the self-assessment questionnaire.

    It applies to an application when one of the types the application would hold is in
    ``aeo_types`` and, if ``roles`` is not empty, the applicant holds one of those roles.
    """

    code = models.CharField(max_length=32, unique=True)
    title = models.CharField(max_length=255)
    order = models.PositiveIntegerField(default=0)
    aeo_types = models.JSONField(
        default=list, help_text='Held types it applies to, e.g. ["AEOC", "AEOS"].'
    )
    roles = models.ManyToManyField(
        "stakeholders.Role", blank=True, related_name="+", help_text="Empty: every applicant."
    )
    criteria = models.ManyToManyField(Criterion, blank=True, related_name="sections")

    class Meta:
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class QuestionKind(models.TextChoices):
    BOOLEAN = "BOOLEAN"
    TEXT = "TEXT"
    NUMBER = "NUMBER"
    DATE = "DATE"
    CHOICE = "CHOICE"
    MULTI_CHOICE = "MULTI_CHOICE"
    DOCUMENT = "DOCUMENT"


class Question(models.Model):
    section = models.ForeignKey(
        QuestionnaireSection, on_delete=models.CASCADE, related_name="questions"
    )
    code = models.CharField(max_length=32, unique=True)
    text = models.TextField()
    kind = models.CharField(max_length=16, choices=QuestionKind.choices)
    required = models.BooleanField(default=True)
    choices = models.JSONField(
        default=list, blank=True, help_text='For CHOICE kinds: [{"value": …, "label": …}].'
    )
    order = models.PositiveIntegerField(default=0)
    aeo_types = models.JSONField(
        default=list, blank=True, help_text="Narrows the section's types; empty: as the section."
    )
    roles = models.ManyToManyField(
        "stakeholders.Role", blank=True, related_name="+", help_text="Empty: as the section."
    )
    criteria = models.ManyToManyField(Criterion, blank=True, related_name="questions")

    class Meta:
        ordering = ["section__order", "order", "code"]

    def __str__(self) -> str:
        return self.code


class Answer(models.Model):
    application = models.ForeignKey("Application", on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    value = models.JSONField()
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField()

    class Meta:
        ordering = ["application_id", "question_id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "question"], name="answer_unique")
        ]

    def __str__(self) -> str:
        return f"{self.application_id}:{self.question_id}"


def _document_path(instance: "Document", filename: str) -> str:
    # The stored name never reuses the uploader's file name (path tricks, clashes).
    return f"applications/{instance.application_id}/{instance.sha256[:16]}-{instance.token}"


class Document(models.Model):
    """A file attached to an application; readable by the applicant's members and staff."""

    application = models.ForeignKey(
        "Application", on_delete=models.CASCADE, related_name="documents"
    )
    file = models.FileField(upload_to=_document_path, max_length=255)
    token = models.CharField(max_length=32)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


# --- Examination -------------------------------------------------------------------------------


class Severity(models.TextChoices):
    INFO = "INFO"
    MINOR = "MINOR"
    MAJOR = "MAJOR"
    CRITICAL = "CRITICAL"


class Finding(models.Model):
    """What the examination found against one criterion, by an officer or an automated check.

    Automated findings carry ``check_code``: one per check and application, so re-running the
    examination checks adds nothing.
    """

    application = models.ForeignKey(
        "Application", on_delete=models.CASCADE, related_name="findings"
    )
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="findings")
    severity = models.CharField(max_length=10, choices=Severity.choices)
    text = models.TextField()
    automated = models.BooleanField(default=False)
    check_code = models.CharField(max_length=64, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "check_code"],
                condition=Q(automated=True),
                name="finding_one_per_automated_check",
            )
        ]

    def __str__(self) -> str:
        return f"{self.criterion.code} {self.severity}"


class InfringementSeverity(models.TextChoices):
    MINOR = "MINOR"
    SERIOUS = "SERIOUS"


class Infringement(models.Model):
    """An infringement of customs or tax rules by a stakeholder, entered or imported by staff.

    The compliance record of UCC Art. 39(a) is read from these rows.
    """

    stakeholder = models.ForeignKey(
        Stakeholder, on_delete=models.PROTECT, related_name="infringements"
    )
    date = models.DateField()
    severity = models.CharField(max_length=10, choices=InfringementSeverity.choices)
    description = models.TextField()
    source = models.CharField(max_length=255, help_text="Where it is recorded (case, system).")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["stakeholder", "date"])]

    def __str__(self) -> str:
        return f"{self.stakeholder_id} {self.date} {self.severity}"


class HearingSubject(models.TextChoices):
    REJECTION = "REJECTION", "Proposed rejection of an application"
    SUSPENSION = "SUSPENSION", "Proposed suspension of an authorisation"
    REVOCATION = "REVOCATION", "Proposed revocation of an authorisation"


class HearingOutcome(models.TextChoices):
    APPLIED = "APPLIED", "The proposed measure was applied at the deadline"
    WITHDRAWN = "WITHDRAWN", "Customs withdrew the proposed measure"
    LAPSED = "LAPSED", "Nothing to apply: the status had changed meanwhile"


class Hearing(models.Model):
    """The right to be heard (UCC Art. 22(6)): grounds sent, comments awaited until a deadline.

    For an authorisation the proposed measure is kept in ``measure`` and applied when the
    hearing closes (the sweep, at the deadline), unless customs withdraw it before, for
    instance persuaded by the holder's comments; ``outcome`` says which.
    """

    subject = models.CharField(max_length=12, choices=HearingSubject.choices)
    application = models.ForeignKey(
        "Application", null=True, blank=True, on_delete=models.CASCADE, related_name="hearings"
    )
    authorisation = models.ForeignKey(
        "Authorisation", null=True, blank=True, on_delete=models.CASCADE, related_name="hearings"
    )
    grounds = models.TextField()
    measure = models.JSONField(default=dict, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField()
    deadline = models.DateTimeField(db_index=True)
    comments = models.TextField(blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    outcome = models.CharField(
        max_length=10,
        choices=HearingOutcome.choices,
        blank=True,
        help_text="For a proposed suspension or revocation, once the hearing is closed.",
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who withdrew the measure; empty when the deadline closed the hearing.",
    )
    closing_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["opened_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(application__isnull=False, authorisation__isnull=True)
                | Q(application__isnull=True, authorisation__isnull=False),
                name="hearing_one_target",
            ),
            models.UniqueConstraint(
                fields=["authorisation"],
                condition=Q(closed_at__isnull=True, authorisation__isnull=False),
                name="hearing_one_open_per_authorisation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} hearing #{self.pk}"


class SuspensionGround(models.TextChoices):
    INVESTIGATION = "INVESTIGATION", "Revocation possible, investigation pending (DA 16(1)(a))"
    CONDITIONS_NOT_MET = "CONDITIONS_NOT_MET", "Conditions not met, holder given time (16(1)(b))"
    HOLDER_REQUEST = "HOLDER_REQUEST", "At the holder's request (DA 16(1)(c))"


class Suspension(models.Model):
    """One suspension of some held types; the sweep revokes them when it expires unremedied."""

    authorisation = models.ForeignKey(
        "Authorisation", on_delete=models.CASCADE, related_name="suspensions"
    )
    types = models.JSONField()
    ground = models.CharField(max_length=20, choices=SuspensionGround.choices)
    reason = models.TextField()
    starts_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    extensions = models.PositiveIntegerField(default=0)
    ended_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=12, blank=True)  # REINSTATED | REVOKED
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["starts_at", "id"]

    def __str__(self) -> str:
        return f"Suspension {self.pk} of {self.authorisation_id} {self.types}"


class AuthorisationSequence(models.Model):
    """The last national reference issued per country; incremented under a row lock."""

    country = models.CharField(max_length=2, unique=True)
    last = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.country}: {self.last}"


class AuditChainHead(models.Model):
    """The end of the audit chain: locked by each append (serialises writers) and compared
    by ``verify_audit_chain`` (so removing the newest events shows too)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_event_id = models.BigIntegerField(null=True, blank=True)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    count = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"audit head #{self.last_event_id} ({self.count})"


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
    url = models.URLField(
        max_length=500,
        validators=[validate_webhook_url],
        help_text="http(s); a public host, or one listed in TRUST_WEBHOOK_ALLOWED_HOSTS.",
    )
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
