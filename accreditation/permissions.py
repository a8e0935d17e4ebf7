"""Who may act on applications and authorisations.

Visibility (404 for what an operator does not own) is the selectors' job; these classes say
which role may take an action at all (403 with the reason).
"""

from rest_framework.permissions import BasePermission

from aeo_registry.permissions import IsCustomsStaff, IsOperatorOrStaff, IsSupervisor
from stakeholders.models import Membership

__all__ = ["IsApplicantMember", "IsCustomsStaff", "IsOperatorOrStaff", "IsSupervisor", "is_member"]


def is_member(user, stakeholder_id: int) -> bool:
    return (
        user.is_authenticated
        and Membership.objects.filter(user=user, stakeholder_id=stakeholder_id).exists()
    )


def member_stakeholder_ids(user) -> frozenset[int]:
    if not user.is_authenticated:
        return frozenset()
    return frozenset(Membership.objects.filter(user=user).values_list("stakeholder_id", flat=True))


class IsApplicantMember(BasePermission):
    """Operator actions: only members of the applying (or holding) stakeholder."""

    message = "Only the applicant's own members may do this."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request, view, obj) -> bool:
        stakeholder_id = getattr(obj, "stakeholder_id", None) or getattr(obj, "holder_id", None)
        return is_member(request.user, stakeholder_id)
