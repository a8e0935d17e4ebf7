"""The application state machine: a transition table in code and one guarded function.

Every status change of an application goes through :func:`transition`, which

1. locks the row (``select_for_update``; SQLite's IMMEDIATE transactions serialise writers),
2. returns the application unchanged when it is already where an idempotent action leads
   (a repeated ``submit`` or twenty concurrent ``decide`` calls give one transition),
3. refuses with :class:`TransitionNotAllowed` (HTTP 409, naming the status and the actions
   allowed now) when the table has no such transition,
4. writes the change with a compare-and-set on ``status`` and ``version``, the
   ``ApplicationTransition`` row and the audit event in the same transaction, and
5. defers side effects (tasks, notifications) to after the commit.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from aeo_registry.api import ConflictError

from .audit import audit_record
from .models import Application, ApplicationTransition
from .models import ApplicationStatus as S

# Marker: the target is where the application was before an information request.
RETURN = "RETURN"


@dataclass(frozen=True)
class Transition:
    api_action: str  # the endpoint that triggers it (what a 409 offers)
    sources: frozenset[str]
    target: str
    idempotent: bool = False
    legal_basis: str = ""


OPEN = frozenset(
    {S.DRAFT, S.SUBMITTED, S.INFO_REQUESTED, S.EXAMINATION, S.DECISION_PROPOSED, S.HEARING}
)

TRANSITIONS: dict[str, Transition] = {
    "submit": Transition("submit", frozenset({S.DRAFT}), S.SUBMITTED, True, "UCC Art. 22(2)"),
    "accept": Transition("accept", frozenset({S.SUBMITTED}), S.EXAMINATION, True, "UCC Art. 22(2)"),
    "not_accept": Transition(
        "accept", frozenset({S.SUBMITTED}), S.NOT_ACCEPTED, True, "DA 2015/2446 Art. 26"
    ),
    "request_info": Transition(
        "request-info",
        frozenset({S.SUBMITTED, S.EXAMINATION}),
        S.INFO_REQUESTED,
        False,
        "UCC Art. 22(2); DA Art. 13",
    ),
    "provide_info": Transition("provide-info", frozenset({S.INFO_REQUESTED}), RETURN),
    "propose_grant": Transition(
        "propose", frozenset({S.EXAMINATION}), S.DECISION_PROPOSED, False, "UCC Art. 38"
    ),
    "propose_reject": Transition(
        "propose", frozenset({S.EXAMINATION}), S.HEARING, False, "UCC Art. 22(6)"
    ),
    "grant": Transition(
        "decide", frozenset({S.DECISION_PROPOSED}), S.GRANTED, True, "UCC Arts 22(3), 38"
    ),
    "reject": Transition("decide", frozenset({S.HEARING}), S.REJECTED, True, "UCC Art. 22(3)"),
    "refer_back": Transition("decide", frozenset({S.DECISION_PROPOSED, S.HEARING}), S.EXAMINATION),
    "withdraw": Transition("withdraw", OPEN, S.WITHDRAWN, True),
}

# Actions that change no status but are only allowed in some statuses.
STATUS_ACTIONS: dict[str, frozenset[str]] = {
    "answers": frozenset({S.DRAFT, S.INFO_REQUESTED}),
    "documents": frozenset({S.DRAFT, S.INFO_REQUESTED}),
    "assign": frozenset(
        {S.SUBMITTED, S.INFO_REQUESTED, S.EXAMINATION, S.DECISION_PROPOSED, S.HEARING}
    ),
    "findings": frozenset({S.EXAMINATION, S.DECISION_PROPOSED, S.HEARING}),
    "extend": frozenset({S.EXAMINATION, S.INFO_REQUESTED, S.DECISION_PROPOSED, S.HEARING}),
    "hearing-response": frozenset({S.HEARING}),
}

# Actions the system takes (tasks), not offered to people in a 409.
SYSTEM_ACTIONS = frozenset({"accept", "not_accept"})


def target_of(action: str, application: Application) -> str:
    target = TRANSITIONS[action].target
    if target == RETURN:
        return application.info_return_status or S.SUBMITTED
    return target


# Who takes each API action: the applicant's members, officers (and supervisors), supervisors.
ACTION_ROLES: dict[str, str] = {
    "submit": "operator", "provide-info": "operator", "hearing-response": "operator",
    "withdraw": "operator", "answers": "operator", "documents": "operator",
    "assign": "officer", "request-info": "officer", "findings": "officer", "extend": "officer",
    "propose": "officer", "decide": "supervisor",
}  # fmt: skip


def allowed_actions(status: str, roles: frozenset[str] | None = None) -> list[str]:
    """The API actions available in ``status`` (transitions and status-bound actions),
    narrowed to those ``roles`` may take when given."""
    names = {
        t.api_action
        for name, t in TRANSITIONS.items()
        if status in t.sources and name not in SYSTEM_ACTIONS
    }
    names |= {name for name, statuses in STATUS_ACTIONS.items() if status in statuses}
    if roles is not None:
        names = {n for n in names if ACTION_ROLES[n] in roles}
    return sorted(names)


class TransitionNotAllowed(ConflictError):
    default_code = "transition_not_allowed"

    def __init__(self, status: str, action: str, detail: str | None = None):
        allowed = allowed_actions(status)
        super().__init__(
            detail
            or f"Cannot {action} an application in status {status}. "
            f"Allowed now: {', '.join(allowed) or 'nothing (final status)'}.",
            code="transition_not_allowed",
            current_status=status,
            allowed_actions=allowed,
        )


def require_status(application: Application, action: str) -> None:
    """Refuse a status-bound action (answers, findings…) outside the statuses it needs."""
    if application.status not in STATUS_ACTIONS[action]:
        raise TransitionNotAllowed(application.status, action)


def lock_application(application_id: int) -> Application:
    """The application row, locked until the end of the current transaction."""
    # of=self: lock the application only, not the programme profile every application shares.
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("profile")
        .get(pk=application_id)
    )


@dataclass
class TransitionResult:
    application: Application
    changed: bool
    from_status: str
    transition: ApplicationTransition | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@transaction.atomic
def transition(
    application_id: int,
    action: str,
    *,
    actor=None,
    reason: str = "",
    changes: dict[str, Any] | Callable[[Application], dict[str, Any]] | None = None,
    after_commit: Iterable[Callable[[], None]] = (),
    audit_after: dict[str, Any] | None = None,
) -> TransitionResult:
    """Move one application along the table; see the module docstring.

    ``changes`` are further fields written with the status (or a function of the locked row);
    callers that must check more first (four eyes) lock the row with ``lock_application`` in
    their own transaction before calling this. ``after_commit`` callables run after commit;
    work that must not be lost goes through the outbox instead.
    """
    spec = TRANSITIONS[action]
    application = lock_application(application_id)
    target = target_of(action, application)
    if spec.idempotent and application.status == target:
        return TransitionResult(application, False, application.status)
    if application.status not in spec.sources:
        raise TransitionNotAllowed(application.status, spec.api_action)

    now = timezone.now()
    extra = changes(application) if callable(changes) else dict(changes or {})
    from_status, version = application.status, application.version
    updated = Application.objects.filter(
        pk=application.pk, status=from_status, version=version
    ).update(status=target, version=F("version") + 1, updated_at=now, **extra)
    if updated != 1:
        # Cannot happen under the row lock; the compare-and-set is the backstop if it is lost.
        raise TransitionNotAllowed(
            from_status, spec.api_action, "The application changed meanwhile; reload and retry."
        )
    application.refresh_from_db()
    row = ApplicationTransition.objects.create(
        application=application,
        action=action,
        from_status=from_status,
        to_status=target,
        actor=actor,
        reason=reason,
        legal_basis=spec.legal_basis,
        at=now,
    )
    audit_record(
        actor=actor,
        action=f"application.{action}",
        target_type="application",
        target_id=application.pk,
        before={"status": from_status, "version": version},
        after={
            "status": target,
            "version": application.version,
            "reason": reason,
            **(audit_after or {}),
        },
        legal_basis=spec.legal_basis,
        at=now,
    )
    for effect in after_commit:
        transaction.on_commit(effect, robust=True)
    return TransitionResult(application, True, from_status, row)
