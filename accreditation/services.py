"""Writes of the accreditation app: applications, answers, documents, findings,
infringements, hearings and authorisations.

Every function is one transaction: it locks what it changes, writes an audit event in the
same transaction, records work that must not be lost in the outbox (acceptance and
examination checks, e-mails) and sends ``authorisation_changed`` inside the transaction.
Application status changes go through ``workflow.transition`` only.
"""

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from rest_framework.exceptions import PermissionDenied

from aeo_registry.api import ConflictError
from aeo_registry.permissions import is_officer, is_supervisor
from stakeholders.identifiers import IdentifierType, InvalidIdentifier, normalise
from stakeholders.models import Identifier, Membership, Stakeholder

from .audit import audit_record
from .models import (
    FINAL_APPLICATION_STATUSES,
    HELD_TYPES,
    Answer,
    Application,
    ApplicationStatus,
    Authorisation,
    AuthorisationSequence,
    AuthorisationStatus,
    AuthorisationStatusInterval,
    Criterion,
    Document,
    Finding,
    Hearing,
    HearingOutcome,
    HearingSubject,
    Infringement,
    InfringementSeverity,
    ProgrammeProfile,
    Severity,
    Suspension,
    SuspensionGround,
)
from .outbox import outbox_enqueue
from .questionnaire import applicable_questions, validate_answer_value
from .signals import authorisation_changed
from .workflow import lock_application, require_status, transition

logger = logging.getLogger(__name__)

S = ApplicationStatus
TOPIC_ACCEPTANCE = "accreditation.acceptance_check"
TOPIC_EXAMINATION = "accreditation.examination_checks"
TOPIC_NOTIFY = "accreditation.notify_members"


# --- helpers ---------------------------------------------------------------------------------


def profile_default() -> ProgrammeProfile:
    return ProgrammeProfile.objects.get(code=settings.AEO_DEFAULT_PROFILE)


def notify_members(stakeholder_id: int, subject: str, body: str) -> None:
    """E-mail the stakeholder's members after commit (outbox: not lost if Redis is down)."""
    outbox_enqueue(
        TOPIC_NOTIFY, {"stakeholder_id": stakeholder_id, "subject": subject, "body": body}
    )


def _notify_application(application: Application, what: str) -> None:
    notify_members(
        application.stakeholder_id,
        f"AEO application {application.pk}: {application.status}",
        f"Your application {application.pk} for {application.type} is now "
        f"{application.status}: {what}",
    )


def _audit(actor, action: str, target: Any, before=None, after=None, legal_basis: str = ""):
    return audit_record(
        actor=actor,
        action=action,
        target_type=type(target).__name__.lower(),
        target_id=target.pk,
        before=before,
        after=after,
        legal_basis=legal_basis,
    )


def _enqueue_acceptance_check(application_id: int) -> None:
    outbox_enqueue(TOPIC_ACCEPTANCE, {"application_id": application_id})


# --- applications ----------------------------------------------------------------------------


@transaction.atomic
def application_create(*, actor, stakeholder_id: int, type: str) -> Application:
    stakeholder = Stakeholder.objects.filter(pk=stakeholder_id, memberships__user=actor).first()
    if stakeholder is None:
        raise ValidationError({"stakeholder": "No stakeholder with this id that you act for."})
    if stakeholder.country.code not in settings.AEO_TERRITORY:
        raise ValidationError(
            {
                "stakeholder": (
                    f"The applicant is established in {stakeholder.country.code}, outside this "
                    "administration's territory; AEO status is applied for where the operator "
                    "is established (foreign operators are recognised through MRAs)."
                )
            }
        )
    # Lock the stakeholder so two concurrent creations cannot both pass the check below;
    # the partial unique constraint is the backstop.
    Stakeholder.objects.select_for_update().filter(pk=stakeholder.pk).first()
    open_app = (
        Application.objects.filter(stakeholder=stakeholder)
        .exclude(status__in=FINAL_APPLICATION_STATUSES)
        .first()
    )
    if open_app is not None:
        raise ConflictError(
            f"Stakeholder {stakeholder.pk} already has an open application ({open_app.pk}, "
            f"{open_app.status}); withdraw it or wait for its decision.",
            code="open_application_exists",
            application=open_app.pk,
        )
    application = Application.objects.create(
        stakeholder=stakeholder, type=type, profile=profile_default(), created_by=actor
    )
    _audit(
        actor,
        "application.create",
        application,
        after={"type": type, "stakeholder": stakeholder.pk},
    )
    return application


@transaction.atomic
def answers_save(*, application_id: int, actor, answers: list[dict[str, Any]]) -> Application:
    """Save some answers (partial saves allowed while the operator holds the pen).

    ``value`` null clears an answer. Raises ValidationError keyed by the item's index.
    """
    application = lock_application(application_id)
    require_status(application, "answers")
    questions = applicable_questions(application)
    errors: dict[str, list[str]] = {}
    cleaned: list[tuple[Any, Any]] = []
    for index, item in enumerate(answers):
        question = questions.get(item.get("question"))
        if question is None:
            errors[f"answers.{index}.question"] = ["No such question applies to this application."]
            continue
        if item.get("value") is None:
            cleaned.append((question, None))
            continue
        try:
            cleaned.append((question, validate_answer_value(question, item["value"], application)))
        except ValidationError as exc:
            errors[f"answers.{index}.value"] = exc.messages
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    for question, value in cleaned:
        if value is None:
            Answer.objects.filter(application=application, question=question).delete()
        else:
            Answer.objects.update_or_create(
                application=application,
                question=question,
                defaults={"value": value, "answered_by": actor, "answered_at": now},
            )
    _audit(
        actor, "application.answers", application, after={"questions": [q.code for q, _ in cleaned]}
    )
    return application


@dataclass(frozen=True)
class UploadRules:
    max_bytes: int
    types: dict[str, tuple[str, ...]]


def _upload_rules() -> UploadRules:
    return UploadRules(settings.AEO_DOCUMENT_MAX_BYTES, settings.AEO_DOCUMENT_TYPES)


# What the first bytes of each accepted type look like: the declared type is not trusted.
_MAGIC = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}


def document_read_record(*, document: Document, actor) -> None:
    """A questionnaire document is about to be read: an audit event (a sensitive read, like a
    state change), so who has seen a company's security plan or accounts is on the record."""
    audit_record(
        actor=actor,
        action="document.read",
        target_type="document",
        target_id=document.pk,
        after={
            "application": document.application_id,
            "name": document.original_name,
            "sha256": document.sha256,
        },
    )


@transaction.atomic
def document_upload(*, application_id: int, actor, file: UploadedFile) -> Document:
    application = lock_application(application_id)
    require_status(application, "documents")
    rules = _upload_rules()
    if file.size > rules.max_bytes:
        raise ValidationError({"file": f"The file is larger than {rules.max_bytes} bytes."})
    if file.size == 0:
        raise ValidationError({"file": "The file is empty."})
    name = (file.name or "document").rsplit("/", 1)[-1][:255]
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    content_type = next(
        (ct for ct, extensions in rules.types.items() if extension in extensions), None
    )
    if content_type is None:
        allowed = sorted(e for exts in rules.types.values() for e in exts)
        raise ValidationError({"file": f"File type not accepted; allowed: {', '.join(allowed)}."})
    head = file.read(16)
    file.seek(0)
    magic = _MAGIC.get(content_type)
    if magic and not head.startswith(magic):
        raise ValidationError({"file": f"The content is not a {content_type} file."})
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    document = Document(
        application=application,
        token=secrets.token_hex(8),
        original_name=name,
        content_type=content_type,
        size=file.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
        uploaded_at=timezone.now(),
    )
    document.file.save(name, file, save=False)
    # The file is written before the row commits; after a rollback it is an orphan without a
    # row, never readable through the API.
    document.save()
    _audit(
        actor,
        "document.upload",
        document,
        after={"application": application.pk, "name": name, "sha256": document.sha256},
    )
    return document


@transaction.atomic
def application_submit(*, application_id: int, actor) -> Application:
    now = timezone.now()

    def changes(app: Application) -> dict[str, Any]:
        return {
            "received_at": now,
            "acceptance_due": now + timedelta(days=app.profile.acceptance_days),
            "overdue": False,
        }

    result = transition(application_id, "submit", actor=actor, changes=changes)
    if result.changed:
        _enqueue_acceptance_check(application_id)
        _notify_application(result.application, "received; the acceptance check is running.")
    return result.application


@transaction.atomic
def application_withdraw(*, application_id: int, actor, reason: str = "") -> Application:
    result = transition(application_id, "withdraw", actor=actor, reason=reason)
    if result.changed:
        Hearing.objects.filter(application_id=application_id, closed_at__isnull=True).update(
            closed_at=timezone.now()
        )
        _notify_application(result.application, "withdrawn.")
    return result.application


@transaction.atomic
def application_request_info(*, application_id: int, actor, message: str) -> Application:
    now = timezone.now()
    result = transition(
        application_id,
        "request_info",
        actor=actor,
        reason=message,
        changes=lambda app: {
            "info_return_status": app.status,
            "info_requested_at": now,
            "info_message": message,
        },
    )
    _notify_application(result.application, f"information requested:\n{message}")
    return result.application


@transaction.atomic
def application_provide_info(*, application_id: int, actor, comments: str = "") -> Application:
    now = timezone.now()

    def changes(app: Application) -> dict[str, Any]:
        fields: dict[str, Any] = {"info_return_status": "", "info_requested_at": None}
        if app.info_return_status == S.EXAMINATION:
            if app.profile.info_request_pauses_decision_clock and app.info_requested_at:
                fields["decision_due"] = app.decision_due + (now - app.info_requested_at)
        else:
            # The acceptance period runs from the day the last missing item arrives.
            fields["acceptance_due"] = now + timedelta(days=app.profile.acceptance_days)
            fields["overdue"] = False
        return fields

    result = transition(
        application_id, "provide_info", actor=actor, reason=comments, changes=changes
    )
    if result.application.status == S.SUBMITTED:
        _enqueue_acceptance_check(application_id)
    return result.application


@transaction.atomic
def application_assign(*, application_id: int, actor, officer) -> Application:
    application = lock_application(application_id)
    require_status(application, "assign")
    if not is_officer(officer):
        raise ValidationError({"officer": "Applications are assigned to customs officers only."})
    before = application.assigned_officer_id
    Application.objects.filter(pk=application.pk).update(
        assigned_officer=officer, version=F("version") + 1, updated_at=timezone.now()
    )
    application.refresh_from_db()
    _audit(
        actor,
        "application.assign",
        application,
        before={"officer": before},
        after={"officer": officer.pk},
    )
    return application


@transaction.atomic
def finding_add(*, application_id: int, actor, criterion: str, severity: str, text: str) -> Finding:
    application = lock_application(application_id)
    require_status(application, "findings")
    criterion_row = Criterion.objects.filter(code=criterion).first()
    if criterion_row is None:
        raise ValidationError({"criterion": f"Unknown criterion {criterion!r}."})
    finding = Finding.objects.create(
        application=application,
        criterion=criterion_row,
        severity=severity,
        text=text,
        author=actor,
        created_at=timezone.now(),
    )
    _audit(
        actor,
        "application.finding",
        application,
        after={"finding": finding.pk, "criterion": criterion, "severity": severity},
    )
    return finding


@transaction.atomic
def application_extend(*, application_id: int, actor, reason: str = "") -> Application:
    application = lock_application(application_id)
    require_status(application, "extend")
    profile = application.profile
    if application.extensions >= profile.max_extensions:
        raise ConflictError(
            f"The decision period was already extended {application.extensions} time(s); "
            f"{profile.code} allows {profile.max_extensions}.",
            code="extension_limit",
        )
    if application.decision_due is None:
        raise ConflictError("The decision period has not started.", code="no_decision_clock")
    now = timezone.now()
    before = application.decision_due
    Application.objects.filter(pk=application.pk).update(
        decision_due=F("decision_due") + timedelta(days=profile.extension_days),
        extensions=F("extensions") + 1,
        extended_at=now,
        overdue=False,
        version=F("version") + 1,
        updated_at=now,
    )
    application.refresh_from_db()
    _audit(
        actor,
        "application.extend",
        application,
        before={"decision_due": before},
        after={"decision_due": application.decision_due, "reason": reason},
        legal_basis="DA 2015/2446 Art. 28",
    )
    _notify_application(
        application, f"decision period extended to {application.decision_due:%Y-%m-%d}."
    )
    return application


@transaction.atomic
def application_propose(*, application_id: int, actor, outcome: str, reasons: str) -> Application:
    now = timezone.now()
    fields = {
        "proposed_outcome": outcome,
        "proposed_reasons": reasons,
        "proposed_by": actor,
        "proposed_at": now,
    }
    if outcome == "GRANT":
        result = transition(
            application_id, "propose_grant", actor=actor, reason=reasons, changes=fields
        )
        return result.application
    result = transition(
        application_id, "propose_reject", actor=actor, reason=reasons, changes=fields
    )
    application = result.application
    hearing = Hearing.objects.create(
        subject=HearingSubject.REJECTION,
        application=application,
        grounds=reasons,
        opened_by=actor,
        opened_at=now,
        deadline=now + timedelta(days=application.profile.hearing_days),
    )
    _notify_application(
        application,
        f"the customs administration intends to reject the application on these grounds:\n"
        f"{reasons}\n\nYou may comment until {hearing.deadline:%Y-%m-%d %H:%M} UTC.",
    )
    return application


class FourEyesViolation(PermissionDenied):
    """HTTP 403 with the reason (the API's error shape keeps the message)."""

    default_code = "four_eyes"


@transaction.atomic
def application_decide(*, application_id: int, actor, outcome: str, reasons: str) -> Application:
    """A supervisor other than the proposing officer decides (four eyes)."""
    application = lock_application(application_id)
    if application.proposed_by_id is not None and application.proposed_by_id == actor.pk:
        raise FourEyesViolation(
            "Four eyes: you proposed this decision, so another supervisor must take it."
        )
    status = application.status
    if status == S.HEARING:
        action = "reject" if outcome == "REJECT" else "refer_back"
        if action == "reject":
            hearing = application.hearings.filter(subject=HearingSubject.REJECTION).last()
            if hearing is not None and hearing.closed_at is None:
                raise ConflictError(
                    f"The applicant may comment until {hearing.deadline:%Y-%m-%d %H:%M} UTC; "
                    "the rejection can be decided after its comments or that deadline.",
                    code="hearing_open",
                    hearing_deadline=hearing.deadline.isoformat(),
                )
    elif status == S.DECISION_PROPOSED:
        action = "grant" if outcome == "GRANT" else "refer_back"
    else:
        # Idempotent repeats and refusals are answered by the transition table.
        action = "grant" if outcome == "GRANT" else "reject"
    now = timezone.now()
    fields = {}
    if action in ("grant", "reject"):
        fields = {
            "decision_outcome": outcome,
            "decision_reasons": reasons,
            "decided_by": actor,
            "decided_at": now,
        }
    result = transition(application_id, action, actor=actor, reason=reasons, changes=fields)
    if not result.changed:
        return result.application
    application = result.application
    if action == "grant":
        authorisation = authorisation_create(application=application, actor=actor, decided_at=now)
        _notify_application(
            application,
            f"granted: authorisation {authorisation.number}, effective from "
            f"{authorisation.effective_from:%Y-%m-%d}.",
        )
    elif action == "reject":
        _notify_application(application, f"rejected:\n{reasons}")
    return application


@transaction.atomic
def hearing_respond(*, application_id: int, actor, comments: str) -> Hearing:
    application = lock_application(application_id)
    require_status(application, "hearing-response")
    hearing = (
        Hearing.objects.select_for_update()
        .filter(application=application, closed_at__isnull=True)
        .last()
    )
    if hearing is None:
        raise ConflictError("The hearing is closed.", code="hearing_closed")
    now = timezone.now()
    Hearing.objects.filter(pk=hearing.pk).update(
        comments=comments, responded_by=actor, responded_at=now, closed_at=now
    )
    hearing.refresh_from_db()
    _audit(
        actor,
        "application.hearing_response",
        application,
        after={"hearing": hearing.pk},
        legal_basis="UCC Art. 22(6)",
    )
    return hearing


# --- checks (run by tasks) -------------------------------------------------------------------


def _check(code: str, passed: bool, detail: str) -> dict[str, Any]:
    return {"code": code, "passed": passed, "detail": detail}


def _valid_eori(stakeholder: Stakeholder) -> tuple[bool, str]:
    eoris = list(stakeholder.identifiers.filter(type=IdentifierType.EORI))
    if not eoris:
        return False, "The applicant has no EORI number registered."
    for identifier in eoris:
        try:
            normalise(IdentifierType.EORI, identifier.value)
        except InvalidIdentifier as exc:
            return False, f"EORI {identifier.value} is not valid: {exc}"
    return True, f"EORI {eoris[0].value} is valid."


def _bars(application: Application, now: datetime) -> list[str]:
    profile = application.profile
    revoked = AuthorisationStatusInterval.objects.filter(
        authorisation__holder=application.stakeholder, status=AuthorisationStatus.REVOKED
    )
    problems = []
    recent = revoked.filter(
        valid_from__gte=now - relativedelta(years=profile.bar_revoked_years)
    ).exclude(ground=SuspensionGround.HOLDER_REQUEST)
    if recent.exists():
        problems.append(
            f"An AEO status of the applicant was revoked in the last {profile.bar_revoked_years} "
            "years."
        )
    same_type = revoked.filter(
        type__in=HELD_TYPES[application.type],
        valid_from__gte=now - relativedelta(months=profile.bar_same_type_revoked_months),
    )
    if same_type.exists():
        problems.append(
            f"The same AEO type was revoked in the last "
            f"{profile.bar_same_type_revoked_months} months."
        )
    return problems


@transaction.atomic
def application_acceptance_check(application_id: int) -> Application:
    """Accept, refuse or ask for what is missing. Does nothing unless SUBMITTED (idempotent)."""
    application = lock_application(application_id)
    if application.status != S.SUBMITTED:
        return application
    now = timezone.now()
    stakeholder = application.stakeholder
    checks, missing_info, refusals = [], [], []

    from .selectors import questionnaire_missing

    missing = questionnaire_missing(application)
    checks.append(
        _check(
            "completeness",
            not missing,
            "All required questions answered."
            if not missing
            else f"Unanswered: {', '.join(missing)}.",
        )
    )
    if missing:
        missing_info.append(f"Answer the required questions: {', '.join(missing)}.")
    eori_ok, eori_detail = _valid_eori(stakeholder)
    checks.append(_check("identifiers", eori_ok, eori_detail))
    if not eori_ok:
        missing_info.append(eori_detail)
    in_territory = stakeholder.country.code in settings.AEO_TERRITORY
    checks.append(_check("territory", in_territory, f"Established in {stakeholder.country.code}."))
    if not in_territory:
        refusals.append("The applicant is not established in this administration's territory.")
    bars = _bars(application, now)
    checks.append(_check("bars", not bars, " ".join(bars) or "No acceptance bar applies."))
    refusals += bars
    other_open = (
        Application.objects.filter(stakeholder=stakeholder)
        .exclude(pk=application.pk)
        .exclude(status__in=FINAL_APPLICATION_STATUSES)
        .exists()
    )
    checks.append(
        _check(
            "single_application",
            not other_open,
            "Another application is open." if other_open else "No other open application.",
        )
    )
    if other_open:
        refusals.append("Another application of the applicant is open.")

    recorded = {"checks": checks, "checked_at": now}
    if refusals:
        result = transition(
            application_id,
            "not_accept",
            reason=" ".join(refusals),
            changes=recorded,
            audit_after={"checks": checks},
        )
        _notify_application(result.application, "not accepted:\n" + "\n".join(refusals))
    elif missing_info:
        message = "\n".join(missing_info)
        result = transition(
            application_id,
            "request_info",
            reason=message,
            changes={
                **recorded,
                "info_return_status": S.SUBMITTED,
                "info_requested_at": now,
                "info_message": message,
            },
            audit_after={"checks": checks},
        )
        _notify_application(result.application, f"information requested:\n{message}")
    else:
        decision_due = now + timedelta(days=application.profile.decision_days)
        result = transition(
            application_id,
            "accept",
            reason="Acceptance checks passed.",
            changes={
                **recorded,
                "accepted_at": now,
                "decision_due": decision_due,
                "overdue": False,
            },
            audit_after={"checks": checks},
        )
        if result.changed:
            outbox_enqueue(TOPIC_EXAMINATION, {"application_id": application_id})
            _notify_application(
                result.application,
                f"accepted; the decision is due by {decision_due:%Y-%m-%d}.",
            )
    return result.application


def _auto_finding(
    application: Application,
    check_code: str,
    criterion: str,
    severity: str,
    text: str,
    now: datetime,
) -> bool:
    _, created = Finding.objects.get_or_create(
        application=application,
        check_code=check_code,
        automated=True,
        defaults={
            "criterion": Criterion.objects.get(code=criterion),
            "severity": severity,
            "text": text,
            "created_at": now,
        },
    )
    return created


@transaction.atomic
def application_examination_checks(application_id: int) -> int:
    """Write the automated findings once; returns how many were written by this call."""
    application = lock_application(application_id)
    if application.examination_checked_at is not None or application.accepted_at is None:
        return 0
    now = timezone.now()
    stakeholder = application.stakeholder
    written = 0

    since = (now - relativedelta(years=application.profile.compliance_lookback_years)).date()
    infringements = list(Infringement.objects.filter(stakeholder=stakeholder, date__gte=since))
    serious = [i for i in infringements if i.severity == InfringementSeverity.SERIOUS]
    if serious:
        severity, text = (
            Severity.MAJOR,
            (
                f"{len(serious)} serious infringement(s) since {since}: "
                + "; ".join(f"{i.date} {i.description}" for i in serious)
            ),
        )
    elif infringements:
        severity, text = (
            Severity.MINOR,
            f"{len(infringements)} minor infringement(s) since {since}.",
        )
    else:
        severity, text = Severity.INFO, f"No infringement recorded since {since}."
    written += _auto_finding(application, "compliance_record", "UCC_39A", severity, text, now)

    bad = []
    for identifier in stakeholder.identifiers.all():
        try:
            normalise(identifier.type, identifier.value)
        except InvalidIdentifier as exc:
            bad.append(f"{identifier.type} {identifier.value}: {exc}")
    written += _auto_finding(
        application,
        "identifiers",
        "UCC_39B",
        Severity.MAJOR if bad else Severity.INFO,
        "Invalid identifiers: " + "; ".join(bad) if bad else "All identifiers re-validated.",
        now,
    )

    today = now.date()
    unknown = []
    for rel in stakeholder.relationships_out.select_related("target").filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=today)
    ):
        target = rel.target
        known = target.memberships.exists() and target.identifiers.exists()
        if not known:
            unknown.append(f"{rel.kind} {target.legal_name} ({target.pk})")
    written += _auto_finding(
        application,
        "relationships",
        "WCO_K",
        Severity.MINOR if unknown else Severity.INFO,
        "Declared partners not registered by themselves or without identifiers: "
        + "; ".join(unknown)
        if unknown
        else "All declared partners are known to the registry.",
        now,
    )
    Application.objects.filter(pk=application.pk).update(examination_checked_at=now)
    audit_record(
        actor=None,
        action="application.examination_checks",
        target_type="application",
        target_id=application.pk,
        after={"findings_written": written},
        at=now,
    )
    return written


# --- infringements ---------------------------------------------------------------------------


@transaction.atomic
def infringement_create(
    *, actor, stakeholder_id: int, date: date, severity: str, description: str, source: str
) -> Infringement:
    stakeholder = Stakeholder.objects.filter(pk=stakeholder_id).first()
    if stakeholder is None:
        raise ValidationError({"stakeholder": "No such stakeholder."})
    if date > timezone.now().date():
        raise ValidationError({"date": "An infringement cannot be in the future."})
    infringement = Infringement.objects.create(
        stakeholder=stakeholder,
        date=date,
        severity=severity,
        description=description,
        source=source,
        recorded_by=actor,
    )
    _audit(
        actor,
        "infringement.create",
        infringement,
        after={"stakeholder": stakeholder.pk, "date": date, "severity": severity},
    )
    return infringement


# --- authorisations --------------------------------------------------------------------------


def _next_number(country: str, aeo_type: str) -> str:
    # The UPDATE takes the row lock until commit, so concurrent grants get distinct numbers.
    AuthorisationSequence.objects.get_or_create(country=country)
    AuthorisationSequence.objects.filter(country=country).update(last=F("last") + 1)
    last = AuthorisationSequence.objects.get(country=country).last
    return f"{country}AEO{aeo_type[-1]}{last:07d}"


def _changed(authorisation: Authorisation, change: str) -> None:
    authorisation_changed.send(
        sender=Authorisation,
        authorisation_id=authorisation.pk,
        holder_id=authorisation.holder_id,
        change=change,
    )


def authorisation_create(*, application: Application, actor, decided_at: datetime) -> Authorisation:
    """Called by the grant, inside its transaction; the OneToOne is the once-only backstop."""
    holder = application.stakeholder
    profile = application.profile
    effective_from = decided_at + timedelta(days=profile.grant_effective_days)
    close_until = None
    if (
        holder.established_on
        and holder.established_on
        > (
            decided_at
            - relativedelta(years=profile.close_monitoring_if_established_less_than_years)
        ).date()
    ):
        close_until = (effective_from + relativedelta(years=profile.close_monitoring_years)).date()
    country = holder.country.code
    authorisation = Authorisation.objects.create(
        number=_next_number(country, application.type),
        holder=holder,
        application=application,
        type=application.type,
        profile=profile,
        issuing_country=country,
        decided_at=decided_at,
        effective_from=effective_from,
        close_monitoring_until=close_until,
    )
    for held in HELD_TYPES[application.type]:
        AuthorisationStatusInterval.objects.create(
            authorisation=authorisation,
            type=held,
            status=AuthorisationStatus.ACTIVE,
            valid_from=effective_from,
            reason="Granted.",
            actor=actor,
        )
    _register_aeo_number(authorisation, actor)
    _audit(
        actor,
        "authorisation.grant",
        authorisation,
        after={
            "number": authorisation.number,
            "types": list(HELD_TYPES[application.type]),
            "effective_from": effective_from,
        },
        legal_basis="UCC Art. 38; DA Art. 29",
    )
    _changed(authorisation, "GRANTED")
    return authorisation


def _register_aeo_number(authorisation: Authorisation, actor) -> None:
    """The number becomes one of the holder's identifiers: risk engines look holders up by
    their AEO number (trust lookups answer from identifiers only)."""
    existing = Identifier.objects.filter(
        type=IdentifierType.AEO_NO, value=authorisation.number
    ).first()
    if existing is not None:
        if existing.stakeholder_id != authorisation.holder_id:
            logger.warning(
                "AEO_NO %s is already registered to stakeholder %s; not moved to holder %s",
                authorisation.number,
                existing.stakeholder_id,
                authorisation.holder_id,
            )
        return
    identifier = Identifier(
        stakeholder_id=authorisation.holder_id,
        type=IdentifierType.AEO_NO,
        value=authorisation.number,
        issuing_country=authorisation.issuing_country,
    )
    identifier._history_user = actor if getattr(actor, "is_authenticated", False) else None
    identifier.save()


def _lock_authorisation(authorisation_id: int) -> Authorisation:
    return (
        Authorisation.objects.select_for_update(of=("self",))
        .select_related("profile")
        .get(pk=authorisation_id)
    )


def _open_intervals(authorisation: Authorisation) -> dict[str, AuthorisationStatusInterval]:
    rows = AuthorisationStatusInterval.objects.select_for_update().filter(
        authorisation=authorisation, valid_to__isnull=True
    )
    return {row.type: row for row in rows}


def _switch(
    row: AuthorisationStatusInterval, status: str, at: datetime, *, actor, ground: str, reason: str
) -> AuthorisationStatusInterval:
    """Close ``row`` at ``at`` and open the next status from ``at``: [valid_from, valid_to)."""
    AuthorisationStatusInterval.objects.filter(pk=row.pk).update(valid_to=at)
    return AuthorisationStatusInterval.objects.create(
        authorisation_id=row.authorisation_id,
        type=row.type,
        status=status,
        valid_from=at,
        ground=ground,
        reason=reason,
        actor=actor,
    )


def _types_in(
    authorisation: Authorisation, types: list[str] | None, status: str, now: datetime
) -> tuple[list[str], dict[str, AuthorisationStatusInterval]]:
    held = list(HELD_TYPES[authorisation.type])
    chosen = list(dict.fromkeys(types or held))
    unknown = [t for t in chosen if t not in held]
    if unknown:
        raise ValidationError(
            {
                "types": f"Not held by this authorisation: {', '.join(unknown)}; "
                f"it holds {', '.join(held)}."
            }
        )
    rows = _open_intervals(authorisation)
    wrong = [t for t in chosen if rows[t].status != status]
    if wrong:
        raise ConflictError(
            f"Not {status}: " + ", ".join(f"{t} is {rows[t].status}" for t in wrong) + ".",
            code="wrong_authorisation_status",
            statuses={t: r.status for t, r in rows.items()},
        )
    not_yet = [t for t in chosen if rows[t].valid_from > now]
    if not_yet:
        raise ConflictError(
            f"The authorisation takes effect on {authorisation.effective_from:%Y-%m-%d}; "
            "it cannot be changed before.",
            code="not_yet_effective",
        )
    return chosen, rows


def _immediate_allowed(actor, ground: str, immediate: bool) -> bool:
    """The holder is heard first unless it asked itself or a supervisor documents urgency."""
    if ground == SuspensionGround.HOLDER_REQUEST:
        return True
    if immediate and not is_supervisor(actor):
        raise PermissionDenied(
            "Only a supervisor may act without hearing the holder first (immediate)."
        )
    return immediate


def _heard(authorisation: Authorisation, kind: str, now: datetime, actor) -> bool:
    """The holder has commented on this kind of measure: staff may now apply it (repeating
    the request) without waiting for the deadline. Closes that hearing."""
    hearing = (
        Hearing.objects.select_for_update()
        .filter(authorisation=authorisation, closed_at__isnull=True, responded_at__isnull=False)
        .first()
    )
    if hearing is None or hearing.measure.get("kind") != kind:
        return False
    Hearing.objects.filter(pk=hearing.pk).update(
        closed_at=now, outcome=HearingOutcome.APPLIED, closed_by=actor
    )
    return True


def _open_hearing(
    authorisation: Authorisation,
    subject: str,
    actor,
    grounds: str,
    measure: dict[str, Any],
    now: datetime,
) -> Hearing:
    open_hearing = Hearing.objects.filter(
        authorisation=authorisation, closed_at__isnull=True
    ).first()
    if open_hearing is not None:
        raise ConflictError(
            f"The holder may comment until {open_hearing.deadline:%Y-%m-%d %H:%M} UTC; the "
            "measure applies then, or when repeated after the holder's comments.",
            code="hearing_open",
            hearing_deadline=open_hearing.deadline.isoformat(),
        )
    hearing = Hearing.objects.create(
        subject=subject,
        authorisation=authorisation,
        grounds=grounds,
        measure=measure,
        opened_by=actor,
        opened_at=now,
        deadline=now + timedelta(days=authorisation.profile.hearing_days),
    )
    _audit(
        actor,
        f"authorisation.hearing_{subject.lower()}",
        authorisation,
        after={"hearing": hearing.pk, "measure": measure, "deadline": hearing.deadline},
        legal_basis="UCC Art. 22(6)",
    )
    notify_members(
        authorisation.holder_id,
        f"AEO authorisation {authorisation.number}: proposed {subject.lower()}",
        f"The customs administration intends a {subject.lower()} of {measure.get('types')} on "
        f"these grounds:\n{grounds}\n\nYou may comment until {hearing.deadline:%Y-%m-%d %H:%M} "
        "UTC.",
    )
    return hearing


@dataclass
class MeasureResult:
    authorisation: Authorisation
    applied: bool
    hearing: Hearing | None = None


def _apply_suspension(
    authorisation: Authorisation, types: list[str], ground: str, reason: str, actor, at: datetime
) -> Suspension:
    rows = _open_intervals(authorisation)
    for aeo_type in types:
        _switch(
            rows[aeo_type],
            AuthorisationStatus.SUSPENDED,
            at,
            actor=actor,
            ground=ground,
            reason=reason,
        )
    suspension = Suspension.objects.create(
        authorisation=authorisation,
        types=types,
        ground=ground,
        reason=reason,
        starts_at=at,
        expires_at=at + timedelta(days=authorisation.profile.suspension_days),
        created_by=actor,
    )
    _audit(
        actor,
        "authorisation.suspend",
        authorisation,
        before={t: AuthorisationStatus.ACTIVE for t in types},
        after={
            "types": types,
            "ground": ground,
            "reason": reason,
            "at": at,
            "expires_at": suspension.expires_at,
        },
        legal_basis="DA 2015/2446 Art. 16",
    )
    notify_members(
        authorisation.holder_id,
        f"AEO authorisation {authorisation.number} suspended",
        f"{', '.join(types)} suspended from {at:%Y-%m-%d %H:%M} UTC until "
        f"{suspension.expires_at:%Y-%m-%d}.\n\n{reason}",
    )
    _changed(authorisation, "SUSPENDED")
    return suspension


def _apply_revocation(
    authorisation: Authorisation, types: list[str], ground: str, reason: str, actor, at: datetime
) -> None:
    rows = _open_intervals(authorisation)
    before = {t: rows[t].status for t in types}
    for aeo_type in types:
        _switch(
            rows[aeo_type],
            AuthorisationStatus.REVOKED,
            at,
            actor=actor,
            ground=ground,
            reason=reason,
        )
    for suspension in Suspension.objects.select_for_update().filter(
        authorisation=authorisation, ended_at__isnull=True
    ):
        if set(suspension.types) <= set(types):
            Suspension.objects.filter(pk=suspension.pk).update(ended_at=at, outcome="REVOKED")
    _audit(
        actor,
        "authorisation.revoke",
        authorisation,
        before=before,
        after={"types": types, "reason": reason, "at": at},
        legal_basis="UCC Art. 28; DA Art. 17",
    )
    notify_members(
        authorisation.holder_id,
        f"AEO authorisation {authorisation.number} revoked",
        f"{', '.join(types)} revoked from {at:%Y-%m-%d %H:%M} UTC.\n\n{reason}",
    )
    _changed(authorisation, "REVOKED")


_MEASURES = {
    "SUSPEND": (HearingSubject.SUSPENSION, _apply_suspension),
    "REVOKE": (HearingSubject.REVOCATION, _apply_revocation),
}


def _measure_now_or_after_hearing(
    authorisation: Authorisation,
    kind: str,
    chosen: list[str],
    ground: str,
    reason: str,
    actor,
    immediate: bool,
    now: datetime,
) -> MeasureResult:
    """Apply the measure now if the holder asked, a supervisor acts immediately, or the holder
    has been heard on it; otherwise open the hearing (UCC Art. 22(6)) and apply it later."""
    subject, apply = _MEASURES[kind]
    if _immediate_allowed(actor, ground, immediate) or _heard(authorisation, kind, now, actor):
        apply(authorisation, chosen, ground, reason, actor, now)
        return MeasureResult(authorisation, True)
    hearing = _open_hearing(
        authorisation,
        subject,
        actor,
        reason,
        {"kind": kind, "types": chosen, "ground": ground, "reason": reason},
        now,
    )
    return MeasureResult(authorisation, False, hearing)


@transaction.atomic
def authorisation_suspend(
    *,
    authorisation_id: int,
    actor,
    types: list[str] | None,
    ground: str,
    reason: str,
    immediate: bool = False,
) -> MeasureResult:
    authorisation = _lock_authorisation(authorisation_id)
    now = timezone.now()
    chosen, _ = _types_in(authorisation, types, AuthorisationStatus.ACTIVE, now)
    return _measure_now_or_after_hearing(
        authorisation, "SUSPEND", chosen, ground, reason, actor, immediate, now
    )


@transaction.atomic
def authorisation_revoke(
    *,
    authorisation_id: int,
    actor,
    reason: str,
    immediate: bool = False,
    types: list[str] | None = None,
    ground: str = "",
) -> MeasureResult:
    authorisation = _lock_authorisation(authorisation_id)
    now = timezone.now()
    held = HELD_TYPES[authorisation.type]
    rows = _open_intervals(authorisation)
    live = [t for t in held if rows[t].status != AuthorisationStatus.REVOKED]
    if not live:
        raise ConflictError("The authorisation is already revoked.", code="already_revoked")
    chosen = list(dict.fromkeys(types or live))
    bad = [t for t in chosen if t not in live]
    if bad:
        raise ValidationError({"types": f"Not held or already revoked: {', '.join(bad)}."})
    if any(rows[t].valid_from > now for t in chosen):
        raise ConflictError("The authorisation is not yet effective.", code="not_yet_effective")
    return _measure_now_or_after_hearing(
        authorisation, "REVOKE", chosen, ground, reason, actor, immediate, now
    )


@transaction.atomic
def authorisation_reinstate(
    *, authorisation_id: int, actor, reason: str, types: list[str] | None = None
) -> Authorisation:
    authorisation = _lock_authorisation(authorisation_id)
    now = timezone.now()
    rows = _open_intervals(authorisation)
    suspended = [
        t for t in HELD_TYPES[authorisation.type] if rows[t].status == AuthorisationStatus.SUSPENDED
    ]
    if not suspended:
        raise ConflictError(
            "Nothing is suspended.",
            code="wrong_authorisation_status",
            statuses={t: r.status for t, r in rows.items()},
        )
    chosen, rows = _types_in(authorisation, types or suspended, AuthorisationStatus.SUSPENDED, now)
    for aeo_type in chosen:
        _switch(
            rows[aeo_type], AuthorisationStatus.ACTIVE, now, actor=actor, ground="", reason=reason
        )
    still = set(suspended) - set(chosen)
    for suspension in Suspension.objects.select_for_update().filter(
        authorisation=authorisation, ended_at__isnull=True
    ):
        if not still.intersection(suspension.types):
            Suspension.objects.filter(pk=suspension.pk).update(ended_at=now, outcome="REINSTATED")
    _audit(
        actor,
        "authorisation.reinstate",
        authorisation,
        before={t: AuthorisationStatus.SUSPENDED for t in chosen},
        after={"types": chosen, "reason": reason},
        legal_basis="DA 2015/2446 Art. 16",
    )
    notify_members(
        authorisation.holder_id,
        f"AEO authorisation {authorisation.number} reinstated",
        f"{', '.join(chosen)} active again from {now:%Y-%m-%d %H:%M} UTC.",
    )
    _changed(authorisation, "REINSTATED")
    return authorisation


@transaction.atomic
def authorisation_extend_suspension(*, authorisation_id: int, actor, reason: str) -> Suspension:
    authorisation = _lock_authorisation(authorisation_id)
    suspension = (
        Suspension.objects.select_for_update()
        .filter(authorisation=authorisation, ended_at__isnull=True)
        .order_by("starts_at")
        .last()
    )
    if suspension is None:
        raise ConflictError("No suspension is running.", code="no_suspension")
    if suspension.extensions >= 1:
        raise ConflictError("The suspension was already extended once.", code="extension_limit")
    before = suspension.expires_at
    Suspension.objects.filter(pk=suspension.pk).update(
        expires_at=F("expires_at")
        + timedelta(days=authorisation.profile.suspension_extension_days),
        extensions=F("extensions") + 1,
    )
    suspension.refresh_from_db()
    _audit(
        actor,
        "authorisation.extend_suspension",
        authorisation,
        before={"expires_at": before},
        after={"expires_at": suspension.expires_at, "reason": reason},
    )
    notify_members(
        authorisation.holder_id,
        f"AEO authorisation {authorisation.number}: suspension extended",
        f"The suspension now ends on {suspension.expires_at:%Y-%m-%d}.\n\n{reason}",
    )
    _changed(authorisation, "SUSPENSION_EXTENDED")
    return suspension


@transaction.atomic
def authorisation_hearing_respond(*, authorisation_id: int, actor, comments: str) -> Hearing:
    authorisation = _lock_authorisation(authorisation_id)
    hearing = (
        Hearing.objects.select_for_update()
        .filter(authorisation=authorisation, closed_at__isnull=True, responded_at__isnull=True)
        .first()
    )
    if hearing is None:
        raise ConflictError("No hearing is open on this authorisation.", code="hearing_closed")
    Hearing.objects.filter(pk=hearing.pk).update(
        comments=comments, responded_by=actor, responded_at=timezone.now()
    )
    hearing.refresh_from_db()
    _audit(
        actor,
        "authorisation.hearing_response",
        authorisation,
        after={"hearing": hearing.pk},
        legal_basis="UCC Art. 22(6)",
    )
    return hearing


@transaction.atomic
def authorisation_withdraw_measure(*, authorisation_id: int, actor, reason: str) -> Hearing:
    """Customs drop a proposed suspension or revocation before its hearing closes, for
    instance persuaded by the holder's comments: the hearing closes and nothing is applied."""
    authorisation = _lock_authorisation(authorisation_id)
    hearing = (
        Hearing.objects.select_for_update()
        .filter(authorisation=authorisation, closed_at__isnull=True)
        .first()
    )
    if hearing is None:
        raise ConflictError(
            "No proposed suspension or revocation is pending on this authorisation.",
            code="no_pending_measure",
        )
    now = timezone.now()
    Hearing.objects.filter(pk=hearing.pk).update(
        closed_at=now, outcome=HearingOutcome.WITHDRAWN, closed_by=actor, closing_reason=reason
    )
    hearing.refresh_from_db()
    _audit(
        actor,
        "authorisation.measure_withdrawn",
        authorisation,
        before={"hearing": hearing.pk, "measure": hearing.measure},
        after={"reason": reason, "holder_commented": hearing.responded_at is not None},
        legal_basis="UCC Art. 22(6)",
    )
    kind = "suspension" if hearing.measure.get("kind") == "SUSPEND" else "revocation"
    notify_members(
        authorisation.holder_id,
        f"AEO authorisation {authorisation.number}: proposed {kind} withdrawn",
        f"Customs have withdrawn the proposed {kind}; your authorisation is unchanged.\n\n{reason}",
    )
    return hearing


# --- the clock sweep -------------------------------------------------------------------------


@transaction.atomic
def _flag_overdue(application_id: int, clock: str, now: datetime) -> bool:
    field = "acceptance_due" if clock == "acceptance" else "decision_due"
    statuses = (
        [S.SUBMITTED] if clock == "acceptance" else [S.EXAMINATION, S.DECISION_PROPOSED, S.HEARING]
    )
    flagged = Application.objects.filter(
        pk=application_id, overdue=False, status__in=statuses, **{f"{field}__lt": now}
    ).update(overdue=True)
    if flagged:
        audit_record(
            actor=None,
            action=f"application.{clock}_overdue",
            target_type="application",
            target_id=application_id,
            after={"overdue": True},
            at=now,
        )
    return bool(flagged)


@transaction.atomic
def _close_application_hearing(hearing_id: int, now: datetime) -> bool:
    hearing = (
        Hearing.objects.select_for_update()
        .filter(pk=hearing_id, closed_at__isnull=True, deadline__lte=now)
        .first()
    )
    if hearing is None:
        return False
    Hearing.objects.filter(pk=hearing.pk).update(closed_at=hearing.deadline)
    audit_record(
        actor=None,
        action="application.hearing_closed",
        target_type="application",
        target_id=hearing.application_id,
        after={"hearing": hearing.pk, "responded": hearing.responded_at is not None},
        legal_basis="UCC Art. 22(6)",
        at=now,
    )
    return True


@transaction.atomic
def _close_authorisation_hearing(hearing_id: int, now: datetime) -> bool:
    hearing = (
        Hearing.objects.select_for_update()
        .filter(pk=hearing_id, closed_at__isnull=True, deadline__lte=now)
        .first()
    )
    if hearing is None:
        return False
    authorisation = _lock_authorisation(hearing.authorisation_id)
    measure = hearing.measure
    rows = _open_intervals(authorisation)
    at = hearing.deadline
    # Apply the measure, at the deadline, to the types still in the status it assumed.
    wanted = AuthorisationStatus.ACTIVE if measure["kind"] == "SUSPEND" else None
    types = [
        t
        for t in measure["types"]
        if rows[t].valid_from < at
        and (rows[t].status == wanted if wanted else rows[t].status != AuthorisationStatus.REVOKED)
    ]
    Hearing.objects.filter(pk=hearing.pk).update(
        closed_at=hearing.deadline,
        outcome=HearingOutcome.APPLIED if types else HearingOutcome.LAPSED,
    )
    if types:
        _, apply = _MEASURES[measure["kind"]]
        apply(
            authorisation,
            types,
            measure.get("ground", ""),
            measure["reason"],
            hearing.opened_by,
            at,
        )
    return True


@transaction.atomic
def _expire_suspension(suspension_id: int, now: datetime) -> bool:
    suspension = (
        Suspension.objects.select_for_update()
        .filter(pk=suspension_id, ended_at__isnull=True, expires_at__lte=now)
        .first()
    )
    if suspension is None:
        return False
    authorisation = _lock_authorisation(suspension.authorisation_id)
    rows = _open_intervals(authorisation)
    types = [t for t in suspension.types if rows[t].status == AuthorisationStatus.SUSPENDED]
    if types:
        _apply_revocation(
            authorisation,
            types,
            suspension.ground,
            "Suspension expired without the conditions being met.",
            None,
            suspension.expires_at,
        )
    Suspension.objects.filter(pk=suspension.pk, ended_at__isnull=True).update(
        ended_at=suspension.expires_at, outcome="REVOKED"
    )
    return True


@transaction.atomic
def _announce_effective(authorisation_id: int, now: datetime) -> bool:
    announced = Authorisation.objects.filter(
        pk=authorisation_id, effective_announced_at__isnull=True, effective_from__lte=now
    ).update(effective_announced_at=now)
    if announced:
        authorisation = Authorisation.objects.get(pk=authorisation_id)
        audit_record(
            actor=None,
            action="authorisation.effective",
            target_type="authorisation",
            target_id=authorisation_id,
            after={"effective_from": authorisation.effective_from},
            legal_basis="DA 2015/2446 Art. 29",
            at=now,
        )
        _changed(authorisation, "EFFECTIVE")
    return bool(announced)


def clock_sweep(now: datetime | None = None) -> dict[str, int]:
    """Enforce the legal clocks; each item in its own transaction and safe to repeat."""
    now = now or timezone.now()
    counts = dict.fromkeys(
        (
            "acceptance_overdue",
            "decision_overdue",
            "hearings_closed",
            "authorisation_hearings_closed",
            "suspensions_expired",
            "grants_effective",
        ),
        0,
    )
    for pk in Application.objects.filter(
        status=S.SUBMITTED, overdue=False, acceptance_due__lt=now
    ).values_list("pk", flat=True):
        counts["acceptance_overdue"] += _flag_overdue(pk, "acceptance", now)
    for pk in Application.objects.filter(
        status__in=[S.EXAMINATION, S.DECISION_PROPOSED, S.HEARING],
        overdue=False,
        decision_due__lt=now,
    ).values_list("pk", flat=True):
        counts["decision_overdue"] += _flag_overdue(pk, "decision", now)
    due_hearings = Hearing.objects.filter(closed_at__isnull=True, deadline__lte=now)
    for pk in due_hearings.filter(application__isnull=False).values_list("pk", flat=True):
        counts["hearings_closed"] += _close_application_hearing(pk, now)
    for pk in due_hearings.filter(authorisation__isnull=False).values_list("pk", flat=True):
        counts["authorisation_hearings_closed"] += _close_authorisation_hearing(pk, now)
    for pk in Suspension.objects.filter(ended_at__isnull=True, expires_at__lte=now).values_list(
        "pk", flat=True
    ):
        counts["suspensions_expired"] += _expire_suspension(pk, now)
    for pk in Authorisation.objects.filter(
        effective_announced_at__isnull=True, effective_from__lte=now
    ).values_list("pk", flat=True):
        counts["grants_effective"] += _announce_effective(pk, now)
    return counts


def members_emails(stakeholder_id: int) -> list[str]:
    return sorted(
        {
            email
            for email in Membership.objects.filter(stakeholder_id=stakeholder_id).values_list(
                "user__email", flat=True
            )
            if email
        }
    )
