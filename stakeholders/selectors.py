"""Reads from the registry, narrowed to what the asking user may see.

Operators see the stakeholders they are members of; customs officers and supervisors see all.
Anything an operator may not see is answered as absent (404), never as forbidden.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.apps import apps
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from aeo_registry.permissions import is_officer

from .models import (
    Identifier,
    Membership,
    MembershipRole,
    Relationship,
    Role,
    Stakeholder,
)


def stakeholder_list(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Stakeholder]:
    """Stakeholders ``user`` may see, with what the list shows prefetched (constant queries)."""
    qs = Stakeholder.objects.prefetch_related(
        Prefetch("roles", queryset=Role.objects.only("id", "code")),
        Prefetch("identifiers", queryset=Identifier.objects.order_by("type", "value")),
    )
    if is_officer(user):
        return qs
    if not user.is_authenticated:
        return qs.none()
    return qs.filter(memberships__user=user)


def stakeholder_get(user: AbstractBaseUser | AnonymousUser, stakeholder_id: Any) -> Stakeholder:
    """The stakeholder if ``user`` may see it, else Http404 (whether or not it exists)."""
    pk = as_pk(stakeholder_id)
    if pk is None:
        raise Http404("No stakeholder found.")
    try:
        return stakeholder_list(user).get(pk=pk)
    except Stakeholder.DoesNotExist:
        raise Http404("No stakeholder found.") from None


_MAX_PK = 2**63 - 1


def as_pk(value: Any) -> int | None:
    """An id fit for a bigint column, or None (a 20-digit id is absent, not a server error)."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return None
    return pk if 0 < pk <= _MAX_PK else None


def membership_role(user: AbstractBaseUser | AnonymousUser, stakeholder: Stakeholder) -> str | None:
    """OWNER, MEMBER or None."""
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(user=user, stakeholder=stakeholder)
        .values_list("role", flat=True)
        .first()
    )


def can_edit_stakeholder(user: AbstractBaseUser | AnonymousUser, stakeholder: Stakeholder) -> bool:
    """Members and owners edit their stakeholder; customs staff may correct any."""
    return is_officer(user) or membership_role(user, stakeholder) is not None


def can_manage_members(user: AbstractBaseUser | AnonymousUser, stakeholder: Stakeholder) -> bool:
    """Only owners (and customs staff) decide who acts for a stakeholder."""
    return is_officer(user) or membership_role(user, stakeholder) == MembershipRole.OWNER


def relationship_list(
    user: AbstractBaseUser | AnonymousUser, stakeholder: Stakeholder
) -> QuerySet[Relationship]:
    """Relationships of a stakeholder: staff see both directions; operators see the links their
    stakeholder declared (incoming links would tell them about other operators)."""
    if is_officer(user):
        qs = Relationship.objects.filter(Q(source=stakeholder) | Q(target=stakeholder))
    else:
        qs = Relationship.objects.filter(source=stakeholder)
    return qs.order_by("kind", "valid_from", "id")


def role_list() -> QuerySet[Role]:
    return Role.objects.prefetch_related("responsibilities").order_by("code")


# --- field-level history ----------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class HistoryEntry:
    """One recorded change: who did what to which object, when, and which fields moved."""

    at: datetime
    user: str | None
    model: str
    object_id: int
    action: str  # created | changed | deleted
    changes: list[FieldChange] = field(default_factory=list)


_ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
_NOT_DIFFED = {"id", "created_at", "updated_at"}


def _plain(value: Any) -> Any:
    if hasattr(value, "code"):  # django-countries Country
        return value.code or None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _entries(
    records: list, model: str, m2m_roles: dict[int, list[str]] | None = None
) -> list[HistoryEntry]:
    """Diff each historical record against the previous one of the same object, in Python.

    simple-history's ``diff_against`` would cost two queries per changed record (it reads the
    many-to-many rows of both records); the role rows of every record come in one query.
    """
    if not records:
        return []
    fields = [
        f
        for f in records[0]._meta.fields
        if f.name not in _NOT_DIFFED and not f.name.startswith("history_")
    ]
    previous: dict[int, Any] = {}
    out: list[HistoryEntry] = []
    for record in sorted(records, key=lambda r: (r.history_date, r.history_id)):
        before = previous.get(record.id)
        previous[record.id] = record
        changes: list[FieldChange] = []
        if before is not None and record.history_type == "~":
            for f in fields:
                old, new = _plain(getattr(before, f.attname)), _plain(getattr(record, f.attname))
                if old != new:
                    changes.append(FieldChange(f.name, old, new))
            if m2m_roles is not None:
                old_roles = m2m_roles.get(before.history_id, [])
                new_roles = m2m_roles.get(record.history_id, [])
                if old_roles != new_roles:
                    changes.append(FieldChange("roles", old_roles, new_roles))
            if not changes:
                continue
        if model == "identifier" and record.history_type != "~":
            label = f"{record.type} {record.value}"
            created = record.history_type == "+"
            changes.append(
                FieldChange("value", None if created else label, label if created else None)
            )
        out.append(
            HistoryEntry(
                at=record.history_date,
                user=record.history_user.get_username() if record.history_user else None,
                model=model,
                object_id=record.id,
                action=_ACTIONS[record.history_type],
                changes=changes,
            )
        )
    return out


def stakeholder_history(stakeholder: Stakeholder) -> list[HistoryEntry]:
    """Who changed which field of a stakeholder (roles included) or of its identifiers, and
    when, oldest first; in four queries whatever the length of the history."""
    own = list(Stakeholder.history.filter(id=stakeholder.pk).select_related("history_user"))
    through = apps.get_model("stakeholders", "HistoricalStakeholder_roles")
    roles: dict[int, list[str]] = {}
    for history_id, code in (
        through.objects.filter(history__in=[r.history_id for r in own])
        .order_by("role__code")
        .values_list("history_id", "role__code")
    ):
        roles.setdefault(history_id, []).append(code)
    identifiers = list(
        Identifier.history.filter(stakeholder_id=stakeholder.pk).select_related("history_user")
    )
    entries = _entries(own, "stakeholder", roles) + _entries(identifiers, "identifier")
    return sorted(entries, key=lambda e: e.at)
