"""Accounts: operators register, exchange a password for an expiring hashed token, log out."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from aeo_registry.permissions import OPERATOR

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
TOKEN = "/api/v1/auth/token/"
PASSWORD = "correct-horse-battery-staple"


def test_a_visitor_registers_as_an_operator(api):
    response = api.post(
        REGISTER, {"username": "nina", "password": PASSWORD, "email": "nina@shop.example"}
    )
    assert response.status_code == 201
    assert response.json() == {"id": response.json()["id"], "username": "nina",
                               "email": "nina@shop.example"}  # fmt: skip
    user = get_user_model().objects.get(username="nina")
    assert list(user.groups.values_list("name", flat=True)) == [OPERATOR]
    assert not user.is_staff
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"username": "nina", "password": "123", "email": "n@x.example"}, "password"),
        ({"username": "nina", "password": "password", "email": "n@x.example"}, "password"),
        ({"username": "nina", "password": "nina@x.example", "email": "nina@x.example"}, "password"),
        ({"username": "nina", "password": PASSWORD, "email": "nope"}, "email"),
        ({"username": "ni na", "password": PASSWORD, "email": "n@x.example"}, "username"),
        ({"username": "olivia", "password": PASSWORD, "email": "n@x.example"}, "username"),
        ({"password": PASSWORD, "email": "n@x.example"}, "username"),
    ],
)
def test_registration_is_refused_with_the_field(api, owner, payload, field):
    response = api.post(REGISTER, payload)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_registration_is_throttled(api, settings):
    settings.REGISTER_THROTTLE_RATE = "2/hour"
    for n in range(2):
        api.post(REGISTER, {"username": f"u{n}", "password": PASSWORD, "email": "u@x.example"})
    response = api.post(REGISTER, {"username": "u9", "password": PASSWORD, "email": "u@x.example"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_a_token_is_issued_for_good_credentials_and_stored_hashed(api, owner, stakeholder):
    response = api.post(TOKEN, {"username": "olivia", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expiry"}
    stored = AuthToken.objects.get(user=owner)
    assert body["token"] not in (stored.digest, stored.token_key)
    assert stored.expiry > timezone.now()

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert client.get(f"/api/v1/stakeholders/{stakeholder.pk}/").status_code == 200


@pytest.mark.parametrize(
    "payload",
    [
        {"username": "olivia", "password": "wrong"},
        {"username": "nobody", "password": PASSWORD},
        {"username": "olivia"},
    ],
)
def test_bad_credentials_are_a_400_in_the_error_shape(api, owner, payload):
    response = api.post(TOKEN, payload)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["errors"]
    assert not AuthToken.objects.exists()


def test_login_attempts_are_throttled_with_retry_after(api, owner, settings):
    settings.LOGIN_THROTTLE_RATE = "3/min"
    for _ in range(3):
        assert api.post(TOKEN, {"username": "olivia", "password": "wrong"}).status_code == 400
    response = api.post(TOKEN, {"username": "olivia", "password": PASSWORD})
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert response.json()["status"] == 429


def test_login_throttle_counts_per_username_across_addresses(owner, settings):
    settings.LOGIN_THROTTLE_RATE = "2/min"
    for n in range(2):
        APIClient(REMOTE_ADDR=f"10.0.0.{n}").post(TOKEN, {"username": "olivia", "password": "x"})
    response = APIClient(REMOTE_ADDR="10.0.0.9").post(
        TOKEN, {"username": "olivia", "password": PASSWORD}
    )
    assert response.status_code == 429


@pytest.mark.parametrize("form", ["/admin/login/", "/portal/login/"])
def test_sign_in_forms_share_the_login_budget_per_username(api, officer, settings, form):
    """The admin's and the portal's forms are doors too: counted with the API's token login,
    per username across addresses, 429 with Retry-After once over."""
    from django.test import Client

    settings.LOGIN_THROTTLE_RATE = "3/min"
    assert api.post(TOKEN, {"username": "oscar", "password": "wrong"}).status_code == 400
    for n in range(2):
        page = Client(REMOTE_ADDR=f"10.0.1.{n}").post(form, {"username": "oscar", "password": "x"})
        assert page.status_code == 200  # the form again, with its error
    refused = Client(REMOTE_ADDR="10.0.1.9").post(form, {"username": "oscar", "password": PASSWORD})
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert api.post(TOKEN, {"username": "oscar", "password": PASSWORD}).status_code == 429
    assert Client().get(form).status_code == 200  # showing the form is not an attempt


def test_a_token_stops_working_when_it_expires(api, owner, settings):
    token = api.post(TOKEN, {"username": "olivia", "password": PASSWORD}).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/stakeholders/").status_code == 200
    ttl = settings.REST_KNOX["TOKEN_TTL"]
    with time_machine.travel(timezone.now() + ttl + timedelta(minutes=1)):
        assert client.get("/api/v1/stakeholders/").status_code == 401


def test_logout_revokes_the_token(api, owner):
    token = api.post(TOKEN, {"username": "olivia", "password": PASSWORD}).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert client.get("/api/v1/stakeholders/").status_code == 401


def test_a_user_at_the_token_limit_still_signs_in_and_the_oldest_token_retires(
    api, owner, settings
):
    from knox.settings import knox_settings

    settings.LOGIN_THROTTLE_RATE = "100/min"
    limit = knox_settings.TOKEN_LIMIT_PER_USER
    for _ in range(limit + 2):
        assert api.post(TOKEN, {"username": "olivia", "password": PASSWORD}).status_code == 200
    assert AuthToken.objects.filter(user=owner).count() == limit
