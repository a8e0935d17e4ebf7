"""Who is asking: operators, customs officers, supervisors (user groups) and machines (API keys).

Groups are created by a migration in ``stakeholders``. A supervisor can do what an officer
can; superusers count as supervisors.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from rest_framework.permissions import BasePermission

from .authentication import MachineKey

OPERATOR = "OPERATOR"
OFFICER = "OFFICER"
SUPERVISOR = "SUPERVISOR"
GROUPS = (OPERATOR, OFFICER, SUPERVISOR)


def group_names(user: AbstractBaseUser | AnonymousUser) -> frozenset[str]:
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_aeo_group_names", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._aeo_group_names = cached
    return cached


def is_supervisor(user) -> bool:
    return user.is_authenticated and (user.is_superuser or SUPERVISOR in group_names(user))


def is_officer(user) -> bool:
    """Officers and supervisors: customs staff who may examine and read everything."""
    return is_supervisor(user) or OFFICER in group_names(user)


is_customs_staff = is_officer


def is_machine(request) -> bool:
    return isinstance(request.auth, MachineKey)


class IsOperatorOrStaff(BasePermission):
    """A signed-in person (not a machine key). Object access is narrowed by the selectors."""

    message = "This endpoint is for signed-in operators and customs staff, not API keys."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated)


class IsCustomsStaff(BasePermission):
    message = "Only customs officers and supervisors may do this."

    def has_permission(self, request, view) -> bool:
        return is_officer(request.user)


class IsSupervisor(BasePermission):
    message = "Only customs supervisors may do this."

    def has_permission(self, request, view) -> bool:
        return is_supervisor(request.user)


class IsMachineOrPerson(BasePermission):
    """Risk-engine API keys and signed-in people alike (trust lookups)."""

    def has_permission(self, request, view) -> bool:
        return is_machine(request) or bool(request.user and request.user.is_authenticated)
