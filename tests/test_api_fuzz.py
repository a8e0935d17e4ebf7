"""Schemathesis over the OpenAPI schema, in-process (WSGI): every operation, as an officer
(knox token) and as a risk-engine API key, with a bounded number of generated requests each.
No answer may be a 5xx, and answers must match what the schema documents."""

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from aeo_registry.wsgi import application
from tests.conftest import client_for

# Few examples per operation: 53 operations x 2 callers must stay well under a minute on CI.
EXAMPLES = 10

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The WSGI handler closes "old" connections around each request, and the test's open
    transaction makes PostgreSQL's look old; Django's own test client disconnects this too."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def callers(officer, api_key, stakeholder) -> list[dict[str, str]]:
    """Each generated request is sent by both: an officer's token and a machine key."""
    _, token = AuthToken.objects.create(officer)
    return [{"Authorization": f"Token {token}"}, {"Authorization": f"Api-Key {api_key}"}]


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_a_5xx_or_outside_its_schema(case, callers):
    for headers in callers:
        response = case.call(headers=headers)
        case.validate_response(
            response,
            checks=[not_a_server_error, content_type_conformance, response_schema_conformance],
        )


# What the fuzzer found (each was a 500), kept as plain cases.
@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/applications/?stakeholder=-4.196264597020596e%2B22",
        "/api/v1/applications/?officer=1.5",
        "/api/v1/authorisations/?holder=-1.261629428237147e%2B103",
        "/api/v1/authorisations/?holder=99999999999999999999999",
    ],
)
def test_an_id_filter_no_id_can_match_gives_an_empty_page(officer, url):
    response = client_for(officer).get(url)
    assert response.status_code == 200, response.content
    assert response.json()["results"] == []


@pytest.mark.django_db
@pytest.mark.parametrize("body", [[None, None], "olivia", 7])
def test_a_login_body_that_is_not_an_object_is_a_400(api, body):
    response = api.post("/api/v1/auth/token/", body, format="json")
    assert response.status_code == 400, response.content


@pytest.mark.django_db
def test_a_url_that_matches_no_route_under_the_api_is_a_json_404(officer):
    response = client_for(officer).get("/api/v1/applications/not-a-number/")
    assert response.status_code == 404
    assert response.json() == {"status": 404, "code": "not_found", "detail": "Not found."}


@pytest.mark.django_db
def test_a_bulk_item_without_a_string_id_type_echoes_null(machine):
    response = machine.post(
        "/api/v1/trust/lookup/", {"items": [{"id": "0"}, {"id_type": 5, "id": "1"}]}, format="json"
    )
    assert [i["id_type"] for i in response.json()["items"]] == [None, None]
    assert {i["match"] for i in response.json()["items"]} == {"INVALID_FORMAT"}


@pytest.mark.django_db
def test_a_lookup_of_an_identifier_with_a_nul_byte_is_answered_and_logged(machine):
    response = machine.post(
        "/api/v1/trust/lookup/", {"items": [{"id_type": "EORI", "id": "DE\x001"}]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["items"][0]["match"] == "INVALID_FORMAT"


@pytest.mark.django_db
def test_an_as_of_with_an_odd_offset_is_answered_and_logged(machine):
    response = machine.post(
        "/api/v1/trust/lookup/",
        {"as_of": "0128-02-09T17:06:22.047-18:25", "items": [{"id_type": "EORI", "id": "DE1"}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["as_of"] == "0128-02-10T11:31:22.047000Z"
