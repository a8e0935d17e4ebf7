import pytest

from accreditation.models import Application, ApplicationTransition, Authorisation
from tests.conftest import client_for
from tests.factories import MembershipFactory, StakeholderFactory

pytestmark = pytest.mark.django_db


def test_a_member_creates_a_draft_application(owner, stakeholder):
    response = client_for(owner).post(
        "/api/v1/applications/", {"stakeholder": stakeholder.pk, "type": "AEOS"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "DRAFT" and body["type"] == "AEOS" and body["profile"] == "EU_UCC"
    assert body["allowed_actions"] == ["answers", "documents", "submit", "withdraw"]


def test_an_operator_cannot_apply_for_someone_elses_stakeholder(stranger, stakeholder):
    response = client_for(stranger).post(
        "/api/v1/applications/", {"stakeholder": stakeholder.pk, "type": "AEOS"}, format="json"
    )
    assert response.status_code == 400
    assert "stakeholder" in response.json()["errors"]
    assert not Application.objects.exists()


def test_an_applicant_established_outside_the_territory_is_refused_with_a_clear_400(owner):
    chinese = StakeholderFactory(country="CN", eori=False)
    MembershipFactory(user=owner, stakeholder=chinese)
    response = client_for(owner).post(
        "/api/v1/applications/", {"stakeholder": chinese.pk, "type": "AEOF"}, format="json"
    )
    assert response.status_code == 400
    assert "MRA" in response.json()["errors"]["stakeholder"][0]


def test_the_territory_is_a_setting(owner, settings):
    settings.AEO_TERRITORY = ["GB"]
    british = StakeholderFactory(country="GB", eori="GB123456789012")
    MembershipFactory(user=owner, stakeholder=british)
    response = client_for(owner).post(
        "/api/v1/applications/", {"stakeholder": british.pk, "type": "AEOF"}, format="json"
    )
    assert response.status_code == 201


def test_one_open_application_per_stakeholder(owner, stakeholder, make_application):
    make_application("EXAMINATION")
    response = client_for(owner).post(
        "/api/v1/applications/", {"stakeholder": stakeholder.pk, "type": "AEOC"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "open_application_exists"


def test_a_closed_application_does_not_block_a_new_one(owner, stakeholder, make_application):
    make_application("REJECTED")
    response = client_for(owner).post(
        "/api/v1/applications/", {"stakeholder": stakeholder.pk, "type": "AEOC"}, format="json"
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    "payload", [{}, {"stakeholder": "x", "type": "AEOC"}, {"stakeholder": 1, "type": "AEOX"}]
)
def test_bad_input_gets_field_messages(owner, payload):
    response = client_for(owner).post("/api/v1/applications/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]


def test_operators_list_only_their_own_staff_list_all(
    owner, stranger, officer, make_application, other_stakeholder
):
    mine = make_application("DRAFT")
    theirs = make_application("SUBMITTED", stakeholder=other_stakeholder)
    ids = [a["id"] for a in client_for(owner).get("/api/v1/applications/").json()["results"]]
    assert ids == [mine.pk]
    staff = client_for(officer).get("/api/v1/applications/").json()["results"]
    assert {a["id"] for a in staff} == {mine.pk, theirs.pk}
    assert client_for(stranger).get(f"/api/v1/applications/{mine.pk}/").status_code == 404


def test_staff_filter_applications(officer, make_application, other_stakeholder):
    mine = make_application("EXAMINATION", type="AEOC", assigned_officer=officer, overdue=True)
    theirs = make_application("SUBMITTED", type="AEOS", stakeholder=other_stakeholder)
    client = client_for(officer)

    def ids(query: str) -> set[int]:
        return {a["id"] for a in client.get(f"/api/v1/applications/?{query}").json()["results"]}

    assert ids("status=EXAMINATION") == {mine.pk}
    assert ids("type=AEOS") == {theirs.pk}
    assert ids(f"officer={officer.pk}") == {mine.pk}
    assert ids("overdue=true") == {mine.pk}
    assert ids("country=NL") == {theirs.pk}
    assert ids("role=E_PLATFORM") == {theirs.pk}


def test_a_refused_action_is_a_409_naming_the_status_and_what_is_allowed(owner, make_application):
    application = make_application("EXAMINATION")
    response = client_for(owner).post(f"/api/v1/applications/{application.pk}/submit/")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "transition_not_allowed"
    assert body["current_status"] == "EXAMINATION"
    assert "EXAMINATION" in body["detail"]
    assert "propose" in body["allowed_actions"] and "withdraw" in body["allowed_actions"]


def test_submitting_twice_records_one_transition(owner, make_application):
    application = make_application("DRAFT")
    client = client_for(owner)
    assert client.post(f"/api/v1/applications/{application.pk}/submit/").status_code == 200
    assert client.post(f"/api/v1/applications/{application.pk}/submit/").status_code == 200
    assert ApplicationTransition.objects.filter(application=application).count() == 1


def test_four_eyes_the_proposer_cannot_decide(supervisor, make_application):
    application = make_application("EXAMINATION")
    client = client_for(supervisor)
    client.post(
        f"/api/v1/applications/{application.pk}/propose/",
        {"outcome": "GRANT", "reasons": "ok"},
        format="json",
    )
    response = client.post(
        f"/api/v1/applications/{application.pk}/decide/",
        {"outcome": "GRANT", "reasons": "ok"},
        format="json",
    )
    assert response.status_code == 403
    assert "Four eyes" in response.json()["detail"]
    application.refresh_from_db()
    assert application.status == "DECISION_PROPOSED"
    assert not Authorisation.objects.exists()


def test_deciding_twice_grants_once(supervisor, make_application):
    application = make_application("DECISION_PROPOSED")
    client = client_for(supervisor)
    for _ in range(2):
        response = client.post(
            f"/api/v1/applications/{application.pk}/decide/",
            {"outcome": "GRANT", "reasons": "ok"},
            format="json",
        )
        assert response.status_code == 200
        assert response.json()["status"] == "GRANTED"
    assert Authorisation.objects.count() == 1
    assert ApplicationTransition.objects.filter(to_status="GRANTED").count() == 1


def test_a_supervisor_can_send_a_proposal_back(supervisor, make_application):
    application = make_application("DECISION_PROPOSED")
    response = client_for(supervisor).post(
        f"/api/v1/applications/{application.pk}/decide/",
        {"outcome": "REJECT", "reasons": "Examine the solvency again."},
        format="json",
    )
    assert response.json()["status"] == "EXAMINATION"


def test_rejection_goes_through_a_hearing(owner, officer, supervisor, make_application):
    application = make_application("EXAMINATION")
    proposed = (
        client_for(officer)
        .post(
            f"/api/v1/applications/{application.pk}/propose/",
            {"outcome": "REJECT", "reasons": "Serious infringements in 2025."},
            format="json",
        )
        .json()
    )
    assert proposed["status"] == "HEARING"
    assert proposed["hearing"]["grounds"] == "Serious infringements in 2025."
    decide = {"outcome": "REJECT", "reasons": "Confirmed."}
    early = client_for(supervisor).post(
        f"/api/v1/applications/{application.pk}/decide/", decide, format="json"
    )
    assert early.status_code == 409 and early.json()["code"] == "hearing_open"

    heard = client_for(owner).post(
        f"/api/v1/applications/{application.pk}/hearing-response/",
        {"comments": "We have fixed it."},
        format="json",
    )
    assert heard.json()["hearing"]["comments"] == "We have fixed it."
    decided = client_for(supervisor).post(
        f"/api/v1/applications/{application.pk}/decide/", decide, format="json"
    )
    assert decided.json()["status"] == "REJECTED"


def test_findings_and_extension(officer, make_application):
    application = make_application("EXAMINATION")
    client = client_for(officer)
    finding = client.post(
        f"/api/v1/applications/{application.pk}/findings/",
        {"criterion": "UCC_39C", "severity": "MINOR", "text": "Low equity."},
        format="json",
    )
    assert finding.status_code == 201 and finding.json()["criterion"] == "UCC_39C"
    unknown = client.post(
        f"/api/v1/applications/{application.pk}/findings/",
        {"criterion": "NOPE", "severity": "MINOR", "text": "x"},
        format="json",
    )
    assert unknown.status_code == 400 and "criterion" in unknown.json()["errors"]
    assert client.post(f"/api/v1/applications/{application.pk}/extend/").status_code == 200
    again = client.post(f"/api/v1/applications/{application.pk}/extend/")
    assert again.status_code == 409 and again.json()["code"] == "extension_limit"


def test_the_operator_withdraws(owner, make_application):
    application = make_application("EXAMINATION")
    response = client_for(owner).post(f"/api/v1/applications/{application.pk}/withdraw/")
    assert response.json()["status"] == "WITHDRAWN"


def test_listing_applications_costs_a_fixed_number_of_queries(
    officer, make_application, django_assert_max_num_queries
):
    for _ in range(5):  # five applicants: one query per row would show
        make_application("SUBMITTED", stakeholder=StakeholderFactory())
    client = client_for(officer)
    client.get("/api/v1/applications/")  # warm the per-user group cache
    with django_assert_max_num_queries(4):
        response = client.get("/api/v1/applications/")
    assert response.json()["count"] == 5
