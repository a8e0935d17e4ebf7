import django_filters

from .models import AeoType, Application, ApplicationStatus, Authorisation, AuthorisationStatus


class ApplicationFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ApplicationStatus.choices)
    type = django_filters.ChoiceFilter(choices=AeoType.choices)
    officer = django_filters.NumberFilter(field_name="assigned_officer_id")
    overdue = django_filters.BooleanFilter()
    country = django_filters.CharFilter(field_name="stakeholder__country", lookup_expr="iexact")
    role = django_filters.CharFilter(field_name="stakeholder__roles__code", distinct=True)
    stakeholder = django_filters.NumberFilter(field_name="stakeholder_id")

    class Meta:
        model = Application
        fields = ["status", "type", "officer", "overdue", "country", "role", "stakeholder"]


class AuthorisationFilter(django_filters.FilterSet):
    holder = django_filters.NumberFilter(field_name="holder_id")
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
