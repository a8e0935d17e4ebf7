"""Personas shared by every test: an owner operator, a stranger operator, an officer, a
supervisor, a second supervisor and a risk-engine API key; plus the service guards.

Tests marked ``postgres`` or ``integration`` need real services. They skip when those are
not configured, except in CI (``CI=true``), where a missing service fails them.
"""

import os

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from aeo_registry.authentication import verified_keys
from aeo_registry.permissions import OFFICER, OPERATOR, SUPERVISOR
from tests.factories import MembershipFactory, StakeholderFactory, UserFactory

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, why: str) -> None:
    """Skip locally, fail in CI, when a service the test needs is missing."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI must provide this service: {why}")
    pytest.skip(why)


@pytest.fixture(autouse=True)
def _service_guards(request):
    if request.node.get_closest_marker("postgres") or request.node.get_closest_marker(
        "integration"
    ):
        require(connection.vendor == "postgresql", "needs PostgreSQL: set DATABASE_URL")
    if request.node.get_closest_marker("integration"):
        from django.conf import settings

        require(bool(settings.CELERY_BROKER_URL), "needs Redis: set REDIS_URL")


@pytest.fixture(autouse=True)
def _clean_caches():
    from django.core.cache import cache

    cache.clear()
    verified_keys.clear()
    yield


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- permission matrices ------------------------------------------------------------------------

OK = "ok"  # in a permission matrix: the role may call it (not refused, never a 5xx)


def client_as(role: str, request, machine: APIClient) -> APIClient:
    """The client of a matrix persona: anonymous, the API key, or a person fixture's name."""
    if role == "anonymous":
        return APIClient()
    if role == "machine":
        return machine
    return client_for(request.getfixturevalue(role))


def assert_answer(response, expected, refusals=(401, 403, 404, 405)) -> None:
    """``expected`` is a status, or OK: none of ``refusals`` and no server error."""
    if expected == OK:
        assert response.status_code not in refusals, response.content[:300]
        assert response.status_code < 500
    else:
        assert response.status_code == expected, response.content[:300]


@pytest.fixture
def owner(db):
    return UserFactory(username="olivia", groups=[OPERATOR])


@pytest.fixture
def stranger(db):
    return UserFactory(username="sam", groups=[OPERATOR])


@pytest.fixture
def officer(db):
    return UserFactory(username="oscar", groups=[OFFICER])


@pytest.fixture
def supervisor(db):
    return UserFactory(username="sofia", groups=[SUPERVISOR])


@pytest.fixture
def supervisor2(db):
    return UserFactory(username="stefan", groups=[SUPERVISOR])


@pytest.fixture
def stakeholder(owner):
    """A vendor in Germany that ``owner`` owns."""
    s = StakeholderFactory(legal_name="Alpha Trading GmbH", roles=["E_VENDOR", "IMPORTER"])
    MembershipFactory(user=owner, stakeholder=s)
    return s


@pytest.fixture
def other_stakeholder(stranger):
    s = StakeholderFactory(legal_name="Beta Logistics BV", country="NL", roles=["E_PLATFORM"])
    MembershipFactory(user=stranger, stakeholder=s)
    return s


@pytest.fixture
def api_key(db) -> str:
    _, key = APIKey.objects.create_key(name="risk-engine-test")
    return key


@pytest.fixture
def machine(api_key) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key}")
    return client
