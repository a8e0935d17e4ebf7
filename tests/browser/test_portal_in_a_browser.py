"""The portal and the dashboard in a real browser (Chromium through Playwright): the forms,
CSRF tokens, redirects and messages work as a person uses them, not only as the test client
posts them."""

import os
import re
import shutil

import pytest
from django.db import connection
from django.utils import timezone

from accreditation.models import Application
from tests.accreditation.conftest import answer_all
from tests.conftest import require

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "Vessel-Harbour-2026!"


@pytest.fixture(scope="session")
def idle_sessions_ended(django_db_setup, django_db_blocker):
    """At the end of the run, before the test database is dropped: end the connections the
    live server's request threads (daemons) may still hold, or PostgreSQL refuses the drop."""
    yield
    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


@pytest.fixture
def browser(monkeypatch):
    path = shutil.which(os.environ.get("CHROMIUM_PATH", "chromium"))
    require(path is not None, "needs Chromium: apt-get install chromium (or set CHROMIUM_PATH)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # ordinary synchronous code all the same.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def test_a_company_registers_and_applies_in_the_portal(
    idle_sessions_ended, live_server, browser, settings
):
    from playwright.sync_api import expect

    settings.AEO_TERRITORY = ["DE"]
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto(f"{live_server.url}/portal/")
    expect(page).to_have_url(f"{live_server.url}/portal/login/?next=/portal/")
    page.click("text=Create one")
    page.fill("#username", "newco")
    page.fill("#email", "customs@newco.example")
    page.fill("#password", PASSWORD)
    page.fill("#password2", PASSWORD)
    page.click("button:has-text('Create the account')")
    expect(page).to_have_url(f"{live_server.url}/portal/organisations/new/")

    page.fill("#legal_name", "NewCo Versand GmbH")
    page.select_option("#country", "DE")
    page.fill("#address", "Kai 1")
    page.fill("#contact_email", "customs@newco.example")
    page.select_option("select[name=id_type_0]", "EORI")
    page.fill("input[name=id_value_0]", "DE 1234 5678 9012")
    page.check("input[name=roles][value=E_VENDOR]")
    page.click("button:has-text('Register the organisation')")
    expect(page.locator(".msg.success")).to_contain_text("NewCo Versand GmbH is registered")

    page.select_option("select[name=type]", "AEOS")
    page.click("button:has-text('Start')")
    expect(page.locator("h1")).to_contain_text("Self-assessment questionnaire")
    first_text = page.locator("textarea[name^=q-]").first
    first_text.fill("Gate log kept in the warehouse.")
    page.click("button:has-text('Save answers')")
    expect(page.locator(".msg.success")).to_contain_text("1 answer saved.")

    application = Application.objects.get(stakeholder__legal_name="NewCo Versand GmbH")
    answer_all(application)
    page.goto(f"{live_server.url}/portal/applications/{application.pk}/")
    page.click("button:has-text('Submit the application')")
    expect(page.locator(".msg.success")).to_contain_text("Application submitted.")
    # Eager Celery has run the acceptance check already; with a broker it waits for a worker.
    expect(page.locator("h1")).to_contain_text(re.compile("Submitted|Examination"))
    assert Application.objects.get(pk=application.pk).received_at <= timezone.now()
    assert errors == []


def test_an_officer_reads_the_dashboard(idle_sessions_ended, live_server, browser, officer):
    from playwright.sync_api import expect

    officer.set_password(PASSWORD)
    officer.is_staff = True
    officer.save()
    page = browser.new_page()
    page.goto(f"{live_server.url}/dashboard/")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/dashboard/")
    expect(page.locator("h1")).to_be_visible()
    page.goto(f"{live_server.url}/portal/")  # staff are sent to their own door
    expect(page).to_have_url(f"{live_server.url}/dashboard/")
