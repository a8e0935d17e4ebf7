"""The dashboard is read through a browser session; the facts it shows come from the real
workflow services (submit, acceptance check, assign, propose, decide, suspend)."""

import os
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accreditation import services
from accreditation.models import Application, Authorisation
from accreditation.trust import snapshots
from tests.accreditation.conftest import answer_all
from tests.factories import MembershipFactory, StakeholderFactory


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _fresh_snapshot_store(monkeypatch):
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        monkeypatch.setattr(snapshots, "NAMESPACE", f"dashboard-test-{worker}:")
    snapshots.set_store(None)
    snapshots.get_store().flush()
    yield
    snapshots.set_store(None)


def browser_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def section(html: str, anchor: str) -> str:
    """The HTML of ``<section ... id="anchor">`` up to its end."""
    match = re.search(rf'<section[^>]*id="{anchor}"[^>]*>(.*?)</section>', html, re.S)
    assert match, f"no section #{anchor}"
    return match.group(1)


def row_of(html: str, application_id: int) -> str:
    match = re.search(rf'<tr[^>]*data-application="{application_id}"[^>]*>.*?</tr>', html, re.S)
    assert match, f"no row for application {application_id}"
    return match.group(0)


class Play:
    """Moves applications through the workflow with the services, committing as a request
    would (after-commit work runs: acceptance and examination checks, snapshots)."""

    def __init__(self, capture, owner, stakeholder, officer, supervisor) -> None:
        self.capture = capture
        self.owner = owner
        self.stakeholder = stakeholder
        self.officer = officer
        self.supervisor = supervisor

    def commit(self, fn: Callable, **kwargs: Any) -> Any:
        with self.capture(execute=True):
            return fn(**kwargs)

    def new_stakeholder(self, **kwargs: Any):
        """Another company the owner acts for (one open application per stakeholder)."""
        stakeholder = StakeholderFactory(**kwargs)
        MembershipFactory(user=self.owner, stakeholder=stakeholder)
        return stakeholder

    def draft(self, stakeholder=None, type: str = "AEOF", owner=None) -> Application:
        return services.application_create(
            actor=owner or self.owner,
            stakeholder_id=(stakeholder or self.stakeholder).pk,
            type=type,
        )

    def submitted(self, stakeholder=None, owner=None, *, check: bool = False) -> Application:
        """Received; without ``check`` the acceptance check has not run yet (SUBMITTED)."""
        application = self.draft(stakeholder, owner=owner)
        answer_all(application)
        submit = services.application_submit
        if check:
            self.commit(submit, application_id=application.pk, actor=owner or self.owner)
        else:
            submit(application_id=application.pk, actor=owner or self.owner)
        application.refresh_from_db()
        return application

    def examination(self, stakeholder=None, owner=None, officer=None) -> Application:
        application = self.submitted(stakeholder, owner, check=True)
        assert application.status == "EXAMINATION", application.checks
        services.application_assign(
            application_id=application.pk,
            actor=officer or self.officer,
            officer=officer or self.officer,
        )
        return application

    def proposed(self, *, by=None, outcome: str = "GRANT", **kwargs: Any) -> Application:
        application = self.examination(**kwargs)
        services.application_propose(
            application_id=application.pk,
            actor=by or self.officer,
            outcome=outcome,
            reasons="All criteria of UCC Art. 39 met."
            if outcome == "GRANT"
            else "Art. 39(b): no audit trail in the stock records.",
        )
        application.refresh_from_db()
        return application

    def granted(self, **kwargs: Any) -> Authorisation:
        application = self.proposed(**kwargs)
        self.commit(
            services.application_decide,
            application_id=application.pk,
            actor=self.supervisor,
            outcome="GRANT",
            reasons="Agreed with the examining officer.",
        )
        return Authorisation.objects.get(application=application)

    def suspended(self, **kwargs: Any) -> Authorisation:
        """Granted, effective (six days later) and AEOS suspended by a supervisor."""
        authorisation = self.granted(**kwargs)
        with time_machine.travel(timezone.now() + timedelta(days=6), tick=False):
            self.commit(
                services.authorisation_suspend,
                authorisation_id=authorisation.pk,
                actor=self.supervisor,
                types=["AEOS"],
                ground="CONDITIONS_NOT_MET",
                reason="Perimeter security of the Leipzig site failed the re-assessment.",
                immediate=True,
            )
        return authorisation


@pytest.fixture
def play(django_capture_on_commit_callbacks, owner, stakeholder, officer, supervisor) -> Play:
    return Play(django_capture_on_commit_callbacks, owner, stakeholder, officer, supervisor)
