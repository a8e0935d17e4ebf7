import django_filters
from django_filters.constants import EMPTY_VALUES

from stakeholders.selectors import as_pk

from .models import AeoType, Application, ApplicationStatus, Authorisation, AuthorisationStatus


class IdFilter(django_filters.NumberFilter):
    """An id: a number that no bigint id can be (-3, 1.5, 1e103) matches nothing, where the
    database would fail on it."""

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        pk = as_pk(value) if value == value.to_integral_value() else None
        return qs.filter(**{self.field_name: pk}) if pk else qs.none()


class ApplicationFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ApplicationStatus.choices)
    type = django_filters.ChoiceFilter(choices=AeoType.choices)
    officer = IdFilter(field_name="assigned_officer_id")
    overdue = django_filters.BooleanFilter()
    country = django_filters.CharFilter(field_name="stakeholder__country", lookup_expr="iexact")
    role = django_filters.CharFilter(field_name="stakeholder__roles__code", distinct=True)
    stakeholder = IdFilter(field_name="stakeholder_id")

    class Meta:
        model = Application
        fields = ["status", "type", "officer", "overdue", "country", "role", "stakeholder"]


class AuthorisationFilter(django_filters.FilterSet):
    holder = IdFilter(field_name="holder_id")
    type = django_filters.ChoiceFilter(choices=AeoType.choices)
    status = django_filters.ChoiceFilter(
        choices=AuthorisationStatus.choices,
        method="filter_status",
        help_text="Any held type currently in this status.",
    )
    number = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Authorisation
        fields = ["holder", "type", "status", "number"]

    def filter_status(self, queryset, name, value):
        return queryset.filter(intervals__valid_to__isnull=True, intervals__status=value).distinct()
