"""The snapshot a lookup is served from equals what the database says, after every action of the
REAL services (registry and workflow), for every identifier of the holder and at every instant
that matters: now, the grant's effective date, before the grant and after the revocation.

"Served" is the real single-lookup endpoint reading the configured snapshot store (Redis when
TRUST_SNAPSHOT_REDIS_URL is set, the in-process store otherwise); "recomputed" is the same
endpoint with the store unreachable, i.e. the PostgreSQL/SQLite fallback path.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from accreditation import services as accreditation
from accreditation.models import Application, Authorisation
from accreditation.questionnaire import applicable_questions
from accreditation.trust import snapshots
from stakeholders import services as registry
from stakeholders.models import Identifier, Stakeholder
from tests.accreditation.conftest import sample_value
from tests.conftest import client_for, require

pytestmark = pytest.mark.django_db


@pytest.fixture
def commit(django_capture_on_commit_callbacks) -> Callable:
    """Run a service and then its after-commit work (outbox → snapshot rebuild), as a commit
    would; nested after-commit work runs too."""

    def call(fn: Callable, *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return call


class Checker:
    """Compares served and recomputed items for every key the holder ever had."""

    def __init__(self, holder: Stakeholder, viewers: list, unreachable) -> None:
        self.holder = holder
        self.viewers = viewers
        self.unreachable = unreachable
        self.keys: set[tuple[str, str]] = set()
        self.instants: dict[str, datetime] = {}
        self.checks = 0

    def _get(self, client, key, at: datetime | None):
        url = f"/api/v1/trust/{key[0]}/{key[1]}/"
        params = {"as_of": snapshots.iso(at)} if at else {}
        response = client.get(url, params)
        assert response.status_code in (200, 404), response.content
        body = response.json()
        body.pop("data_as_of")
        return body

    def __call__(self, step: str) -> None:
        current = set(self.holder.identifiers.values_list("type", "value"))
        self.keys |= current
        store = snapshots.get_store()
        stored = store.read([snapshots.redis_key(k) for k in sorted(self.keys)]).values
        for key, blob in zip(sorted(self.keys), stored, strict=True):
            # A current identifier is in the store (so "served" really is the snapshot); a
            # removed one is gone from it.
            assert (blob is not None) == (key in current), (step, key)
        instants = [None, *self.instants.values()]
        served = {
            (key, at, i): self._get(client, key, at)
            for key in sorted(self.keys)
            for at in instants
            for i, client in enumerate(self.viewers)
        }
        snapshots.set_store(self.unreachable)
        try:
            for (key, at, i), item in served.items():
                assert self._get(self.viewers[i], key, at) == item, (step, key, at, i)
                self.checks += 1
        finally:
            snapshots.set_store(store)
        for key in current:
            assert served[(key, None, 0)]["match"] == "FOUND", (step, key)


def answer_all_through_the_service(application: Application, actor) -> None:
    answers = [
        {"question": code, "value": sample_value(question, application)}
        for code, question in applicable_questions(application).items()
    ]
    accreditation.answers_save(application_id=application.pk, actor=actor, answers=answers)


def play_the_whole_life_of_an_aeof(
    commit, owner, officer, supervisor, stakeholder, other_stakeholder, check: Checker
) -> Authorisation:
    start = timezone.now() - timedelta(days=40)
    with time_machine.travel(start, tick=True):
        check("registered")
        application = commit(
            accreditation.application_create, actor=owner, stakeholder_id=stakeholder.pk,
            type="AEOF",
        )  # fmt: skip
        answer_all_through_the_service(application, owner)
        commit(accreditation.application_submit, application_id=application.pk, actor=owner)
        application.refresh_from_db()
        assert application.status == "EXAMINATION", application.checks
        check("submitted and accepted")
        commit(
            accreditation.application_assign, application_id=application.pk, actor=officer,
            officer=officer,
        )  # fmt: skip
        commit(
            accreditation.application_propose, application_id=application.pk, actor=officer,
            outcome="GRANT", reasons="All criteria met.",
        )  # fmt: skip
        before_grant = timezone.now()
        commit(
            accreditation.application_decide, application_id=application.pk, actor=supervisor,
            outcome="GRANT", reasons="Agreed.",
        )  # fmt: skip
        authorisation = Authorisation.objects.get(application=application)
        check.instants["before the grant"] = before_grant
        check.instants["at the effective date"] = authorisation.effective_from
        check("granted, not yet effective")

    # The grant is effective now (decided 40 days ago, effective 5 days later).
    check("granted and effective")
    commit(
        accreditation.authorisation_suspend, authorisation_id=authorisation.pk, actor=supervisor,
        types=["AEOS"], ground="INVESTIGATION", reason="Seal irregularities.", immediate=True,
    )  # fmt: skip
    check("AEOS suspended")
    commit(
        accreditation.authorisation_extend_suspension, authorisation_id=authorisation.pk,
        actor=supervisor, reason="Investigation continues.",
    )  # fmt: skip
    check("suspension extended")
    commit(
        accreditation.authorisation_reinstate, authorisation_id=authorisation.pk,
        actor=supervisor, reason="Remedied.",
    )  # fmt: skip
    check("reinstated")
    proposed = commit(
        accreditation.authorisation_suspend, authorisation_id=authorisation.pk, actor=officer,
        types=["AEOS"], ground="CONDITIONS_NOT_MET", reason="Fences broken.",
    )  # fmt: skip
    assert not proposed.applied
    check("suspension proposed, the holder to be heard")
    commit(
        accreditation.authorisation_withdraw_measure, authorisation_id=authorisation.pk,
        actor=officer, reason="Repaired on site.",
    )  # fmt: skip
    check("proposed suspension withdrawn")

    registry_actions(commit, owner, stakeholder, other_stakeholder, check)

    result = commit(
        accreditation.authorisation_revoke, authorisation_id=authorisation.pk, actor=supervisor,
        reason="Serious infringement.", immediate=True,
    )  # fmt: skip
    assert result.applied
    check.instants["after the revocation"] = timezone.now() + timedelta(days=1)
    check("revoked")
    return authorisation


def registry_actions(commit, owner, stakeholder, other_stakeholder, check: Checker) -> None:
    lei = commit(
        registry.identifier_add, owner, stakeholder,
        {"type": "LEI", "value": "529900T8BM49AURSDO55"},
    )  # fmt: skip
    check("identifier added")
    commit(registry.identifier_remove, owner, stakeholder, lei.pk)
    check("identifier removed")
    commit(registry.stakeholder_update, owner, stakeholder, {"consent_publish": False})
    check("consent withdrawn")
    commit(registry.stakeholder_update, owner, stakeholder, {"roles": ["E_VENDOR", "EXPORTER"]})
    check("roles changed")
    commit(
        registry.relationship_create, owner, stakeholder,
        {"kind": "SELLS_VIA", "target": other_stakeholder.pk},
    )  # fmt: skip
    check("relationship declared")


@pytest.fixture
def stakeholder(owner, commit) -> Stakeholder:
    """A vendor registered through the registry's service (so its snapshot exists)."""
    return commit(
        registry.stakeholder_create,
        owner,
        {
            "legal_name": "Alpha Trading GmbH",
            "country": "DE",
            "address": "Hafenstrasse 1",
            "city": "Hamburg",
            "postal_code": "20457",
            "contact_email": "customs@alpha.example",
            "consent_publish": True,
            "identifiers": [
                {"type": "EORI", "value": "DE123456789012345"},
                {"type": "IOSS", "value": "IM2760000001"},
            ],
            "roles": ["E_VENDOR", "IMPORTER"],
        },
    )


@pytest.fixture
def checker(stakeholder, officer, machine, unreachable_store, settings, tmp_path) -> Checker:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # A machine key (served from the pre-serialised fragment) and an officer (rendered from
    # the stored record): both paths of the hot path.
    return Checker(stakeholder, [machine, client_for(officer)], unreachable_store)


@pytest.fixture
def unreachable_store():
    return snapshots.RedisSnapshotStore("redis://127.0.0.1:9/0", timeout=0.05)


def test_the_snapshot_equals_the_recomputation_after_every_workflow_and_registry_action(
    commit, owner, officer, supervisor, stakeholder, other_stakeholder, checker, machine
):
    if settings.TRUST_SNAPSHOT_REDIS_URL:
        assert isinstance(snapshots.get_store(), snapshots.RedisSnapshotStore)
    authorisation = play_the_whole_life_of_an_aeof(
        commit, owner, officer, supervisor, stakeholder, other_stakeholder, checker
    )
    # The answers were about something: the test saw a grant, a suspension and a revocation.
    assert checker.checks > 100
    assert checker.keys >= {("EORI", stakeholder.identifiers.get(type="EORI").value)}
    assert not Identifier.objects.filter(type="LEI").exists()
    assert authorisation.intervals.filter(status="SUSPENDED").exists()
    assert authorisation.intervals.filter(status="REVOKED").exists()

    # The authorisation number is one of the holder's identifiers from the grant on.
    assert ("AEO_NO", authorisation.number) in checker.keys
    found = machine.get(
        f"/api/v1/trust/AEO_NO/{authorisation.number}/",
        {"as_of": snapshots.iso(checker.instants["at the effective date"])},
    )
    assert found.status_code == 200
    assert found.json()["stakeholder_id"] == stakeholder.pk
    assert found.json()["status"] == "ACTIVE"


@pytest.mark.integration
def test_ci_runs_the_consistency_test_against_redis():
    """The test above runs on whatever store is configured; with PostgreSQL + Redis (CI's
    second run) that must be Redis, or the snapshot path in production goes untested."""
    require(bool(settings.TRUST_SNAPSHOT_REDIS_URL), "needs TRUST_SNAPSHOT_REDIS_URL or REDIS_URL")
    assert isinstance(snapshots.get_store(), snapshots.RedisSnapshotStore)
