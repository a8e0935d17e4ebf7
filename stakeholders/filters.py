"""List filters for stakeholders. Multi-valued relations filter through EXISTS so that a
stakeholder never appears twice in a page, whatever the combination of filters."""

import re

import django_filters
from django.db.models import Exists, OuterRef, QuerySet
from rest_framework.exceptions import ValidationError

from .identifiers import IdentifierType, InvalidIdentifier, normalise
from .models import Identifier, Stakeholder

_SEPARATORS = re.compile(r"[\s.\-_/]")


class StakeholderFilter(django_filters.FilterSet):
    country = django_filters.CharFilter(
        method="filter_country", help_text="ISO 3166-1 alpha-2 code."
    )
    role = django_filters.CharFilter(method="filter_role", help_text="A role code.")
    identifier_type = django_filters.ChoiceFilter(
        choices=IdentifierType.choices,
        method="filter_identifier",
        help_text="Stakeholders holding an identifier of this type.",
    )
    identifier = django_filters.CharFilter(
        method="filter_identifier",
        help_text="Identifier value as written (normalised before matching).",
    )

    class Meta:
        model = Stakeholder
        fields = ["country", "role", "identifier_type", "identifier"]

    def filter_country(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(country=value.strip().upper())

    def filter_role(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(
            Exists(
                Stakeholder.roles.through.objects.filter(
                    stakeholder_id=OuterRef("pk"), role__code=value.strip().upper()
                )
            )
        )

    def filter_identifier(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # Both parameters meet here; apply them once, together, on the first call.
        if getattr(self, "_identifier_done", False):
            return queryset
        self._identifier_done = True
        id_type = self.form.cleaned_data.get("identifier_type")
        raw = self.form.cleaned_data.get("identifier")
        identifiers = Identifier.objects.filter(stakeholder_id=OuterRef("pk"))
        if id_type:
            identifiers = identifiers.filter(type=id_type)
        if raw:
            if id_type:
                try:
                    raw = normalise(id_type, raw)
                except InvalidIdentifier as exc:
                    raise ValidationError({"identifier": [str(exc)]}) from None
            else:
                raw = _SEPARATORS.sub("", raw).upper()
            identifiers = identifiers.filter(value=raw)
        return queryset.filter(Exists(identifiers))
