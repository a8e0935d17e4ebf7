"""The detail pages show every fact the workflow recorded, as the services recorded it."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accreditation import services
from accreditation.models import (
    Application,
    ApplicationTransition,
    AuditEvent,
    Document,
)
from stakeholders.models import Relationship
from stakeholders.services import stakeholder_update
from tests.accreditation.conftest import PDF
from tests.factories import InfringementFactory, StakeholderFactory

from .conftest import browser_for, section

pytestmark = pytest.mark.django_db


def page(user, url: str) -> str:
    response = browser_for(user).get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def granted(play, officer, supervisor):
    """An AEOF application played to the grant, with an officer's finding and an extension."""
    application = play.examination()
    services.finding_add(
        application_id=application.pk,
        actor=officer,
        criterion="UCC_39B",
        severity="MINOR",
        text="Stock records reconcile monthly, not daily.",
    )
    services.application_extend(
        application_id=application.pk, actor=officer, reason="Site visit in Leipzig pending."
    )
    services.application_propose(
        application_id=application.pk,
        actor=officer,
        outcome="GRANT",
        reasons="All criteria of UCC Art. 39 met.",
    )
    play.commit(
        services.application_decide,
        application_id=application.pk,
        actor=supervisor,
        outcome="GRANT",
        reasons="Agreed with the examining officer.",
    )
    return Application.objects.get(pk=application.pk)


class TestApplicationPage:
    def test_status_dates_extension_and_officer(self, granted, officer):
        html = section(page(officer, f"/dashboard/applications/{granted.pk}/"), "dates")
        assert "GRANTED" in html
        assert f"{granted.received_at:%Y-%m-%d %H:%M}" in html
        assert f"{granted.accepted_at:%Y-%m-%d %H:%M}" in html
        assert f"{granted.decision_due:%Y-%m-%d %H:%M}" in html
        assert "1 of 1" in html
        assert "Site visit in Leipzig pending." in html
        assert ">oscar<" in html or "oscar" in html

    def test_the_applicant_with_identifiers_roles_and_relationships(self, granted, officer):
        stakeholder = granted.stakeholder
        platform = StakeholderFactory(legal_name="Gamma Marketplace SE", roles=["E_PLATFORM"])
        Relationship.objects.create(
            source=stakeholder, target=platform, kind="SELLS_VIA", valid_from="2025-01-01"
        )
        html = section(page(officer, f"/dashboard/applications/{granted.pk}/"), "stakeholder")
        assert "Alpha Trading GmbH" in html
        assert stakeholder.identifiers.get(type="EORI").value in html
        assert "E_VENDOR" in html and "IMPORTER" in html
        assert "Gamma Marketplace SE" in html
        assert "sells via (platform)" in html

    def test_profile_clocks(self, granted, officer):
        html = section(page(officer, f"/dashboard/applications/{granted.pk}/"), "profile")
        assert "EU_UCC" in html
        assert "30 days from receipt" in html
        assert "120 days from acceptance" in html

    def test_checks_and_findings(self, granted, officer):
        html = page(officer, f"/dashboard/applications/{granted.pk}/")
        checks = section(html, "checks")
        for check in granted.checks:
            assert check["code"] in checks
        assert "compliance_record" in checks  # an examination check's automated finding
        findings = section(html, "findings")
        assert "Stock records reconcile monthly, not daily." in findings
        assert "UCC_39B" in findings and "MINOR" in findings

    def test_answers_by_section_with_documents_as_download_links(self, granted, officer):
        html = section(page(officer, f"/dashboard/applications/{granted.pk}/"), "questionnaire")
        assert "SAQ1" in html
        assert "Answer to 1.1.1." in html
        document = Document.objects.filter(application=granted).first()
        assert f'href="/api/v1/documents/{document.pk}/"' in html
        # ...and the link works for the officer's session.
        assert browser_for(officer).get(f"/api/v1/documents/{document.pk}/").status_code == 200

    def test_proposal_decision_and_authorisation(self, granted, officer):
        html = section(page(officer, f"/dashboard/applications/{granted.pk}/"), "decision")
        assert "All criteria of UCC Art. 39 met." in html
        assert "Agreed with the examining officer." in html
        assert "oscar" in html and "sofia" in html
        assert f"{granted.decided_at:%Y-%m-%d %H:%M}" in html
        assert granted.authorisation.number in html

    def test_the_transition_history(self, granted, officer):
        html = section(page(officer, f"/dashboard/applications/{granted.pk}/"), "transitions")
        for t in ApplicationTransition.objects.filter(application=granted):
            assert f"<code>{t.action}</code>" in html
            assert f"{t.from_status} → <b>{t.to_status}</b>" in html
        assert "UCC Arts 22(3), 38" in html
        assert "Acceptance checks passed." in html

    def test_the_audit_events_with_their_hashes(self, granted, officer):
        html = section(page(officer, f"/dashboard/applications/{granted.pk}/"), "audit")
        events = AuditEvent.objects.filter(target_type="application", target_id=str(granted.pk))
        assert events.count() >= 8
        for event in events:
            assert event.hash in html
            assert event.action in html

    def test_document_uploads_are_among_the_audit_events(self, play, officer, owner):
        application = play.draft()
        document = services.document_upload(
            application_id=application.pk,
            actor=owner,
            file=SimpleUploadedFile("ledger.pdf", PDF, content_type="application/pdf"),
        )
        html = page(officer, f"/dashboard/applications/{application.pk}/")
        event = AuditEvent.objects.get(target_type="document", target_id=str(document.pk))
        assert event.hash in section(html, "audit")
        assert f'href="/api/v1/documents/{document.pk}/">ledger.pdf' in section(
            html, "questionnaire"
        )

    def test_information_requests_and_their_answers(self, play, officer, owner):
        application = play.submitted(check=True)
        services.application_request_info(
            application_id=application.pk, actor=officer, message="Send the 2025 accounts."
        )
        html = section(page(officer, f"/dashboard/applications/{application.pk}/"), "info-requests")
        assert "Send the 2025 accounts." in html
        assert "awaiting" in html
        play.commit(
            services.application_provide_info,
            application_id=application.pk,
            actor=owner,
            comments="Uploaded.",
        )
        html = section(page(officer, f"/dashboard/applications/{application.pk}/"), "info-requests")
        assert "olivia" in html and "Uploaded." in html

    def test_hearing_of_a_proposed_rejection(self, play, officer):
        application = play.proposed(outcome="REJECT")
        hearing = application.hearings.get()
        html = section(page(officer, f"/dashboard/applications/{application.pk}/"), "hearings")
        assert "REJECTION" in html
        assert "no audit trail in the stock records" in html
        assert f"{hearing.deadline:%Y-%m-%d %H:%M}" in html

    def test_the_current_clock_is_red_when_overdue(self, play, officer):
        application = play.submitted()
        with time_machine.travel(application.acceptance_due + timedelta(hours=1), tick=False):
            html = section(page(officer, f"/dashboard/applications/{application.pk}/"), "dates")
        assert '<dd class="urgent">acceptance due' in html


class TestAuthorisationPage:
    def test_status_now_history_measures_and_trust_item(self, play, officer):
        authorisation = play.suspended()
        with time_machine.travel(timezone.now() + timedelta(days=7), tick=False):
            html = page(officer, f"/dashboard/authorisations/{authorisation.pk}/")
        status = section(html, "status")
        assert authorisation.number in html
        assert "Alpha Trading GmbH" in status
        assert 'AEOC</td><td><span class="badge s-ACTIVE">ACTIVE' in status
        assert 'AEOS</td><td><span class="badge s-SUSPENDED">SUSPENDED' in status

        history = section(html, "history")
        assert history.count("<tr>") == 4  # header + AEOC active + AEOS active, suspended
        assert "CONDITIONS_NOT_MET" in history
        assert "Perimeter security of the Leipzig site" in history
        assert "sofia" in history

        suspension = authorisation.suspensions.get()
        measures = section(html, "measures")
        assert f"{suspension.expires_at:%Y-%m-%d}" in measures
        assert "running" in measures

        trust = section(html, "trust")
        eori = authorisation.holder.identifiers.get(type="EORI").value
        assert f"EORI {eori}" in trust
        assert "FOUND" in trust
        assert "<td>AEOS</td>" in trust  # suspended types
        assert authorisation.number in trust

        audit = section(html, "audit")
        assert "authorisation.grant" in audit and "authorisation.suspend" in audit
        for event in AuditEvent.objects.filter(
            target_type="authorisation", target_id=str(authorisation.pk)
        ):
            assert event.hash in audit

    def test_a_grant_not_yet_effective_says_so(self, play, officer):
        authorisation = play.granted()
        html = section(page(officer, f"/dashboard/authorisations/{authorisation.pk}/"), "status")
        assert html.count("not yet effective") == 2

    def test_an_officer_suspension_opens_a_hearing_shown_with_its_measure(self, play, officer):
        authorisation = play.granted()
        with time_machine.travel(timezone.now() + timedelta(days=6), tick=False):
            play.commit(
                services.authorisation_suspend,
                authorisation_id=authorisation.pk,
                actor=officer,
                types=["AEOC"],
                ground="INVESTIGATION",
                reason="Investigation of undervaluation.",
            )
            html = section(
                page(officer, f"/dashboard/authorisations/{authorisation.pk}/"), "hearings"
            )
        assert "SUSPENSION" in html
        assert "SUSPEND AEOC" in html
        assert "Investigation of undervaluation." in html


class TestStakeholderPage:
    def test_facts_history_applications_authorisations_infringements(
        self, play, officer, owner, stakeholder
    ):
        authorisation = play.granted()
        InfringementFactory(
            stakeholder=stakeholder, description="Late declaration of goods", recorded_by=officer
        )
        html = page(officer, f"/dashboard/stakeholders/{stakeholder.pk}/")
        facts = section(html, "facts")
        assert "Alpha Trading GmbH" in facts and "olivia" in facts
        assert stakeholder.identifiers.get(type="EORI").value in facts
        assert f"/dashboard/applications/{authorisation.application_id}/" in section(
            html, "applications"
        )
        authorisations = section(html, "authorisations")
        assert authorisation.number in authorisations
        assert "not yet effective" in authorisations
        infringements = section(html, "infringements")
        assert "Late declaration of goods" in infringements and "oscar" in infringements

    def test_field_level_history_says_who_changed_what(self, officer, owner, stakeholder):
        stakeholder_update(owner, stakeholder, {"city": "Bremen", "roles": ["E_VENDOR"]})
        html = section(page(officer, f"/dashboard/stakeholders/{stakeholder.pk}/"), "history")
        assert "<b>city</b>" in html
        assert "Hamburg</span> → Bremen" in html
        assert "<b>roles</b>" in html
        assert "E_VENDOR, IMPORTER</span> → E_VENDOR" in html
        assert "olivia" in html
