"""The officer dashboard: server-rendered, read-only pages for customs officers and supervisors.

Actions stay in the API and the admin; the pages link to them. Reads go through
``accreditation.dashboard.selectors`` (and the app's selectors it reuses). People sign in
through the admin login (session); API keys and tokens are for the API, not for these pages.
"""

import json
from dataclasses import dataclass, replace
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Page, Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from aeo_registry.authentication import sends_api_credentials
from aeo_registry.permissions import is_officer, is_supervisor
from stakeholders.selectors import FieldChange, HistoryEntry, as_pk

from .. import selectors as accreditation_selectors
from ..models import HELD_TYPES, Application, AuditEvent, Authorisation
from . import selectors

PER_PAGE = 15
AUDIT_PER_PAGE = 20


class CustomsStaffRequiredMixin:
    """Officers and supervisors (session). Anonymous people go to the admin login; operators
    and machine credentials get 403."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if sends_api_credentials(request):
            return _forbidden(
                request,
                "The dashboard is for customs staff signed in with a browser session; "
                "API keys and tokens are for the API.",
            )
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not is_officer(request.user):
            return _forbidden(request, "The dashboard is for customs officers and supervisors.")
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


def _page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    context.setdefault("supervisor", is_supervisor(request.user))
    return render(request, f"dashboard/{template}", context)


def _forbidden(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "dashboard/forbidden.html", {"reason": reason}, status=403)


@dataclass
class PageOf:
    """One page of a list, with links that keep the other lists' pages and the search."""

    page: Page
    prev_url: str | None
    next_url: str | None
    rows: list[Any]


def _paginate(request: HttpRequest, qs, param: str, per_page: int = PER_PAGE, row=None) -> PageOf:
    page = Paginator(qs, per_page).get_page(request.GET.get(param))

    def url(number: int) -> str:
        query = request.GET.copy()
        query[param] = str(number)
        return f"?{query.urlencode()}"

    rows = list(page.object_list)
    if row is not None:
        rows = [row(obj) for obj in rows]
    return PageOf(
        page,
        url(page.previous_page_number()) if page.has_previous() else None,
        url(page.next_page_number()) if page.has_next() else None,
        rows,
    )


def _json(value: Any) -> str:
    if value in (None, {}, []):
        return ""
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True)


def _actor(event: AuditEvent) -> str:
    """The user's name; the hashed label when the user is gone (or ``system``)."""
    if event.actor is not None:
        return event.actor.get_username()
    label = event.actor_label
    return label.split(":", 2)[2] + " (deleted)" if label.startswith("user:") else label


@dataclass
class AuditRow:
    event: AuditEvent
    actor: str
    before: str
    after: str
    url: str | None


def _audit_row(event: AuditEvent) -> AuditRow:
    url = None
    if event.target_type == "application":
        url = reverse("dashboard:application", args=[event.target_id])
    elif event.target_type == "authorisation":
        url = reverse("dashboard:authorisation", args=[event.target_id])
    elif event.target_type == "stakeholder":
        url = reverse("dashboard:stakeholder", args=[event.target_id])
    return AuditRow(event, _actor(event), _json(event.before), _json(event.after), url)


@dataclass
class ApplicationRow:
    application: Application
    clock: selectors.Clock


def _application_row(now):
    return lambda application: ApplicationRow(
        application, selectors.application_clock(application, now)
    )


class DashboardOverviewView(CustomsStaffRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        now = timezone.now()
        user = request.user
        supervisor = is_supervisor(user)
        row = _application_row(now)
        # NUL cannot reach PostgreSQL in a string; a search is short.
        query = request.GET.get("q", "").replace("\x00", "").strip()[:200]
        context = {
            "now": now,
            "supervisor": supervisor,
            "query": query,
            "search": selectors.dashboard_search(query) if query else None,
            "mine": _paginate(request, selectors.applications_assigned_to(user), "mine", row=row),
            "unassigned": _paginate(
                request, selectors.applications_unassigned(), "unassigned", row=row
            ),
            "awaiting": _paginate(
                request,
                selectors.applications_awaiting_decision(user, supervisor=supervisor),
                "awaiting",
                row=row,
            ),
            "overdue": _paginate(request, selectors.applications_overdue(), "overdue", row=row),
            "hearings": _paginate(request, selectors.hearings_open(), "hearings"),
            "suspensions": _paginate(request, selectors.suspensions_running(), "suspensions"),
            "audit": _paginate(
                request,
                selectors.audit_events_latest(),
                "audit",
                per_page=AUDIT_PER_PAGE,
                row=_audit_row,
            ),
            "chain_head": selectors.audit_chain_head(),
            "chain": selectors.audit_chain_last_result(),
        }
        return _page(request, "overview.html", context)


class AuditChainVerifyView(CustomsStaffRequiredMixin, View):
    """Verify the whole audit chain now (reads every event), then show the overview."""

    def post(self, request: HttpRequest) -> HttpResponse:
        selectors.audit_chain_verify()
        return redirect(reverse("dashboard:overview") + "#chain")


def _pk(value: Any):
    pk = as_pk(value)
    if pk is None:
        raise Http404
    return pk


@dataclass
class InfoRequest:
    requested: Any  # the request_info transition
    answered: Any  # the provide_info transition after it, if any


def _info_requests(transitions: list) -> list[InfoRequest]:
    requests: list[InfoRequest] = []
    for t in transitions:
        if t.action == "request_info":
            requests.append(InfoRequest(t, None))
        elif t.action == "provide_info" and requests and requests[-1].answered is None:
            requests[-1].answered = t
    return requests


@dataclass
class AnswerRow:
    code: str
    text: str
    kind: str
    required: bool
    criteria: list[str]
    answer: Any
    document: Any


class ApplicationDashboardView(CustomsStaffRequiredMixin, View):
    def get(self, request: HttpRequest, pk: Any) -> HttpResponse:
        try:
            application = selectors.application_for_dashboard(_pk(pk))
        except Application.DoesNotExist:
            raise Http404 from None
        now = timezone.now()
        documents = {d.pk: d for d in application.documents.all()}
        questionnaire = accreditation_selectors.questionnaire_view(application)
        sections = [
            {
                "code": section["code"],
                "title": section["title"],
                "questions": [
                    AnswerRow(
                        q["code"],
                        q["text"],
                        q["kind"],
                        q["required"],
                        q["criteria"],
                        q["answer"],
                        documents.get(q["answer"]) if q["kind"] == "DOCUMENT" else None,
                    )
                    for q in section["questions"]
                ],
            }
            for section in questionnaire["sections"]
        ]
        transitions = list(application.transitions.all())
        authorisation = selectors.authorisation_of_application(application)
        events = selectors.audit_events_for(
            [
                ("application", [application.pk]),
                ("document", list(documents)),
            ]
        )
        findings = list(application.findings.all())
        context = {
            "now": now,
            "application": application,
            "stakeholder": application.stakeholder,
            "relationships": selectors.relationships_of(application.stakeholder_id),
            "clock": selectors.application_clock(application, now),
            "profile": application.profile,
            "checks": application.checks or [],
            "automated_findings": [f for f in findings if f.automated],
            "officer_findings": [f for f in findings if not f.automated],
            "sections": sections,
            "questionnaire_complete": questionnaire["complete"],
            "missing": questionnaire["missing"],
            "documents": list(documents.values()),
            "info_requests": _info_requests(transitions),
            "hearings": list(application.hearings.all()),
            "transitions": transitions,
            "extensions": [e for e in events if e.action == "application.extend"],
            "authorisation": authorisation,
            "audit": [_audit_row(e) for e in events],
        }
        return _page(request, "application.html", context)


@dataclass
class TypeStatus:
    type: str
    status: str | None
    since: Any


class AuthorisationDashboardView(CustomsStaffRequiredMixin, View):
    def get(self, request: HttpRequest, pk: Any) -> HttpResponse:
        try:
            authorisation = selectors.authorisation_for_dashboard(_pk(pk))
        except Authorisation.DoesNotExist:
            raise Http404 from None
        now = timezone.now()
        intervals = list(authorisation.intervals.all())
        statuses = accreditation_selectors.authorisation_statuses_at(authorisation, now)
        held = []
        for aeo_type in HELD_TYPES[authorisation.type]:
            current = [
                iv
                for iv in intervals
                if iv.type == aeo_type
                and iv.valid_from <= now
                and (iv.valid_to is None or now < iv.valid_to)
            ]
            held.append(
                TypeStatus(
                    aeo_type, statuses.get(aeo_type), current[0].valid_from if current else None
                )
            )
        holder = authorisation.holder
        context = {
            "now": now,
            "authorisation": authorisation,
            "holder": holder,
            "held": held,
            "intervals": intervals,
            "hearings": list(authorisation.hearings.all()),
            "suspensions": list(authorisation.suspensions.all()),
            "trust": selectors.trust_items_for(holder, now),
            "audit": [
                _audit_row(e)
                for e in selectors.audit_events_for([("authorisation", [authorisation.pk])])
            ],
        }
        return _page(request, "authorisation.html", context)


def _shown(value: Any) -> Any:
    return ", ".join(map(str, value)) or "none" if isinstance(value, list) else value


def _readable(entry: HistoryEntry) -> HistoryEntry:
    """Lists (roles) as comma-separated text."""
    changes = [FieldChange(c.field, _shown(c.old), _shown(c.new)) for c in entry.changes]
    return replace(entry, changes=changes)


@dataclass
class AuthorisationRow:
    authorisation: Authorisation
    statuses: dict[str, str | None]


class StakeholderDashboardView(CustomsStaffRequiredMixin, View):
    def get(self, request: HttpRequest, pk: Any) -> HttpResponse:
        from stakeholders.models import Stakeholder

        try:
            stakeholder = selectors.stakeholder_for_dashboard(_pk(pk))
        except Stakeholder.DoesNotExist:
            raise Http404 from None
        now = timezone.now()
        row = _application_row(now)
        context = {
            "now": now,
            "stakeholder": stakeholder,
            "relationships": selectors.relationships_of(stakeholder.pk),
            "history": [
                _readable(entry) for entry in selectors.stakeholder_field_history(stakeholder)
            ],
            "applications": [row(a) for a in selectors.applications_of(stakeholder.pk)],
            "authorisations": [
                AuthorisationRow(a, accreditation_selectors.authorisation_statuses_at(a, now))
                for a in selectors.authorisations_of(stakeholder.pk)
            ],
            "infringements": selectors.infringements_of(stakeholder.pk),
        }
        return _page(request, "stakeholder.html", context)
