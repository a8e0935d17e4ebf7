"""Bad input anywhere gets a 400 with field messages (or a 409/404), never a 500."""

import pytest

from accreditation import services
from accreditation.models import Authorisation
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

BAD = [
    ("owner", "put", "answers/", {"answers": "all of them"}),
    ("owner", "put", "answers/", {"answers": [{"question": ["1.1.1"], "value": 1}]}),
    ("owner", "put", "answers/", {"answers": [{"value": 1}]}),
    ("owner", "put", "answers/", {"answers": [{"question": "1.2.1", "value": {"n": 1}}]}),
    ("owner", "put", "answers/", {"answers": [{"question": "1.2.1", "value": True}]}),
    ("owner", "put", "answers/", {"answers": [{"question": "4.2.1", "value": 20250101}]}),
    ("owner", "put", "answers/", {"answers": [{"question": "3.6.1", "value": "1"}]}),
    ("owner", "post", "documents/", {"file": "not a file"}),
    ("officer", "post", "assign/", {"officer": "me"}),
    ("officer", "post", "assign/", {"officer": 99999}),
    ("officer", "post", "request-info/", {}),
    ("officer", "post", "findings/", {"criterion": "UCC_39A", "severity": "BAD", "text": "t"}),
    ("officer", "post", "propose/", {"outcome": "MAYBE", "reasons": "r"}),
    ("supervisor", "post", "decide/", {"outcome": "GRANT"}),
    ("owner", "post", "hearing-response/", {"comments": ""}),
]


@pytest.mark.parametrize(
    ("who", "method", "path", "payload"),
    BAD,
    ids=[f"{m} {p} {i}" for i, (_, m, p, _) in enumerate(BAD)],
)
def test_bad_application_input(request, make_application, who, method, path, payload):
    application = make_application("DRAFT", type="AEOC")
    client = client_for(request.getfixturevalue(who))
    fmt = "multipart" if path == "documents/" else "json"
    response = getattr(client, method)(
        f"/api/v1/applications/{application.pk}/{path}", payload, format=fmt
    )
    assert response.status_code in (400, 409), response.content[:300]
    body = response.json()
    assert body["status"] == response.status_code
    if response.status_code == 400:
        assert body["errors"]


def test_assigning_a_non_officer_is_refused(officer, owner, make_application):
    application = make_application("SUBMITTED")
    response = client_for(officer).post(
        f"/api/v1/applications/{application.pk}/assign/", {"officer": owner.pk}, format="json"
    )
    assert response.status_code == 400 and "officer" in response.json()["errors"]


@pytest.mark.parametrize(
    "payload",
    [
        {"types": ["AEOF"], "ground": "HOLDER_REQUEST", "reason": "r"},
        {"types": [], "ground": "HOLDER_REQUEST", "reason": "r"},
        {"ground": "BORED", "reason": "r"},
        {"ground": "HOLDER_REQUEST"},
        {"types": "AEOS", "ground": "HOLDER_REQUEST", "reason": "r"},
    ],
)
def test_bad_suspensions(make_application, supervisor, payload):
    application = make_application("DECISION_PROPOSED", type="AEOC")
    services.application_decide(
        application_id=application.pk, actor=supervisor, outcome="GRANT", reasons="ok"
    )
    authorisation = Authorisation.objects.get()
    response = client_for(supervisor).post(
        f"/api/v1/authorisations/{authorisation.pk}/suspend/", payload, format="json"
    )
    assert response.status_code == 400, response.content[:300]


def test_suspending_a_type_not_held_is_a_400(make_application, supervisor):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    application = make_application("DECISION_PROPOSED", type="AEOC")
    services.application_decide(
        application_id=application.pk, actor=supervisor, outcome="GRANT", reasons="ok"
    )
    authorisation = Authorisation.objects.get()
    with time_machine.travel(timezone.now() + timedelta(days=6)):
        response = client_for(supervisor).post(
            f"/api/v1/authorisations/{authorisation.pk}/suspend/",
            {"types": ["AEOS"], "ground": "HOLDER_REQUEST", "reason": "r"},
            format="json",
        )
    assert response.status_code == 400 and "types" in response.json()["errors"]
