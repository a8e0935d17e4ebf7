"""Comparison views for the benchmark only.

``bare``: the floor, a Django ``JsonResponse`` with no database, cache or auth.
``NaiveLookupView``: what a first DRF version of the lookup would look like, a
``RetrieveAPIView`` with nested ``ModelSerializer``s, DRF's ``TokenAuthentication`` and DRF
throttles, over the same identifier rows.
"""

from django.http import JsonResponse
from rest_framework import generics, serializers
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.throttling import UserRateThrottle

from accreditation.models import Authorisation, AuthorisationStatusInterval
from stakeholders.models import Identifier, Stakeholder


def bare(request, value):
    return JsonResponse({"id_type": "EORI", "normalized": value, "match": "FOUND"})


class NaiveIntervalSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuthorisationStatusInterval
        fields = ["type", "status", "valid_from", "valid_to"]


class NaiveAuthorisationSerializer(serializers.ModelSerializer):
    intervals = NaiveIntervalSerializer(many=True)

    class Meta:
        model = Authorisation
        fields = ["number", "type", "issuing_country", "effective_from", "intervals"]


class NaiveStakeholderSerializer(serializers.ModelSerializer):
    authorisations = NaiveAuthorisationSerializer(many=True)

    class Meta:
        model = Stakeholder
        fields = ["id", "legal_name", "country", "consent_publish", "roles", "authorisations"]


class NaiveIdentifierSerializer(serializers.ModelSerializer):
    stakeholder = NaiveStakeholderSerializer()

    class Meta:
        model = Identifier
        fields = ["type", "value", "valid_from", "valid_to", "stakeholder"]


class NaiveLookupView(generics.RetrieveAPIView):
    queryset = Identifier.objects.select_related("stakeholder")
    serializer_class = NaiveIdentifierSerializer
    lookup_field = "value"
    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [UserRateThrottle]
