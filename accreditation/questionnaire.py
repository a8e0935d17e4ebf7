"""Which questions apply to an application, and what a valid answer to each kind is.

A section applies when it covers one of the types the application would hold (AEOF holds
AEOC and AEOS, so it sees both section 5 and section 6) and, if it names roles, the applicant
holds one of them; a question narrows its section the same way.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch

from .models import HELD_TYPES, Application, Document, Question, QuestionKind, QuestionnaireSection

MAX_TEXT = 20_000


@dataclass
class ApplicableSection:
    section: QuestionnaireSection
    questions: list[Question]


def _applies(aeo_types: list[str], role_codes: set[str], held: set[str], roles: set[str]) -> bool:
    if aeo_types and not held.intersection(aeo_types):
        return False
    return not role_codes or bool(role_codes & roles)


def applicable_sections(application: Application) -> list[ApplicableSection]:
    held = set(HELD_TYPES[application.type])
    roles = set(application.stakeholder.roles.values_list("code", flat=True))
    sections = QuestionnaireSection.objects.prefetch_related(
        "roles",
        Prefetch(
            "questions",
            queryset=Question.objects.prefetch_related("roles", "criteria").order_by(
                "order", "code"
            ),
        ),
    ).order_by("order", "code")
    result = []
    for section in sections:
        if not _applies(section.aeo_types, {r.code for r in section.roles.all()}, held, roles):
            continue
        questions = [
            q
            for q in section.questions.all()
            if _applies(q.aeo_types, {r.code for r in q.roles.all()}, held, roles)
        ]
        if questions:
            result.append(ApplicableSection(section, questions))
    return result


def applicable_questions(application: Application) -> dict[str, Question]:
    return {q.code: q for s in applicable_sections(application) for q in s.questions}


def validate_answer_value(question: Question, value: Any, application: Application) -> Any:
    """The stored form of ``value`` as an answer to ``question``, or ValidationError."""
    kind = question.kind
    if kind == QuestionKind.BOOLEAN:
        if not isinstance(value, bool):
            raise ValidationError("Must be true or false.")
        return value
    if kind == QuestionKind.TEXT:
        if not isinstance(value, str) or not value.strip():
            raise ValidationError("Must be a non-empty text.")
        if len(value) > MAX_TEXT:
            raise ValidationError(f"At most {MAX_TEXT} characters.")
        return value.strip()
    if kind == QuestionKind.NUMBER:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValidationError("Must be a number.")
        if value != value or value in (float("inf"), float("-inf")):
            raise ValidationError("Must be a finite number.")
        return value
    if kind == QuestionKind.DATE:
        try:
            return dt.date.fromisoformat(value).isoformat()
        except (TypeError, ValueError):
            raise ValidationError("Must be a date as YYYY-MM-DD.") from None
    allowed = [c["value"] for c in question.choices]
    if kind == QuestionKind.CHOICE:
        if not isinstance(value, str) or value not in allowed:
            raise ValidationError(f"Must be one of: {', '.join(allowed)}.")
        return value
    if kind == QuestionKind.MULTI_CHOICE:
        if not isinstance(value, list) or not value:
            raise ValidationError("Must be a non-empty list of choices.")
        bad = [v for v in value if not isinstance(v, str) or v not in allowed]
        if bad:
            raise ValidationError(f"Unknown choices {bad!r}; allowed: {', '.join(allowed)}.")
        return sorted(set(value), key=allowed.index)
    if kind == QuestionKind.DOCUMENT:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("Must be the id of a document uploaded to this application.")
        if not Document.objects.filter(pk=value, application=application).exists():
            raise ValidationError("No document with this id on this application.")
        return value
    raise ValidationError(f"Unknown question kind {kind!r}.")  # pragma: no cover
