"""Every allowed and every refused transition of the table, one test case each."""

import pytest

from accreditation.models import ApplicationStatus, ApplicationTransition, AuditEvent
from accreditation.workflow import (
    RETURN,
    STATUS_ACTIONS,
    TRANSITIONS,
    TransitionNotAllowed,
    allowed_actions,
    require_status,
    transition,
)

STATUSES = list(ApplicationStatus.values)
CASES = [(action, status) for action in TRANSITIONS for status in STATUSES]


def _expected_target(action: str, status: str) -> str:
    target = TRANSITIONS[action].target
    return "SUBMITTED" if target == RETURN else target  # the factory returns to SUBMITTED


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "status"), CASES, ids=[f"{a}-from-{s}" for a, s in CASES])
def test_transition_follows_the_table(make_application, officer, action, status):
    application = make_application(status)
    spec = TRANSITIONS[action]
    target = _expected_target(action, status)
    events_before = AuditEvent.objects.count()

    if status in spec.sources:
        result = transition(application.pk, action, actor=officer, reason="because")
        assert result.changed
        assert result.application.status == target
        assert result.application.version == application.version + 1
        row = ApplicationTransition.objects.get(application=application)
        assert (row.from_status, row.to_status, row.action) == (status, target, action)
        assert AuditEvent.objects.count() == events_before + 1
    elif spec.idempotent and status == target:
        result = transition(application.pk, action, actor=officer)
        assert not result.changed and result.application.status == status
        assert not ApplicationTransition.objects.filter(application=application).exists()
    else:
        with pytest.raises(TransitionNotAllowed) as refused:
            transition(application.pk, action, actor=officer)
        assert refused.value.extra["current_status"] == status
        assert refused.value.extra["allowed_actions"] == allowed_actions(status)
        assert status in str(refused.value.detail)
        application.refresh_from_db()
        assert application.status == status and application.version == 0
        assert not ApplicationTransition.objects.filter(application=application).exists()
        assert AuditEvent.objects.count() == events_before


SA_CASES = [(action, status) for action in STATUS_ACTIONS for status in STATUSES]


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "status"), SA_CASES, ids=[f"{a}-in-{s}" for a, s in SA_CASES])
def test_status_bound_actions_follow_the_table(make_application, action, status):
    application = make_application(status)
    if status in STATUS_ACTIONS[action]:
        require_status(application, action)
    else:
        with pytest.raises(TransitionNotAllowed):
            require_status(application, action)


def test_final_statuses_allow_nothing():
    for status in ("GRANTED", "REJECTED", "NOT_ACCEPTED", "WITHDRAWN"):
        assert allowed_actions(status) == []


@pytest.mark.django_db
def test_information_request_returns_where_it_came_from(make_application, officer, owner):
    application = make_application("EXAMINATION")
    transition(
        application.pk, "request_info", actor=officer, changes={"info_return_status": "EXAMINATION"}
    )
    result = transition(application.pk, "provide_info", actor=owner)
    assert result.application.status == "EXAMINATION"


@pytest.mark.django_db
def test_side_effects_wait_for_the_commit(
    make_application, owner, django_capture_on_commit_callbacks
):
    application = make_application("DRAFT")
    ran = []
    with django_capture_on_commit_callbacks() as callbacks:
        transition(application.pk, "submit", actor=owner, after_commit=[lambda: ran.append(1)])
        assert ran == []
    for callback in callbacks:
        callback()
    assert ran == [1]
