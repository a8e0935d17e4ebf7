"""The operator portal: server-rendered pages where a company's people register, keep their
organisation's record (identifiers, roles, consents, relationships, people), apply for AEO
status (questionnaire, documents, submission) and take the steps the law gives them (answer an
information request, comment in a hearing, withdraw).

Operators only see their own organisations' records (others' are 404, as in the API); customs
staff are sent to the officer dashboard. Every action goes through the same service as the
API, so the rules, the audit trail and the side effects are the same; a refusal (wrong status,
invalid answer) is shown on the page with the service's own message.
"""

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import LoginView, redirect_to_login
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django_countries import countries
from rest_framework.exceptions import APIException

from aeo_registry.authentication import sends_api_credentials
from aeo_registry.permissions import is_officer
from aeo_registry.throttling import RegisterThrottle
from stakeholders.identifiers import IdentifierType, InvalidIdentifier, normalise
from stakeholders.models import Identifier, RelationshipKind, Role, Stakeholder
from stakeholders.selectors import can_manage_members, relationship_list, stakeholder_get
from stakeholders.services import (
    STAKEHOLDER_EDITABLE_FIELDS,
    identifier_add,
    identifier_remove,
    membership_add,
    operator_register,
    relationship_create,
    stakeholder_create,
    stakeholder_update,
    validate_email_field,
)

from .. import selectors, services
from ..models import HELD_TYPES, AeoType, Application, Hearing, QuestionKind
from ..questionnaire import applicable_questions, applicable_sections
from ..workflow import allowed_actions

OPERATOR = frozenset({"operator"})
MAX_TEXT = 20_000
# What the services refuse with: the API's exceptions (409, 403) and model validation (400).
REFUSALS = (APIException, ValidationError)


class PortalLoginView(LoginView):
    template_name = "portal/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return reverse("portal:overview")


class PortalRegisterView(View):
    """Sign-up for a company's person (an operator account), then signed in at once."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            return redirect("portal:overview")
        return render(request, "portal/register.html", {"form": {}, "errors": {}})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = {k: request.POST.get(k, "") for k in ("username", "email")}
        throttle = RegisterThrottle()
        wait = throttle.count(throttle.get_idents(request, self))
        if wait is not None:
            return HttpResponse(
                f"Too many sign-ups from this address; try again in {wait} seconds.",
                status=429,
                headers={"Retry-After": str(wait)},
            )
        errors: dict[str, Any] = {}
        password = request.POST.get("password", "")
        if password != request.POST.get("password2", ""):
            errors["password2"] = ["The two passwords differ."]
        if not form["username"].strip():
            errors["username"] = ["Choose a username."]
        try:
            validate_email_field(form["email"])
        except ValidationError:
            errors["email"] = ["Enter a valid e-mail address."]
        if not errors:
            try:
                user = operator_register(form["username"], password, form["email"])
            except ValidationError as exc:
                errors = exc.message_dict
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, "Welcome. Register the organisation you act for.")
                return redirect("portal:organisation-new")
        return render(request, "portal/register.html", {"form": form, "errors": errors}, status=400)


class OperatorRequiredMixin:
    """Signed-in operators (browser session). Others go to the portal's sign-in; customs
    staff to the dashboard; API keys and tokens are for the API."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if sends_api_credentials(request):
            return render(
                request,
                "portal/forbidden.html",
                {"reason": "The portal is for people signed in with a browser; API keys and "
                 "tokens are for the API."},
                status=403,
            )  # fmt: skip
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("portal:login"))
        if is_officer(request.user):
            return redirect("dashboard:overview")
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


def _next_step(application: Application) -> tuple[str, Any] | None:
    """What the operator is expected to do next, and by when (None: nothing, customs act)."""
    status = application.status
    if status == "DRAFT":
        return "Answer the questionnaire and submit the application.", None
    if status == "INFO_REQUESTED":
        return "Provide the information customs asked for, then return the application.", None
    if status == "HEARING":
        hearing = next((h for h in application.hearings.all() if not h.closed_at), None)
        if hearing and not hearing.responded_at:
            return "Comment on the proposed rejection (right to be heard).", hearing.deadline
    return None


class PortalOverviewView(OperatorRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        now = timezone.now()
        organisations = (
            Stakeholder.objects.filter(memberships__user=request.user)
            .prefetch_related(
                "roles", Prefetch("identifiers", queryset=Identifier.objects.order_by("type"))
            )
            .order_by("legal_name")
            .distinct()
        )
        applications = list(
            selectors.applications_for_user(request.user).prefetch_related("hearings")
        )
        authorisations = list(
            selectors.authorisations_for_user(request.user).prefetch_related(
                Prefetch("hearings", queryset=Hearing.objects.filter(closed_at__isnull=True))
            )
        )
        return render(
            request,
            "portal/overview.html",
            {
                "now": now,
                "organisations": organisations,
                "applications": [(a, _next_step(a)) for a in applications],
                "authorisations": [
                    (a, selectors.authorisation_statuses_at(a, now), list(a.hearings.all()))
                    for a in authorisations
                ],
            },
        )


# The operator's steps: form field → (service, keyword for the text, message when done).
ACTIONS: dict[str, tuple[Any, str | None, str]] = {
    "submit": (services.application_submit, None, "Application submitted."),
    "provide-info": (
        services.application_provide_info,
        "comments",
        "Information provided; the application is back with customs.",
    ),
    "hearing-response": (services.hearing_respond, "comments", "Your comments are recorded."),
    "withdraw": (services.application_withdraw, "reason", "Application withdrawn."),
}


class PortalApplicationView(OperatorRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        application = selectors.application_get_for_user(request.user, pk)
        application = (
            Application.objects.select_related("stakeholder", "profile")
            .prefetch_related("hearings", "transitions", "answers", "documents")
            .get(pk=application.pk)
        )
        questions = applicable_questions(application).values()
        answered = {a.question_id for a in application.answers.all()}
        missing = [q for q in questions if q.required and q.pk not in answered]
        now = timezone.now()
        return render(
            request,
            "portal/application.html",
            {
                "now": now,
                "application": application,
                "next_step": _next_step(application),
                "actions": allowed_actions(application.status, OPERATOR),
                "questions": len(questions),
                "answered": sum(q.pk in answered for q in questions),
                "missing": missing,
                "hearings": list(application.hearings.all()),
                "transitions": list(application.transitions.all()),
                "documents": list(application.documents.all()),
            },
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        application = selectors.application_get_for_user(request.user, pk)
        name = request.POST.get("action", "")
        if name not in ACTIONS:
            messages.error(request, "Unknown action.")
            return redirect("portal:application", pk=application.pk)
        service, text_field, done = ACTIONS[name]
        kwargs: dict[str, Any] = {"application_id": application.pk, "actor": request.user}
        if text_field:
            text = request.POST.get(text_field, "").strip()
            if len(text) > MAX_TEXT:
                messages.error(request, f"At most {MAX_TEXT} characters.")
                return redirect("portal:application", pk=application.pk)
            if name == "hearing-response" and not text:
                messages.error(request, "Write your comments first.")
                return redirect("portal:application", pk=application.pk)
            kwargs[text_field] = text
        try:
            service(**kwargs)
        except REFUSALS as exc:
            messages.error(request, _refusal(exc))
        else:
            messages.success(request, done)
        return redirect("portal:application", pk=application.pk)


# The service's editable fields: the consents are checkboxes, the rest typed text.
CONSENTS = ("consent_publish", "consent_mra")
ORGANISATION_FIELDS = tuple(f for f in STAKEHOLDER_EDITABLE_FIELDS if f not in CONSENTS)
IDENTIFIER_ROWS = 3


class PortalOrganisationNewView(OperatorRequiredMixin, View):
    """Register the organisation one acts for: its identifiers and roles; the person who
    registers it becomes its owner (the API's service)."""

    def _render(self, request, form, errors, status=200) -> HttpResponse:
        return render(
            request,
            "portal/organisation_new.html",
            {
                "form": form,
                "errors": errors,
                "countries": list(countries),
                "roles": Role.objects.order_by("name"),
                "identifier_types": IdentifierType.choices,
            },
            status=status,
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        blank = {"identifiers": [{"type": "EORI", "value": ""}]
                 + [{"type": "", "value": ""}] * (IDENTIFIER_ROWS - 1), "roles": []}  # fmt: skip
        return self._render(request, blank, {})

    def post(self, request: HttpRequest) -> HttpResponse:
        form: dict[str, Any] = {k: request.POST.get(k, "").strip() for k in ORGANISATION_FIELDS}
        form["identifiers"] = [
            {"type": request.POST.get(f"id_type_{i}", ""),
             "value": request.POST.get(f"id_value_{i}", "").strip()}
            for i in range(IDENTIFIER_ROWS)
        ]  # fmt: skip
        form["roles"] = request.POST.getlist("roles")
        data: dict[str, Any] = {k: v for k, v in form.items() if k in ORGANISATION_FIELDS and v}
        data["identifiers"] = [i for i in form["identifiers"] if i["value"]]
        data["roles"] = form["roles"]
        for consent in CONSENTS:
            form[consent] = data[consent] = request.POST.get(consent) == "on"
        if "established_on" in data:
            try:
                data["established_on"] = date.fromisoformat(data["established_on"])
            except ValueError:
                return self._render(
                    request, form, {"established_on": ["A date as YYYY-MM-DD."]}, status=400
                )
        try:
            stakeholder = stakeholder_create(request.user, data)
        except REFUSALS as exc:
            detail = _detail(exc)
            errors = detail if isinstance(detail, dict) else {"non_field_errors": detail}
            return self._render(request, form, errors, status=400)
        messages.success(request, f"{stakeholder.legal_name} is registered; you are its owner.")
        return redirect("portal:overview")


class PortalOrganisationView(OperatorRequiredMixin, View):
    """One organisation: its facts, identifiers, declared business relationships (what the
    consignment lookup checks) and the people who act for it; members keep the identifiers
    and relationships, owners also the members (the API's services and rules)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        stakeholder = stakeholder_get(request.user, pk)
        return render(
            request,
            "portal/organisation.html",
            {
                "now": timezone.now(),
                "organisation": stakeholder,
                "identifiers": list(stakeholder.identifiers.order_by("type", "value")),
                "roles": list(stakeholder.roles.order_by("name")),
                "relationships": list(relationship_list(request.user, stakeholder)),
                "members": list(stakeholder.memberships.select_related("user").order_by("id")),
                "owner": can_manage_members(request.user, stakeholder),
                "identifier_types": IdentifierType.choices,
                "kinds": RelationshipKind.choices,
                "all_roles": Role.objects.order_by("name"),
                "role_codes": {r.code for r in stakeholder.roles.all()},
            },
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        stakeholder = stakeholder_get(request.user, pk)
        action = request.POST.get("action", "")
        form = request.POST
        try:
            if action == "add-identifier":
                new = {"type": form.get("type"), "value": form.get("value")}
                identifier_add(request.user, stakeholder, new)
                done = "Identifier added."
            elif action == "remove-identifier":
                identifier_remove(request.user, stakeholder, form.get("identifier"))
                done = "Identifier removed."
            elif action == "add-relationship":
                target = _stakeholder_by_identifier(form.get("target_type"), form.get("target"))
                valid_from = form.get("valid_from") or None
                relationship_create(
                    request.user,
                    stakeholder,
                    {"kind": form.get("kind"), "target": target,
                     "valid_from": date.fromisoformat(valid_from) if valid_from else None},
                )  # fmt: skip
                done = "Relationship declared."
            elif action == "edit":
                stakeholder_update(request.user, stakeholder, _edited(form))
                done = "Saved."
            elif action == "add-member" and can_manage_members(request.user, stakeholder):
                membership_add(
                    request.user,
                    stakeholder,
                    {"username": form.get("username"), "role": form.get("role")},
                )
                done = "Member added."
            else:
                raise ValidationError("Unknown action.")
        except ValueError as exc:  # a date that does not parse
            messages.error(request, f"valid_from: {exc}")
        except REFUSALS as exc:
            messages.error(request, _refusal(exc))
        else:
            messages.success(request, done)
        return redirect("portal:organisation", pk=stakeholder.pk)


# Changed on the organisation page; the legal name, country and founding date through the API.
EDITABLE = tuple(
    f for f in ORGANISATION_FIELDS if f not in ("legal_name", "country", "established_on")
)


def _edited(form) -> dict[str, Any]:
    """The organisation form as the service's PATCH: its text fields, roles and consents."""
    data: dict[str, Any] = {name: form.get(name, "").strip() for name in EDITABLE}
    data["roles"] = form.getlist("roles")
    data.update({consent: form.get(consent) == "on" for consent in CONSENTS})
    return data


def _stakeholder_by_identifier(id_type: Any, value: Any) -> int:
    """The registered stakeholder a business partner's identifier names (its id), or a
    ValidationError saying the identifier is malformed or not registered."""
    try:
        normalised = normalise(str(id_type or ""), value)
    except InvalidIdentifier as exc:
        raise ValidationError({"target": [str(exc)]}) from None
    found = (
        Identifier.objects.filter(type=id_type, value=normalised)
        .values_list("stakeholder_id", flat=True)
        .first()
    )
    if found is None:
        raise ValidationError(
            {"target": [f"No stakeholder is registered with {id_type} {normalised}."]}
        )
    return found


class PortalApplicationNewView(OperatorRequiredMixin, View):
    """Start an application for one of one's organisations (the API's service)."""

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            stakeholder_id = int(request.POST.get("stakeholder", ""))
        except ValueError:
            messages.error(request, "Choose the organisation that applies.")
            return redirect("portal:overview")
        aeo_type = request.POST.get("type", "")
        if aeo_type not in AeoType.values:
            messages.error(request, "Choose the type of authorisation: AEOC, AEOS or AEOF.")
            return redirect("portal:overview")
        try:
            application = services.application_create(
                actor=request.user, stakeholder_id=stakeholder_id, type=aeo_type
            )
        except REFUSALS as exc:
            messages.error(request, _refusal(exc))
            return redirect("portal:overview")
        messages.success(request, "Application started: answer the questionnaire, then submit.")
        return redirect("portal:questionnaire", pk=application.pk)


def _form_value(question, form) -> Any:
    """A question's answer as the form sent it, in the API's form (None: no answer). Values
    that do not parse are passed on as typed, for the service to refuse with its message."""
    name = f"q-{question.code}"
    kind = question.kind
    if kind == QuestionKind.MULTI_CHOICE:
        return form.getlist(name) or None
    raw = form.get(name, "").strip()
    if raw == "":
        return None
    if kind == QuestionKind.BOOLEAN:
        return {"yes": True, "no": False}.get(raw, raw)
    if kind == QuestionKind.NUMBER:
        for parse in (int, float):
            try:
                return parse(raw)
            except ValueError:
                continue
        return raw
    if kind == QuestionKind.DOCUMENT:
        return int(raw) if raw.isdigit() else raw
    return raw


class PortalQuestionnaireView(OperatorRequiredMixin, View):
    """The self-assessment questionnaire: the questions that apply to this application, by
    section, answered in one form; documents uploaded beside it. Saved through the API's
    service (all or nothing: one invalid answer saves none and is shown at its question)."""

    def _context(self, application, values=None, errors=None) -> dict[str, Any]:
        answers = {a.question_id: a.value for a in application.answers.all()}
        sections = []
        for applicable in applicable_sections(application):
            rows = []
            for q in applicable.questions:
                value = values[q.code] if values is not None else answers.get(q.pk)
                rows.append({"q": q, "value": value, "errors": (errors or {}).get(q.code, [])})
            sections.append((applicable.section, rows))
        return {
            "now": timezone.now(),
            "application": application,
            "sections": sections,
            "editable": "answers" in allowed_actions(application.status, OPERATOR),
            "documents": list(application.documents.order_by("uploaded_at", "id")),
        }

    def _application(self, request: HttpRequest, pk: int) -> Application:
        selectors.application_get_for_user(request.user, pk)
        return Application.objects.select_related("stakeholder", "profile").get(pk=pk)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        application = self._application(request, pk)
        return render(request, "portal/questionnaire.html", self._context(application))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        application = self._application(request, pk)
        if "file" in request.FILES:
            try:
                services.document_upload(
                    application_id=application.pk, actor=request.user, file=request.FILES["file"]
                )
            except REFUSALS as exc:
                messages.error(request, _refusal(exc))
            else:
                messages.success(request, "Document uploaded: choose it as an answer below.")
            return redirect("portal:questionnaire", pk=application.pk)
        current = {a.question_id: a.value for a in application.answers.all()}
        questions = applicable_questions(application)
        values = {code: _form_value(q, request.POST) for code, q in questions.items()}
        changed = [
            {"question": code, "value": value}
            for code, value in values.items()
            if value != current.get(questions[code].pk)
        ]
        if not changed:
            messages.success(request, "Nothing changed.")
            return redirect("portal:questionnaire", pk=application.pk)
        try:
            services.answers_save(
                application_id=application.pk, actor=request.user, answers=changed
            )
        except REFUSALS as exc:
            errors: dict[str, list[str]] = {}
            detail = _detail(exc)
            detail = detail if isinstance(detail, dict) else {}
            for key, problems in detail.items():
                parts = str(key).split(".")
                if len(parts) == 3 and parts[1].isdigit():
                    errors[changed[int(parts[1])]["question"]] = [str(p) for p in problems]
            if not errors:
                messages.error(request, _refusal(exc))
                return redirect("portal:questionnaire", pk=application.pk)
            messages.error(request, "Nothing was saved: correct the answers marked below.")
            return render(
                request,
                "portal/questionnaire.html",
                self._context(application, values, errors),
                status=400,
            )
        messages.success(request, f"{len(changed)} answer{'s' if len(changed) > 1 else ''} saved.")
        return redirect("portal:questionnaire", pk=application.pk)


class PortalAuthorisationView(OperatorRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        authorisation = selectors.authorisation_get_for_user(request.user, pk)
        now = timezone.now()
        hearings = list(authorisation.hearings.order_by("opened_at", "id"))
        return render(
            request,
            "portal/authorisation.html",
            {
                "now": now,
                "authorisation": authorisation,
                "held": HELD_TYPES[authorisation.type],
                "statuses": selectors.authorisation_statuses_at(authorisation, now),
                "intervals": list(authorisation.intervals.all()),
                "hearings": hearings,
                "open_hearing": next(
                    (h for h in hearings if not h.closed_at and not h.responded_at), None
                ),
            },
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        authorisation = selectors.authorisation_get_for_user(request.user, pk)
        comments = request.POST.get("comments", "").strip()
        if not comments or len(comments) > MAX_TEXT:
            messages.error(request, f"Write your comments (at most {MAX_TEXT} characters).")
        else:
            try:
                services.authorisation_hearing_respond(
                    authorisation_id=authorisation.pk, actor=request.user, comments=comments
                )
            except REFUSALS as exc:
                messages.error(request, _refusal(exc))
            else:
                messages.success(request, "Your comments are recorded.")
        return redirect("portal:authorisation", pk=authorisation.pk)


def _refusal(exc: Exception) -> str:
    return _message(_detail(exc))


def _detail(exc: Exception) -> Any:
    if isinstance(exc, ValidationError):
        return exc.message_dict if hasattr(exc, "error_dict") else exc.messages
    return exc.detail  # type: ignore[attr-defined]


def _message(detail: Any) -> str:
    """A service's refusal as one sentence (a detail string, or field errors)."""
    if isinstance(detail, dict):
        return " ".join(f"{field}: {_message(errors)}" for field, errors in detail.items())
    if isinstance(detail, list):
        return " ".join(_message(m) for m in detail)
    return str(detail)
