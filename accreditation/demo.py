"""Demo applications and authorisations on top of the demo registry (``seed_demo``).

DEMO DATA ONLY. Everything goes through the real services — questionnaire answers, submit,
acceptance check, assignment, proposal, four-eyes decision, suspension, revocation — so the
transitions, audit chain, notifications and trust snapshots are the real thing. The one
shortcut: granted authorisations are moved back in time after the grant (``_backdate``) so
that the demo shows holders that have been AEO for a while instead of grants that only take
effect in five days.

Idempotent: a stakeholder that already has an application is left alone.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test.utils import override_settings

from aeo_registry.permissions import OPERATOR
from stakeholders.demo import DemoWorld
from stakeholders.models import Membership, MembershipRole

from . import services
from .models import (
    Application,
    ApplicationStatus,
    ApplicationTransition,
    Authorisation,
    AuthorisationStatusInterval,
    QuestionKind,
)
from .questionnaire import applicable_questions
from .signals import authorisation_changed

User = get_user_model()

# A customs consultant who files for the demo companies that have no demo login of their own.
CONSULTANT = "demo-consultant"
_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass(frozen=True)
class Scenario:
    key: str  # the stakeholder's key in the demo world
    type: str
    outcome: str  # DRAFT | INFO_REQUESTED | EXAMINATION | DECISION_PROPOSED | HEARING | GRANTED
    granted_days_ago: int = 0
    measure: str = ""  # SUSPEND_AEOS | REVOKE


SCENARIOS = (
    Scenario("exp-de", "AEOF", "GRANTED", granted_days_ago=420),
    Scenario("plat-de", "AEOS", "GRANTED", granted_days_ago=200),
    Scenario("fc-de", "AEOF", "GRANTED", granted_days_ago=300, measure="SUSPEND_AEOS"),
    Scenario("brk-nl", "AEOC", "GRANTED", granted_days_ago=700, measure="REVOKE"),
    Scenario("post-nl", "AEOF", "GRANTED"),  # decided today: effective in five days
    Scenario("plat-nl", "AEOF", "GRANTED", granted_days_ago=90),
    Scenario("exp-nl", "AEOF", "DECISION_PROPOSED"),
    Scenario("ven-de1", "AEOC", "EXAMINATION"),
    Scenario("wh-de", "AEOC", "HEARING"),
    Scenario("ven-fr1", "AEOC", "INFO_REQUESTED"),
    Scenario("ven-de2", "AEOS", "DRAFT"),
)


def _applicant(world: DemoWorld, key: str):
    stakeholder = world.stakeholders[key]
    membership = stakeholder.memberships.select_related("user").first()
    if membership is not None:
        return membership.user
    consultant, created = User.objects.get_or_create(
        username=CONSULTANT, defaults={"email": "consultant@demo.example"}
    )
    if created:
        consultant.set_unusable_password()
        consultant.save()
        consultant.groups.add(Group.objects.get(name=OPERATOR))
    Membership.objects.get_or_create(
        user=consultant, stakeholder=stakeholder, defaults={"role": MembershipRole.MEMBER}
    )
    return consultant


def _value(question, application: Application, actor):
    kind = question.kind
    if kind == QuestionKind.DOCUMENT:
        upload = SimpleUploadedFile("security-policy.pdf", _PDF, content_type="application/pdf")
        return services.document_upload(application_id=application.pk, actor=actor, file=upload).pk
    return {
        QuestionKind.BOOLEAN: False,
        QuestionKind.TEXT: "Described in our customs compliance manual, section 4.",
        QuestionKind.NUMBER: 12,
        QuestionKind.DATE: "2024-06-30",
        QuestionKind.CHOICE: question.choices[0]["value"] if question.choices else None,
        QuestionKind.MULTI_CHOICE: [question.choices[0]["value"]] if question.choices else None,
    }[kind]


def _answer_everything(application: Application, actor) -> None:
    answers = [
        {"question": q.code, "value": _value(q, application, actor)}
        for q in applicable_questions(application).values()
    ]
    services.answers_save(application_id=application.pk, actor=actor, answers=answers)


@transaction.atomic
def _backdate(authorisation: Authorisation, days: int) -> None:
    """Move a fresh grant ``days`` into the past (demo only; see the module docstring)."""
    shift = timedelta(days=days)
    Authorisation.objects.filter(pk=authorisation.pk).update(
        decided_at=authorisation.decided_at - shift,
        effective_from=authorisation.effective_from - shift,
    )
    for interval in AuthorisationStatusInterval.objects.filter(authorisation=authorisation):
        interval.valid_from -= shift
        if interval.valid_to:
            interval.valid_to -= shift
        interval.save(update_fields=["valid_from", "valid_to"])
    application = authorisation.application
    Application.objects.filter(pk=application.pk).update(
        received_at=application.received_at - shift,
        accepted_at=application.accepted_at - shift,
        decision_due=application.decision_due - shift if application.decision_due else None,
    )
    ApplicationTransition.objects.filter(application=application).update(
        at=application.received_at - shift
    )
    authorisation_changed.send(
        sender=Authorisation,
        authorisation_id=authorisation.pk,
        holder_id=authorisation.holder_id,
        change="EFFECTIVE",
    )


def _play(scenario: Scenario, world: DemoWorld) -> Application:
    applicant = _applicant(world, scenario.key)
    officer = world.users["demo-officer"]
    supervisor = world.users["demo-supervisor"]
    stakeholder = world.stakeholders[scenario.key]
    application = services.application_create(
        actor=applicant, stakeholder_id=stakeholder.pk, type=scenario.type
    )
    if scenario.outcome == "DRAFT":
        return application
    if scenario.outcome != "INFO_REQUESTED":
        _answer_everything(application, applicant)
    services.application_submit(application_id=application.pk, actor=applicant)
    # Runs inline whether or not a worker is up; a second run by the worker does nothing.
    application = services.application_acceptance_check(application.pk)
    if application.status != ApplicationStatus.EXAMINATION:
        return application
    services.application_examination_checks(application.pk)
    services.application_assign(application_id=application.pk, actor=officer, officer=officer)
    if scenario.outcome == "EXAMINATION":
        return application
    if scenario.outcome == "HEARING":
        return services.application_propose(
            application_id=application.pk,
            actor=officer,
            outcome="REJECT",
            reasons="Art. 39(b): no audit trail for customs entries in the stock records.",
        )
    services.application_propose(
        application_id=application.pk,
        actor=officer,
        outcome="GRANT",
        reasons="All criteria of UCC Art. 39 met; no adverse findings.",
    )
    if scenario.outcome == "DECISION_PROPOSED":
        return application
    application = services.application_decide(
        application_id=application.pk,
        actor=supervisor,
        outcome="GRANT",
        reasons="Agreed with the examining officer's proposal.",
    )
    authorisation = Authorisation.objects.get(application=application)
    if scenario.granted_days_ago:
        _backdate(authorisation, scenario.granted_days_ago)
    if scenario.measure == "SUSPEND_AEOS":
        services.authorisation_suspend(
            authorisation_id=authorisation.pk,
            actor=supervisor,
            types=["AEOS"],
            ground="CONDITIONS_NOT_MET",
            reason="Art. 39(e): perimeter security of the Leipzig site failed the re-assessment.",
            immediate=True,
        )
    elif scenario.measure == "REVOKE":
        services.authorisation_revoke(
            authorisation_id=authorisation.pk,
            actor=supervisor,
            reason="Art. 39(a): serious infringements of customs legislation.",
            immediate=True,
            ground="CONDITIONS_NOT_MET",
        )
    return application


# The demo companies' addresses are fictional: their notifications go nowhere.
_NO_MAIL = {"default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}}


def seed_accreditation(world: DemoWorld) -> list[Application]:
    """Play the scenarios whose stakeholder has no application yet."""
    played = []
    with override_settings(MAILERS=_NO_MAIL):
        for scenario in SCENARIOS:
            stakeholder = world.stakeholders.get(scenario.key)
            if stakeholder is None or stakeholder.applications.exists():
                continue
            played.append(_play(scenario, world))
    return played
