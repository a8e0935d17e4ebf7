"""Reads of the accreditation app. Operators see only what their stakeholders own; customs
staff see everything. Views turn "not visible" into 404, never 403."""

from datetime import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from aeo_registry.permissions import is_officer

from .models import (
    Answer,
    Application,
    AuditEvent,
    Authorisation,
    AuthorisationStatusInterval,
    Document,
    Infringement,
)
from .questionnaire import applicable_sections


def applications_for_user(user) -> QuerySet[Application]:
    qs = Application.objects.select_related(
        "stakeholder", "profile", "assigned_officer", "proposed_by", "decided_by"
    )
    if is_officer(user):
        return qs
    return qs.filter(stakeholder__memberships__user=user).distinct()


def application_get_for_user(user, pk: int) -> Application:
    return get_object_or_404(applications_for_user(user), pk=pk)


def application_detail(application_id: int) -> Application:
    return (
        Application.objects.select_related(
            "stakeholder", "profile", "assigned_officer", "proposed_by", "decided_by"
        )
        .prefetch_related(
            "findings__criterion",
            "hearings",
            "documents",
            Prefetch(
                "authorisation__intervals",
                queryset=AuthorisationStatusInterval.objects.order_by("type", "valid_from"),
            ),
        )
        .get(pk=application_id)
    )


def _answers(application: Application) -> dict[str, Any]:
    return dict(
        Answer.objects.filter(application=application).values_list("question__code", "value")
    )


def questionnaire_view(application: Application) -> dict[str, Any]:
    answers = _answers(application)
    sections, missing = [], []
    for applicable in applicable_sections(application):
        questions = []
        for q in applicable.questions:
            answer = answers.get(q.code)
            if q.required and answer is None:
                missing.append(q.code)
            questions.append(
                {
                    "code": q.code,
                    "text": q.text,
                    "kind": q.kind,
                    "required": q.required,
                    "choices": q.choices,
                    "criteria": [c.code for c in q.criteria.all()],
                    "answer": answer,
                }
            )
        sections.append(
            {
                "code": applicable.section.code,
                "title": applicable.section.title,
                "questions": questions,
            }
        )
    return {"sections": sections, "complete": not missing, "missing": missing}


def questionnaire_missing(application: Application) -> list[str]:
    answers = _answers(application)
    return [
        q.code
        for s in applicable_sections(application)
        for q in s.questions
        if q.required and answers.get(q.code) is None
    ]


def document_get_for_user(user, pk: int) -> Document:
    qs = Document.objects.select_related("application")
    if not is_officer(user):
        qs = qs.filter(application__stakeholder__memberships__user=user).distinct()
    return get_object_or_404(qs, pk=pk)


def authorisations_for_user(user) -> QuerySet[Authorisation]:
    qs = Authorisation.objects.select_related("holder", "profile").prefetch_related(
        Prefetch(
            "intervals", queryset=AuthorisationStatusInterval.objects.order_by("type", "valid_from")
        )
    )
    if is_officer(user):
        return qs
    return qs.filter(holder__memberships__user=user).distinct()


def authorisation_detail(pk: int) -> Authorisation:
    return (
        Authorisation.objects.select_related("holder", "profile")
        .prefetch_related(
            Prefetch(
                "intervals",
                queryset=AuthorisationStatusInterval.objects.order_by("type", "valid_from"),
            )
        )
        .get(pk=pk)
    )


def authorisation_get_for_user(user, pk: int) -> Authorisation:
    return get_object_or_404(authorisations_for_user(user), pk=pk)


def authorisation_statuses_at(authorisation: Authorisation, at: datetime) -> dict[str, str | None]:
    """The status of each held type at ``at`` (None: no status then, e.g. before effect)."""
    result: dict[str, str | None] = {}
    for row in authorisation.intervals.all():
        result.setdefault(row.type, None)
        if row.valid_from <= at and (row.valid_to is None or at < row.valid_to):
            result[row.type] = row.status
    return result


def audit_events(target_type: str | None = None, target_id: str | None = None):
    qs = AuditEvent.objects.all().order_by("id")
    if target_type:
        qs = qs.filter(target_type=target_type)
    if target_id:
        qs = qs.filter(target_id=str(target_id))
    return qs


def infringements() -> QuerySet[Infringement]:
    return Infringement.objects.select_related("stakeholder")
