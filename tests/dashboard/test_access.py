"""Who may open the dashboard: customs officers and supervisors, through a browser session."""

import pytest
from django.test import Client

from tests.factories import UserFactory

from .conftest import browser_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages(play):
    authorisation = play.granted()
    return [
        "/dashboard/",
        f"/dashboard/applications/{authorisation.application_id}/",
        f"/dashboard/authorisations/{authorisation.pk}/",
        f"/dashboard/stakeholders/{authorisation.holder_id}/",
    ]


def test_anonymous_people_are_sent_to_the_admin_login_and_back(pages):
    for page in pages:
        response = Client().get(page)
        assert response.status_code == 302
        assert response["Location"] == f"/admin/login/?next={page}"


def test_operators_are_refused_even_on_their_own_application(pages, owner):
    browser = browser_for(owner)
    for page in pages:
        response = browser.get(page)
        assert response.status_code == 403
        assert "customs officers and supervisors" in response.content.decode()


@pytest.mark.parametrize("persona", ["officer", "supervisor"])
def test_officers_and_supervisors_see_every_page(pages, persona, request):
    browser = browser_for(request.getfixturevalue(persona))
    for page in pages:
        assert browser.get(page).status_code == 200, page


def test_a_superuser_counts_as_a_supervisor(pages):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    assert browser_for(admin).get(pages[0]).status_code == 200


def test_a_user_without_a_customs_group_is_refused(pages):
    assert browser_for(UserFactory(username="nobody")).get(pages[0]).status_code == 403


def test_api_keys_are_refused_valid_or_not(pages, api_key):
    for header in (f"Api-Key {api_key}", "Api-Key not-a-key"):
        for page in pages:
            response = Client().get(page, HTTP_AUTHORIZATION=header)
            assert response.status_code == 403, (header, page)
            assert "API keys and tokens are for the API" in response.content.decode()


def test_a_token_is_refused_even_for_an_officer(pages, officer):
    response = browser_for(officer).get(pages[0], HTTP_AUTHORIZATION="Token abc")
    assert response.status_code == 403


@pytest.mark.parametrize(
    "page",
    [
        "/dashboard/applications/999999/",
        "/dashboard/authorisations/999999/",
        "/dashboard/stakeholders/999999/",
        "/dashboard/applications/abc/",
        "/dashboard/applications/0/",
        "/dashboard/stakeholders/99999999999999999999999/",
    ],
)
def test_unknown_ids_are_404(officer, page):
    assert browser_for(officer).get(page).status_code == 404


def test_unknown_ids_do_not_tell_anonymous_people_anything():
    assert Client().get("/dashboard/applications/999999/").status_code == 302


def test_operators_cannot_run_the_chain_verification(owner):
    assert browser_for(owner).post("/dashboard/audit-chain/verify/").status_code == 403


def test_the_chain_verification_is_a_post(officer):
    assert browser_for(officer).get("/dashboard/audit-chain/verify/").status_code == 405
