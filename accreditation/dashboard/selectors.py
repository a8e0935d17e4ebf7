"""Reads for the officer dashboard. Every function issues a fixed number of queries whatever
the number of rows (related rows are joined or prefetched), so the pages stay fast as the
registry grows; the tests hold them to that.

The dashboard is for customs staff only: nothing here narrows by membership.
"""

import contextlib
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.cache import cache
from django.db.models import Case, Exists, F, OuterRef, Prefetch, Q, QuerySet, When
from django.utils import timezone

from stakeholders.identifiers import IdentifierType, InvalidIdentifier, normalise
from stakeholders.models import Identifier, Membership, Relationship, Role, Stakeholder
from stakeholders.selectors import HistoryEntry, as_pk, stakeholder_history

from ..audit import audit_verify_chain
from ..models import (
    FINAL_APPLICATION_STATUSES,
    Application,
    ApplicationStatus,
    ApplicationTransition,
    AuditChainHead,
    AuditEvent,
    Authorisation,
    AuthorisationStatusInterval,
    Document,
    Finding,
    Hearing,
    Infringement,
    Suspension,
)
from ..trust.selectors import TrustUnavailable, lookup_items

S = ApplicationStatus
URGENT_WITHIN_DAYS = 7
DECISION_CLOCK_STATUSES = (S.EXAMINATION, S.DECISION_PROPOSED, S.HEARING)
OPEN_SUBMITTED_STATUSES = (S.SUBMITTED, S.INFO_REQUESTED, *DECISION_CLOCK_STATUSES)


# --- legal clocks -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    """The legal clock an application runs against now."""

    name: str  # acceptance | decision | paused | "" (no clock: draft or final)
    due: datetime | None
    days_left: int | None  # calendar days (UTC) from today to the due day; negative: past
    urgent: bool

    @property
    def text(self) -> str:
        if self.name == "paused":
            return "paused (information requested)"
        if self.days_left is None:
            return "—"
        days = abs(self.days_left)
        plural = "" if days == 1 else "s"
        if self.days_left < 0:
            return f"{days} day{plural} overdue ({self.name})"
        if self.days_left == 0:
            return f"due today ({self.name})"
        return f"{days} day{plural} left ({self.name})"


def application_clock(application: Application, now: datetime) -> Clock:
    """Acceptance while submitted, decision from acceptance until the decision; an information
    request stops the clock (the acceptance period restarts, the decision period is paused
    where the profile says so). Days are calendar days in UTC; urgent: flagged overdue by
    the sweep, or due in seven days or fewer (or already past)."""
    status = application.status
    if status == S.SUBMITTED:
        name, due = "acceptance", application.acceptance_due
    elif status in DECISION_CLOCK_STATUSES:
        name, due = "decision", application.decision_due
    elif status == S.INFO_REQUESTED:
        return Clock("paused", None, None, application.overdue)
    else:
        return Clock("", None, None, False)
    if due is None:
        return Clock(name, None, None, application.overdue)
    days = (due.astimezone(UTC).date() - now.astimezone(UTC).date()).days
    return Clock(name, due, days, application.overdue or days <= URGENT_WITHIN_DAYS)


def _with_clock(qs: QuerySet[Application]) -> QuerySet[Application]:
    """Order by the date the current clock runs out (soonest first, no clock last)."""
    return qs.annotate(
        clock_due=Case(
            When(status=S.SUBMITTED, then=F("acceptance_due")),
            When(status__in=DECISION_CLOCK_STATUSES, then=F("decision_due")),
            default=None,
        )
    ).order_by(F("clock_due").asc(nulls_last=True), "id")


def _applications() -> QuerySet[Application]:
    return Application.objects.select_related(
        "stakeholder", "profile", "assigned_officer", "proposed_by", "decided_by"
    )


# --- overview ---------------------------------------------------------------------------------


def applications_assigned_to(user) -> QuerySet[Application]:
    return _with_clock(
        _applications().filter(assigned_officer=user).exclude(status__in=FINAL_APPLICATION_STATUSES)
    )


def applications_unassigned() -> QuerySet[Application]:
    """Received and still open, with nobody examining them."""
    return _with_clock(
        _applications().filter(assigned_officer__isnull=True, status__in=OPEN_SUBMITTED_STATUSES)
    )


def applications_awaiting_decision(user, *, supervisor: bool) -> QuerySet[Application]:
    """A proposed grant, or a proposed rejection whose hearing is over. A supervisor does not
    see what they proposed themselves: another supervisor must decide it (four eyes)."""
    open_hearing = Hearing.objects.filter(application=OuterRef("pk"), closed_at__isnull=True)
    qs = _applications().filter(
        Q(status=S.DECISION_PROPOSED) | (Q(status=S.HEARING) & ~Exists(open_hearing))
    )
    if supervisor:
        qs = qs.exclude(proposed_by=user)
    return _with_clock(qs)


def applications_overdue() -> QuerySet[Application]:
    """Flagged by the clock sweep: a legal deadline passed without the step it required."""
    return _with_clock(
        _applications().filter(overdue=True).exclude(status__in=FINAL_APPLICATION_STATUSES)
    )


def hearings_open() -> QuerySet[Hearing]:
    return (
        Hearing.objects.filter(closed_at__isnull=True)
        .select_related(
            "application__stakeholder", "authorisation__holder", "opened_by", "responded_by"
        )
        .order_by("deadline", "id")
    )


def suspensions_running() -> QuerySet[Suspension]:
    return (
        Suspension.objects.filter(ended_at__isnull=True)
        .select_related("authorisation__holder", "created_by")
        .order_by("expires_at", "id")
    )


def audit_events_latest() -> QuerySet[AuditEvent]:
    return AuditEvent.objects.select_related("actor").order_by("-id")


# --- audit chain ------------------------------------------------------------------------------

CHAIN_CACHE_KEY = "dashboard:audit-chain"


def audit_chain_head() -> AuditChainHead | None:
    return AuditChainHead.objects.filter(id=1).first()


def audit_chain_last_result() -> dict[str, Any] | None:
    """The last verification run from the dashboard (verifying reads every event, so the
    overview shows this instead of verifying on every view). None when never run or when
    the cache cannot answer."""
    try:
        return cache.get(CHAIN_CACHE_KEY)
    except Exception:  # a cache outage must not take the dashboard down
        return None


def audit_chain_verify() -> dict[str, Any]:
    """Verify the whole chain now and remember the result (for the overview)."""
    started = time.monotonic()
    problem = audit_verify_chain()
    head = audit_chain_head()
    result = {
        "ok": problem is None,
        "message": problem.message if problem else "",
        "event_id": problem.event_id if problem else None,
        "count": head.count if head else 0,
        "last_event_id": head.last_event_id if head else None,
        "verified_at": timezone.now(),
        "seconds": round(time.monotonic() - started, 3),
    }
    with contextlib.suppress(Exception):
        cache.set(CHAIN_CACHE_KEY, result, timeout=30 * 86400)
    return result


# --- search -----------------------------------------------------------------------------------


@dataclass
class SearchResults:
    query: str
    applications: list[Application]
    authorisations: list[Authorisation]
    stakeholders: list[Stakeholder]

    @property
    def empty(self) -> bool:
        return not (self.applications or self.authorisations or self.stakeholders)


SEARCH_LIMIT = 50


def dashboard_search(query: str) -> SearchResults:
    """Stakeholder name, identifier, authorisation number or application id."""
    q = query.strip()
    compact = re.sub(r"[\s.\-_/]", "", q).upper()
    applications: list[Application] = []
    app_id = as_pk(q.lstrip("#"))
    if app_id is not None:
        applications = list(_applications().filter(pk=app_id))
    number_q = Q(number__icontains=compact) if len(compact) >= 3 else Q(pk__in=[])
    with contextlib.suppress(InvalidIdentifier):
        number_q |= Q(number=normalise(IdentifierType.AEO_NO, q))
    authorisations = list(
        Authorisation.objects.filter(number_q)
        .select_related("holder")
        .order_by("number")[:SEARCH_LIMIT]
    )
    name_q = Q(legal_name__icontains=q) | Q(trading_name__icontains=q)
    if len(compact) >= 3:
        name_q |= Exists(
            Identifier.objects.filter(stakeholder=OuterRef("pk"), value__icontains=compact)
        )
    stakeholders = list(
        Stakeholder.objects.filter(name_q)
        .prefetch_related(
            Prefetch("identifiers", queryset=Identifier.objects.order_by("type", "value"))
        )
        .order_by("legal_name", "id")[:SEARCH_LIMIT]
    )
    return SearchResults(q, applications, authorisations, stakeholders)


# --- detail pages -----------------------------------------------------------------------------


def _stakeholder_prefetch(prefix: str = "") -> list[Prefetch | str]:
    return [
        Prefetch(f"{prefix}roles", queryset=Role.objects.order_by("code")),
        Prefetch(f"{prefix}identifiers", queryset=Identifier.objects.order_by("type", "value")),
    ]


def relationships_of(stakeholder_id: int) -> list[Relationship]:
    """Both directions: what it declared, and who declared a link to it."""
    return list(
        Relationship.objects.filter(Q(source_id=stakeholder_id) | Q(target_id=stakeholder_id))
        .select_related("source", "target", "created_by")
        .order_by("kind", "valid_from", "id")
    )


def application_for_dashboard(pk: int) -> Application:
    """Raises Application.DoesNotExist."""
    return (
        Application.objects.select_related(
            "stakeholder",
            "profile",
            "assigned_officer",
            "proposed_by",
            "decided_by",
            "created_by",
        )
        .prefetch_related(
            *_stakeholder_prefetch("stakeholder__"),
            Prefetch(
                "transitions",
                queryset=ApplicationTransition.objects.select_related("actor").order_by("at", "id"),
            ),
            Prefetch(
                "findings",
                queryset=Finding.objects.select_related("criterion", "author").order_by(
                    "created_at", "id"
                ),
            ),
            Prefetch(
                "hearings",
                queryset=Hearing.objects.select_related("opened_by", "responded_by").order_by(
                    "opened_at", "id"
                ),
            ),
            Prefetch(
                "documents",
                queryset=Document.objects.select_related("uploaded_by").order_by(
                    "uploaded_at", "id"
                ),
            ),
        )
        .get(pk=pk)
    )


def authorisation_of_application(application: Application) -> Authorisation | None:
    return Authorisation.objects.filter(application=application).first()


def audit_events_for(targets: list[tuple[str, list[Any]]]) -> list[AuditEvent]:
    """Events on any of the (target_type, ids) targets, oldest first."""
    q = Q(pk__in=[])
    for target_type, ids in targets:
        if ids:
            q |= Q(target_type=target_type, target_id__in=[str(i) for i in ids])
    return list(AuditEvent.objects.filter(q).select_related("actor").order_by("id"))


def authorisation_for_dashboard(pk: int) -> Authorisation:
    """Raises Authorisation.DoesNotExist."""
    return (
        Authorisation.objects.select_related("holder", "profile", "application")
        .prefetch_related(
            *_stakeholder_prefetch("holder__"),
            Prefetch(
                "intervals",
                queryset=AuthorisationStatusInterval.objects.select_related("actor").order_by(
                    "type", "valid_from", "id"
                ),
            ),
            Prefetch(
                "hearings",
                queryset=Hearing.objects.select_related(
                    "opened_by", "responded_by", "closed_by"
                ).order_by("opened_at", "id"),
            ),
            Prefetch(
                "suspensions",
                queryset=Suspension.objects.select_related("created_by").order_by(
                    "starts_at", "id"
                ),
            ),
        )
        .get(pk=pk)
    )


@dataclass
class TrustView:
    items: list[dict[str, Any]]
    error: str = ""


def trust_items_for(stakeholder: Stakeholder, at: datetime) -> TrustView:
    """What a risk engine's lookup answers now for each of the holder's identifiers, as staff
    see it (names shown). No caller: not throttled and not written to the lookup log — an
    officer reading a page is not a lookup."""
    pairs = [(i.type, i.value) for i in stakeholder.identifiers.all()]
    if not pairs:
        return TrustView([])
    try:
        items, _ = lookup_items(pairs, at=at, caller=None)
    except TrustUnavailable as exc:
        return TrustView([], f"Trust lookups are unavailable: {exc}")
    return TrustView(items)


def stakeholder_for_dashboard(pk: int) -> Stakeholder:
    """Raises Stakeholder.DoesNotExist."""
    return (
        Stakeholder.objects.select_related("created_by")
        .prefetch_related(
            *_stakeholder_prefetch(),
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("user").order_by("role", "user_id"),
            ),
        )
        .get(pk=pk)
    )


def stakeholder_field_history(stakeholder: Stakeholder) -> list[HistoryEntry]:
    """The registry's field-level history of a stakeholder, newest first."""
    return stakeholder_history(stakeholder)[::-1]


def applications_of(stakeholder_id: int) -> list[Application]:
    return list(
        _applications().filter(stakeholder_id=stakeholder_id).order_by("-created_at", "-id")
    )


def authorisations_of(stakeholder_id: int) -> list[Authorisation]:
    return list(
        Authorisation.objects.filter(holder_id=stakeholder_id)
        .select_related("application")
        .prefetch_related(
            Prefetch(
                "intervals",
                queryset=AuthorisationStatusInterval.objects.order_by("type", "valid_from"),
            )
        )
        .order_by("-decided_at", "-id")
    )


def infringements_of(stakeholder_id: int) -> list[Infringement]:
    return list(
        Infringement.objects.filter(stakeholder_id=stakeholder_id)
        .select_related("recorded_by")
        .order_by("-date", "-id")
    )
