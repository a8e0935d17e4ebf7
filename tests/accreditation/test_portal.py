"""The operator portal: a company's people see their own applications and authorisations and
take their steps there, through the same services as the API."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accreditation import services
from accreditation.models import Application, ApplicationTransition, Authorisation, Hearing
from tests.factories import ApplicationFactory, MembershipFactory, StakeholderFactory

from .conftest import answer_all

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"


def browser(user=None, **kwargs) -> Client:
    client = Client(**kwargs)
    if user is not None:
        client.force_login(user)
    return client


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_signing_in_leads_to_the_portal(owner):
    anonymous = Client()
    to_login = anonymous.get("/portal/applications/1/")
    assert to_login.status_code == 302
    assert to_login["Location"].startswith("/portal/login/?next=/portal/applications/1/")
    assert "Sign in" in page(anonymous, "/portal/login/")
    wrong = anonymous.post("/portal/login/", {"username": "olivia", "password": "nope"})
    assert wrong.status_code == 200 and "did not match" in wrong.content.decode()
    signed_in = anonymous.post("/portal/login/", {"username": "olivia", "password": PASSWORD})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/portal/"
    assert "My organisations" in page(anonymous, "/portal/")


def test_staff_go_to_the_dashboard_and_machines_are_refused(officer, api_key):
    assert browser(officer).get("/portal/")["Location"] == "/dashboard/"
    refused = Client().get("/portal/", HTTP_AUTHORIZATION=f"Api-Key {api_key}")
    assert refused.status_code == 403


def test_an_operator_sees_only_their_own(owner, stranger, make_application, other_stakeholder):
    mine = make_application("EXAMINATION", type="AEOC")
    theirs = ApplicationFactory(stakeholder=other_stakeholder, status="DRAFT", type="AEOS")
    html = page(browser(owner), "/portal/")
    assert "Alpha Trading GmbH" in html and f"/portal/applications/{mine.pk}/" in html
    assert "Beta Logistics BV" not in html and f"/portal/applications/{theirs.pk}/" not in html
    assert browser(owner).get(f"/portal/applications/{theirs.pk}/").status_code == 404
    assert (
        browser(owner)
        .post(f"/portal/applications/{theirs.pk}/", {"action": "withdraw"})
        .status_code
        == 404
    )
    assert Application.objects.get(pk=theirs.pk).status == "DRAFT"


def test_the_overview_takes_the_same_queries_for_two_or_six_applications(owner, make_application):
    def queries() -> int:
        client = browser(owner)
        with CaptureQueriesContext(connection) as captured:
            page(client, "/portal/")
        return len(captured)

    def another_organisation():
        organisation = StakeholderFactory(roles=["E_VENDOR"])
        MembershipFactory(user=owner, stakeholder=organisation)
        return organisation

    for _ in range(2):
        make_application("HEARING", type="AEOC", stakeholder=another_organisation())
    two = queries()
    for _ in range(4):
        make_application("INFO_REQUESTED", type="AEOS", stakeholder=another_organisation())
    assert queries() == two


def test_submitting_warns_about_missing_answers_then_submits(owner, make_application):
    application = make_application("DRAFT", type="AEOC")
    client = browser(owner)
    url = f"/portal/applications/{application.pk}/"
    html = page(client, url)
    assert "Answer the questionnaire and submit the application." in html
    assert "Required and not answered yet" in html and 'value="submit"' in html
    assert "the acceptance check will not accept it" in html

    answer_all(application)
    html = page(client, url)
    assert "Required and not answered yet" not in html
    assert "the acceptance check will not accept it" not in html
    done = client.post(url, {"action": "submit"}, follow=True).content.decode()
    assert "Application submitted." in done
    assert Application.objects.get(pk=application.pk).status == "SUBMITTED"
    step = ApplicationTransition.objects.get(application=application)
    assert (step.from_status, step.to_status, step.actor) == ("DRAFT", "SUBMITTED", owner)


def test_a_step_the_status_no_longer_allows_shows_the_services_refusal(owner, make_application):
    application = make_application("DRAFT", type="AEOC")
    client = browser(owner)
    url = f"/portal/applications/{application.pk}/"
    client.post(url, {"action": "withdraw", "reason": "Not ready."})
    assert Application.objects.get(pk=application.pk).status == "WITHDRAWN"
    again = client.post(url, {"action": "submit"}, follow=True).content.decode()  # a stale form
    assert 'class="msg error"' in again and "Cannot submit an application in status" in again
    assert 'value="submit"' not in again  # no step offered any more
    assert Application.objects.get(pk=application.pk).status == "WITHDRAWN"


def test_answering_an_information_request(owner, make_application):
    application = make_application("INFO_REQUESTED", type="AEOC", info_message="Send the lease.")
    client = browser(owner)
    url = f"/portal/applications/{application.pk}/"
    assert "Send the lease." in page(client, url)
    client.post(url, {"action": "provide-info", "comments": "Lease uploaded as 3.2.1."})
    assert Application.objects.get(pk=application.pk).status == "SUBMITTED"


def test_commenting_in_the_hearing_on_a_proposed_rejection(
    owner, officer, make_application, committed
):
    application = make_application("EXAMINATION", type="AEOC")
    committed(
        services.application_propose,
        application_id=application.pk,
        actor=officer,
        outcome="REJECT",
        reasons="No security plan for the warehouse.",
    )
    client = browser(owner)
    url = f"/portal/applications/{application.pk}/"
    html = page(client, url)
    assert "Comment on the proposed rejection" in html and "No security plan" in html
    empty = client.post(url, {"action": "hearing-response", "comments": " "}, follow=True)
    assert "Write your comments first." in empty.content.decode()
    client.post(url, {"action": "hearing-response", "comments": "Plan attached, see 3.6.1."})
    hearing = Hearing.objects.get(application=application)
    assert hearing.comments == "Plan attached, see 3.6.1." and hearing.responded_by == owner
    assert "Plan attached" in page(client, url)


def test_a_form_without_its_csrf_token_is_refused(owner, make_application):
    application = make_application("DRAFT", type="AEOC")
    client = browser(owner, enforce_csrf_checks=True)
    response = client.post(f"/portal/applications/{application.pk}/", {"action": "withdraw"})
    assert response.status_code == 403
    assert Application.objects.get(pk=application.pk).status == "DRAFT"


def test_the_holder_comments_on_a_proposed_suspension(
    owner, stranger, officer, supervisor, make_application
):
    application = make_application("DECISION_PROPOSED", type="AEOF")
    services.application_decide(
        application_id=application.pk, actor=supervisor, outcome="GRANT", reasons="ok"
    )
    authorisation = Authorisation.objects.get(application=application)
    with time_machine.travel(timezone.now() + timedelta(days=6), tick=False):
        services.authorisation_suspend(
            authorisation_id=authorisation.pk, actor=officer, types=["AEOS"],
            ground="CONDITIONS_NOT_MET", reason="Fences broken.",
        )  # fmt: skip
        client = browser(owner)
        url = f"/portal/authorisations/{authorisation.pk}/"
        html = page(client, url)
        assert authorisation.number in html and "Fences broken." in html
        assert "Proposed suspension" in page(client, "/portal/")
        assert browser(stranger).get(url).status_code == 404
        client.post(url, {"comments": "Repaired on Monday."})
    hearing = Hearing.objects.get(authorisation=authorisation)
    assert hearing.comments == "Repaired on Monday." and hearing.responded_by == owner


def _first_of_each_kind(application) -> dict:
    from accreditation.questionnaire import applicable_questions

    by_kind: dict = {}
    for question in applicable_questions(application).values():
        by_kind.setdefault(question.kind, question)
    return by_kind


def test_the_questionnaire_is_answered_in_one_form_saving_only_what_changed(
    owner, make_application
):
    from accreditation.models import Answer, AuditEvent

    application = make_application("DRAFT", type="AEOF")
    q = _first_of_each_kind(application)
    assert {"BOOLEAN", "TEXT", "CHOICE", "DOCUMENT"} <= set(q)
    client = browser(owner)
    url = f"/portal/applications/{application.pk}/questionnaire/"
    html = page(client, url)
    assert f'name="q-{q["TEXT"].code}"' in html and "Save answers" in html

    form = {f"q-{q['BOOLEAN'].code}": "yes", f"q-{q['TEXT'].code}": "  Gate log kept.  ",
            f"q-{q['CHOICE'].code}": q["CHOICE"].choices[0]["value"]}  # fmt: skip
    saved = client.post(url, form, follow=True).content.decode()
    assert "3 answers saved." in saved
    answers = Answer.objects.filter(application=application)
    values = dict(answers.values_list("question__code", "value"))
    assert values == {q["BOOLEAN"].code: True, q["TEXT"].code: "Gate log kept.",
                      q["CHOICE"].code: q["CHOICE"].choices[0]["value"]}  # fmt: skip

    form[f"q-{q['TEXT'].code}"] = "Gate log kept."  # unchanged once cleaned
    form[f"q-{q['BOOLEAN'].code}"] = ""  # cleared
    assert "1 answer saved." in client.post(url, form, follow=True).content.decode()
    assert not Answer.objects.filter(question=q["BOOLEAN"]).exists()
    last = AuditEvent.objects.filter(action="application.answers").latest("id")
    assert last.after == {"questions": [q["BOOLEAN"].code]} and last.actor == owner


def test_one_invalid_answer_saves_none_and_is_shown_at_its_question(owner, make_application):
    from accreditation.models import Answer

    application = make_application("DRAFT", type="AEOF")
    q = _first_of_each_kind(application)
    url = f"/portal/applications/{application.pk}/questionnaire/"
    bad = {f"q-{q['TEXT'].code}": "Fine.", f"q-{q['DOCUMENT'].code}": "999999"}
    response = browser(owner).post(url, bad)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was saved" in html and "No document with this id on this application." in html
    assert "Fine." in html  # what was typed is kept
    assert not Answer.objects.filter(application=application).exists()


def test_a_document_is_uploaded_then_chosen_as_an_answer(owner, make_application):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accreditation.models import Answer, Document

    from .conftest import PDF

    application = make_application("DRAFT", type="AEOF")
    question = _first_of_each_kind(application)["DOCUMENT"]
    client = browser(owner)
    url = f"/portal/applications/{application.pk}/questionnaire/"
    refused = client.post(url, {"file": SimpleUploadedFile("run.exe", b"MZ")}, follow=True)
    assert "not accepted" in refused.content.decode()
    uploaded = client.post(url, {"file": SimpleUploadedFile("plan.pdf", PDF)}, follow=True)
    assert "Document uploaded" in uploaded.content.decode()
    document = Document.objects.get(application=application)
    assert f'<option value="{document.pk}">plan.pdf</option>' in uploaded.content.decode()
    client.post(url, {f"q-{question.code}": str(document.pk)})
    assert Answer.objects.get(application=application, question=question).value == document.pk


def test_after_submission_the_questionnaire_is_read_only(owner, stranger, make_application):
    from accreditation.models import Answer

    application = make_application("EXAMINATION", type="AEOC")
    q = _first_of_each_kind(application)
    url = f"/portal/applications/{application.pk}/questionnaire/"
    html = page(browser(owner), url)
    assert "read-only" in html and "Save answers" not in html
    response = browser(owner).post(url, {f"q-{q['TEXT'].code}": "Late change."}, follow=True)
    assert 'class="msg error"' in response.content.decode()
    assert not Answer.objects.filter(application=application).exists()
    assert browser(stranger).get(url).status_code == 404


def test_a_company_onboards_through_the_portal_alone(db, settings):
    """Create an account, register the organisation, start an application, answer, submit:
    no API call, no staff."""
    from accreditation.models import Answer
    from accreditation.questionnaire import applicable_questions
    from stakeholders.models import Membership, Stakeholder

    settings.AEO_TERRITORY = ["DE"]
    client = Client()
    password = "Vessel-Harbour-2026!"
    account = {"username": "newco", "email": "a@newco.example"}

    def sign_up(first: str, second: str):
        return client.post("/portal/register/", {**account, "password": first, "password2": second})

    mismatch = sign_up(password, "other")
    assert mismatch.status_code == 400 and "The two passwords differ." in mismatch.content.decode()
    weak = sign_up("123", "123")
    assert weak.status_code == 400 and "too short" in weak.content.decode()
    created = sign_up(password, password)
    assert created["Location"] == "/portal/organisations/new/"

    organisation = {"legal_name": "NewCo Versand GmbH", "country": "DE", "address": "Kai 1",
                    "city": "Bremen", "contact_email": "customs@newco.example",
                    "id_type_0": "EORI", "id_value_0": "DE 1234-5678 9012",
                    "roles": ["E_VENDOR", "IMPORTER"], "consent_publish": "on"}  # fmt: skip
    bad = client.post("/portal/organisations/new/", {**organisation, "id_value_0": "XX1"})
    assert bad.status_code == 400 and "Nothing was registered" in bad.content.decode()
    assert 'value="NewCo Versand GmbH"' in bad.content.decode()  # what was typed is kept
    assert not Stakeholder.objects.filter(legal_name="NewCo Versand GmbH").exists()
    done = client.post("/portal/organisations/new/", organisation, follow=True)
    assert "NewCo Versand GmbH is registered; you are its owner." in done.content.decode()
    newco = Stakeholder.objects.get(legal_name="NewCo Versand GmbH")
    assert newco.identifiers.get().value == "DE123456789012" and newco.consent_publish
    assert Membership.objects.get(stakeholder=newco).role == "OWNER"

    started = client.post("/portal/applications/new/", {"stakeholder": newco.pk, "type": "AEOS"})
    application = Application.objects.get(stakeholder=newco)
    assert started["Location"] == f"/portal/applications/{application.pk}/questionnaire/"
    again = client.post(
        "/portal/applications/new/", {"stakeholder": newco.pk, "type": "AEOC"}, follow=True
    )
    assert "already has an open application" in again.content.decode()

    answer_all(application)  # the questionnaire form is tested above
    assert Answer.objects.filter(application=application).count() == len(
        applicable_questions(application)
    )
    client.post(f"/portal/applications/{application.pk}/", {"action": "submit"})
    assert Application.objects.get(pk=application.pk).status == "SUBMITTED"


def test_only_ones_own_organisation_can_apply(owner, other_stakeholder):
    response = browser(owner).post(
        "/portal/applications/new/", {"stakeholder": other_stakeholder.pk, "type": "AEOC"},
        follow=True,
    )  # fmt: skip
    assert "No stakeholder with this id that you act for." in response.content.decode()
    assert not Application.objects.filter(stakeholder=other_stakeholder).exists()


def test_sign_ups_are_throttled_per_address(db, settings):
    settings.REGISTER_THROTTLE_RATE = "2/hour"
    client = Client()
    for n in range(2):
        client.post("/portal/register/", {"username": f"u{n}", "email": "x", "password": "p"})
    refused = client.post("/portal/register/", {"username": "u9", "email": "x", "password": "p"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0


def test_members_keep_identifiers_and_declare_relationships_by_the_partners_identifier(
    owner, stakeholder, other_stakeholder, stranger
):
    from stakeholders.models import Identifier, Relationship

    partner = other_stakeholder.identifiers.first()
    client = browser(owner)
    url = f"/portal/organisations/{stakeholder.pk}/"
    assert "Alpha Trading GmbH" in page(client, url)
    assert browser(stranger).get(url).status_code == 404  # not theirs

    def post(**form) -> str:
        return client.post(url, form, follow=True).content.decode()

    post(action="add-identifier", type="LEI", value="529900T8BM49AURSDO55")
    assert stakeholder.identifiers.filter(type="LEI").exists()
    assert 'class="msg error"' in post(
        action="add-identifier", type="LEI", value="529900T8BM49AURSDO56"
    )

    declared = post(action="add-relationship", kind="SELLS_VIA", target_type=partner.type,
                    target=partner.value)  # fmt: skip
    assert "Relationship declared." in declared
    link = Relationship.objects.get(source=stakeholder)
    assert (link.target_id, link.kind) == (other_stakeholder.pk, "SELLS_VIA")
    assert link.created_by == owner
    assert "Beta Logistics BV" not in declared  # partners' names stay private
    unknown = post(action="add-relationship", kind="SELLS_VIA", target_type="EORI",
                   target="DE999999999999")  # fmt: skip
    assert "No stakeholder is registered with EORI DE999999999999." in unknown
    wrong_role = post(action="add-relationship", kind="FULFILLED_BY", target_type=partner.type,
                      target=partner.value)  # fmt: skip
    assert "FULFILMENT_CENTRE" in wrong_role

    lei = Identifier.objects.get(stakeholder=stakeholder, type="LEI")
    post(action="remove-identifier", identifier=lei.pk)
    assert not stakeholder.identifiers.filter(type="LEI").exists()


def test_only_owners_add_people(owner, stakeholder, stranger):
    from aeo_registry.permissions import OPERATOR
    from stakeholders.models import Membership
    from tests.factories import UserFactory

    colleague = UserFactory(username="colin", groups=[OPERATOR])
    url = f"/portal/organisations/{stakeholder.pk}/"
    browser(owner).post(url, {"action": "add-member", "username": "colin", "role": "MEMBER"})
    assert Membership.objects.get(user=colleague, stakeholder=stakeholder).role == "MEMBER"
    html = page(browser(colleague), url)
    assert 'value="add-member"' not in html
    browser(colleague).post(url, {"action": "add-member", "username": "sam", "role": "OWNER"})
    assert not Membership.objects.filter(user=stranger, stakeholder=stakeholder).exists()


def test_withdrawing_consent_in_the_portal_hides_the_status_from_partners_at_once(
    owner, stakeholder, stranger, django_capture_on_commit_callbacks
):
    from tests.conftest import client_for

    eori = stakeholder.identifiers.get(type="EORI").value
    partner = client_for(stranger)  # another operator checking a business partner
    assert "legal_name" in partner.get(f"/api/v1/trust/EORI/{eori}/").json()
    form = {
        "action": "edit",
        "trading_name": "Alpha",
        "address": "Kai 2",
        "city": "Kiel",
        "postal_code": "24103",
        "contact_email": "c@alpha.example",
        "contact_phone": "",
        "roles": ["E_VENDOR", "IMPORTER"],
    }  # fmt: skip  (consent boxes left unticked)
    with django_capture_on_commit_callbacks(execute=True):  # the snapshot rebuild
        saved = browser(owner).post(f"/portal/organisations/{stakeholder.pk}/", form, follow=True)
    assert "Saved." in saved.content.decode()
    stakeholder.refresh_from_db()
    assert (stakeholder.address, stakeholder.consent_publish) == ("Kai 2", False)
    item = partner.get(f"/api/v1/trust/EORI/{eori}/").json()
    assert item["restricted"] is True and "legal_name" not in item
    emptied = browser(owner).post(
        f"/portal/organisations/{stakeholder.pk}/", {**form, "address": " "}, follow=True
    )
    assert 'class="msg error"' in emptied.content.decode()
    stakeholder.refresh_from_db()
    assert stakeholder.address == "Kai 2"
