import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accreditation.models import Criterion, ProgrammeProfile, Question
from tests.conftest import client_for
from tests.factories import MembershipFactory, StakeholderFactory

from .conftest import PDF

pytestmark = pytest.mark.django_db


def section_codes(client, application_id: int) -> list[str]:
    body = client.get(f"/api/v1/applications/{application_id}/questionnaire/").json()
    return [s["code"] for s in body["sections"]]


@pytest.mark.parametrize(
    ("aeo_type", "expected"),
    [
        ("AEOC", ["SAQ1", "SAQ2", "SAQ3", "SAQ4", "SAQ5"]),
        ("AEOS", ["SAQ1", "SAQ2", "SAQ3", "SAQ4", "SAQ6"]),
        ("AEOF", ["SAQ1", "SAQ2", "SAQ3", "SAQ4", "SAQ5", "SAQ6"]),
    ],
)
def test_the_type_decides_sections_5_and_6(owner, make_application, aeo_type, expected):
    application = make_application("DRAFT", type=aeo_type)
    assert section_codes(client_for(owner), application.pk) == expected


@pytest.mark.parametrize("role", ["E_PLATFORM", "FULFILMENT_CENTRE"])
def test_platforms_and_fulfilment_centres_get_the_e_commerce_module(owner, make_application, role):
    stakeholder = StakeholderFactory(roles=[role])
    MembershipFactory(user=owner, stakeholder=stakeholder)
    application = make_application("DRAFT", type="AEOC", stakeholder=stakeholder)
    body = client_for(owner).get(f"/api/v1/applications/{application.pk}/questionnaire/").json()
    ecom = next(s for s in body["sections"] if s["code"] == "ECOM")
    codes = {q["code"] for q in ecom["questions"]}
    assert "E.3.1" in codes  # data quality: both roles
    assert ("E.1.1" in codes) == (role == "E_PLATFORM")  # vendor vetting: platforms
    assert ("E.4.1" in codes) == (role == "FULFILMENT_CENTRE")  # stock custody


def test_a_vendor_does_not_get_the_e_commerce_module(owner, make_application):
    application = make_application("DRAFT")
    assert "ECOM" not in section_codes(client_for(owner), application.pk)


def test_every_wco_criterion_a_to_m_is_mapped_to_a_question():
    for letter in "ABCDEFGHIJKLM":
        criterion = Criterion.objects.get(code=f"WCO_{letter}")
        assert Question.objects.filter(criteria=criterion).exists(), letter


def test_every_ucc_article_39_criterion_has_its_section():
    for letter, section in zip("ABCDE", ["SAQ2", "SAQ3", "SAQ4", "SAQ5", "SAQ6"], strict=True):
        assert Question.objects.filter(
            section__code=section, criteria__code=f"UCC_39{letter}"
        ).exists()


def test_the_three_profiles_are_seeded_and_the_setting_picks_the_default(
    settings, owner, stakeholder
):
    assert set(ProgrammeProfile.objects.values_list("code", flat=True)) >= {
        "EU_UCC",
        "WCO_GENERIC",
        "US_CTPAT",
    }
    assert ProgrammeProfile.objects.get(code="US_CTPAT").revalidation_years == 4
    settings.AEO_DEFAULT_PROFILE = "WCO_GENERIC"
    response = client_for(owner).post(
        "/api/v1/applications/", {"stakeholder": stakeholder.pk, "type": "AEOC"}, format="json"
    )
    assert response.json()["profile"] == "WCO_GENERIC"


def test_the_questionnaire_shape(owner, make_application):
    application = make_application("DRAFT", type="AEOC")
    body = client_for(owner).get(f"/api/v1/applications/{application.pk}/questionnaire/").json()
    assert body["complete"] is False
    question = body["sections"][0]["questions"][3]
    assert set(question) >= {"code", "text", "kind", "required", "choices", "answer"}
    assert question["kind"] == "MULTI_CHOICE"
    assert question["choices"][0] == {"value": "IMPORT", "label": "Import"}
    assert "1.1.1" in body["missing"]


@pytest.mark.parametrize(
    ("code", "bad", "good"),
    [
        ("2.1.1", "yes", True),  # BOOLEAN
        ("1.1.1", "   ", "A GmbH."),  # TEXT
        ("1.2.1", "1000", 1000),  # NUMBER
        ("4.2.1", "31/12/2025", "2025-12-31"),  # DATE
        ("2.2.1", "MAYBE", "YES"),  # CHOICE
        ("1.3.1", ["IMPORT", "SMUGGLING"], ["IMPORT", "EXPORT"]),  # MULTI_CHOICE
        ("3.6.1", 999999, None),  # DOCUMENT
    ],
)
def test_each_answer_is_validated_by_its_kind(owner, make_application, code, bad, good):
    application = make_application("DRAFT", type="AEOC")
    client = client_for(owner)
    url = f"/api/v1/applications/{application.pk}/answers/"
    response = client.put(url, {"answers": [{"question": code, "value": bad}]}, format="json")
    assert response.status_code == 400
    assert "answers.0.value" in response.json()["errors"]
    if good is not None:
        saved = client.put(url, {"answers": [{"question": code, "value": good}]}, format="json")
        assert saved.status_code == 200
        answers = {q["code"]: q["answer"] for s in saved.json()["sections"] for q in s["questions"]}
        assert answers[code] == good


def test_a_question_that_does_not_apply_is_refused(owner, make_application):
    application = make_application("DRAFT", type="AEOC")
    response = client_for(owner).put(
        f"/api/v1/applications/{application.pk}/answers/",
        {"answers": [{"question": "6.2.1", "value": "Gates."}]},
        format="json",
    )
    assert response.status_code == 400
    assert "answers.0.question" in response.json()["errors"]


def test_answers_are_frozen_once_submitted(owner, make_application):
    application = make_application("SUBMITTED", type="AEOC")
    response = client_for(owner).put(
        f"/api/v1/applications/{application.pk}/answers/",
        {"answers": [{"question": "1.1.1", "value": "x"}]},
        format="json",
    )
    assert response.status_code == 409


def upload(client, application_id, name="policy.pdf", content=PDF):
    return client.post(
        f"/api/v1/applications/{application_id}/documents/",
        {"file": SimpleUploadedFile(name, content)},
        format="multipart",
    )


def test_a_document_answers_a_document_question(owner, make_application):
    application = make_application("DRAFT", type="AEOC")
    client = client_for(owner)
    document_id = upload(client, application.pk).json()["id"]
    response = client.put(
        f"/api/v1/applications/{application.pk}/answers/",
        {"answers": [{"question": "3.6.1", "value": document_id}]},
        format="json",
    )
    assert response.status_code == 200
    downloaded = client.get(f"/api/v1/documents/{document_id}/")
    assert downloaded.status_code == 200
    assert b"".join(downloaded.streaming_content) == PDF


def test_every_read_of_a_document_is_on_the_audit_record(
    owner, officer, stranger, make_application
):
    from accreditation.audit import audit_verify_chain
    from accreditation.models import AuditEvent

    application = make_application("DRAFT", type="AEOC")
    document_id = upload(client_for(owner), application.pk).json()["id"]
    assert client_for(officer).get(f"/api/v1/documents/{document_id}/").status_code == 200
    assert client_for(owner).get(f"/api/v1/documents/{document_id}/").status_code == 200
    assert client_for(stranger).get(f"/api/v1/documents/{document_id}/").status_code == 404
    reads = AuditEvent.objects.filter(action="document.read", target_id=str(document_id))
    assert [e.actor for e in reads.order_by("id")] == [officer, owner]  # not the refused one
    assert reads.first().after == {
        "application": application.pk,
        "name": "policy.pdf",
        "sha256": hashlib.sha256(PDF).hexdigest(),
    }
    assert audit_verify_chain() is None


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("evil.exe", b"MZ...", "not accepted"),
        ("fake.pdf", b"<html>", "not a application/pdf"),
    ],
)
def test_document_type_limits(owner, make_application, name, content, message):
    application = make_application("DRAFT")
    response = upload(client_for(owner), application.pk, name, content)
    assert response.status_code == 400
    assert message in response.json()["errors"]["file"][0]


def test_document_size_limit(owner, make_application, settings):
    settings.AEO_DOCUMENT_MAX_BYTES = 10
    application = make_application("DRAFT")
    response = upload(client_for(owner), application.pk)
    assert response.status_code == 400 and "larger" in response.json()["errors"]["file"][0]


def test_documents_are_readable_by_members_and_staff_only(
    owner, stranger, officer, make_application
):
    application = make_application("DRAFT")
    document_id = upload(client_for(owner), application.pk).json()["id"]
    assert client_for(stranger).get(f"/api/v1/documents/{document_id}/").status_code == 404
    assert client_for(officer).get(f"/api/v1/documents/{document_id}/").status_code == 200
    assert upload(client_for(stranger), application.pk).status_code == 404
