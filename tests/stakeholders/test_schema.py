"""The OpenAPI schema describes every registry endpoint, without generator warnings."""

import io

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db

PATHS = {
    "/api/v1/auth/register/": {"post"},
    "/api/v1/auth/token/": {"post"},
    "/api/v1/auth/logout/": {"post"},
    "/api/v1/roles/": {"get"},
    "/api/v1/stakeholders/": {"get", "post"},
    "/api/v1/stakeholders/{stakeholder_id}/": {"get", "patch"},
    "/api/v1/stakeholders/{stakeholder_id}/identifiers/": {"post"},
    "/api/v1/stakeholders/{stakeholder_id}/identifiers/{identifier_id}/": {"delete"},
    "/api/v1/stakeholders/{stakeholder_id}/relationships/": {"get", "post"},
    "/api/v1/stakeholders/{stakeholder_id}/members/": {"post"},
    "/api/v1/stakeholders/{stakeholder_id}/history/": {"get"},
}


def test_the_schema_generates_without_warnings_and_documents_errors():
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = yaml.safe_load(out.getvalue())
    for path, methods in PATHS.items():
        assert path in schema["paths"], path
        documented = set(schema["paths"][path]) & {"get", "post", "patch", "put", "delete"}
        assert documented == methods, path
        for method in methods:
            responses = schema["paths"][path][method]["responses"]
            errors = [code for code in responses if code.startswith("4")]
            assert errors, (path, method)
            for code in errors:
                ref = responses[code]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/Error")
    assert "put" not in schema["paths"]["/api/v1/stakeholders/{stakeholder_id}/"]
