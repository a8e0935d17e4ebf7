from datetime import timedelta

import pytest
from django.utils import timezone

from accreditation.trust import snapshots
from accreditation.trust.selectors import lookup_items
from accreditation.trust.services import snapshots_rebuild_all
from accreditation.trust.snapshots import STAFF, compute_records, get_store, redis_key
from stakeholders.models import Identifier, Role
from tests.factories import StakeholderFactory

pytestmark = pytest.mark.django_db


def item(id_type, value, at=None, viewer=STAFF):
    from accreditation.trust.selectors import Caller

    caller = Caller(label="test", throttle_ident="t", viewer=viewer)
    items, _ = lookup_items([(id_type, value)], at=at or timezone.now(), caller=caller)
    return items[0]


def stored_equals_computed():
    """Every identifier's snapshot in the store equals a recomputation from the database."""
    keys = list(Identifier.objects.values_list("type", "value"))
    computed = compute_records(keys)
    raw = get_store().read([redis_key(k) for k in keys]).values
    for key, blob in zip(keys, raw, strict=True):
        assert blob is not None, f"no snapshot for {key}"
        stored = snapshots.loads(blob)
        stored.pop("built")
        expected = dict(computed[key])
        expected.pop("built")
        assert stored == expected, key
    return True


def test_a_grant_answers_from_its_effective_date_and_not_before(wf):
    holder = StakeholderFactory(eori="DE123456789012")
    effective = timezone.now() + timedelta(days=5)
    auth = wf.grant(holder, "AEOF", effective_from=effective)

    before = item("EORI", "DE123456789012")
    assert before["match"] == "FOUND"
    assert before["status"] == "NONE" and before["types"] == []
    assert before["authorisation_no"] is None

    after = item("EORI", "DE123456789012", at=effective + timedelta(seconds=1))
    assert after["status"] == "ACTIVE"
    assert after["types"] == ["AEOC", "AEOS"]
    assert after["authorisation_no"] == auth.number
    assert after["status_since"] == snapshots.iso(effective)
    assert after["source"] == "REGISTRY"


def test_a_revocation_shows_from_its_date_while_a_week_earlier_stays_active(wf):
    holder = StakeholderFactory(eori="DE100000000001")
    now = timezone.now()
    auth = wf.grant(holder, "AEOS", effective_from=now - timedelta(days=400))
    wf.revoke(auth, at=now - timedelta(days=1))

    assert item("EORI", "DE100000000001")["status"] == "REVOKED"
    assert item("EORI", "DE100000000001")["types"] == []
    last_week = item("EORI", "DE100000000001", at=now - timedelta(days=7))
    assert last_week["status"] == "ACTIVE" and last_week["types"] == ["AEOS"]
    before_grant = item("EORI", "DE100000000001", at=now - timedelta(days=401))
    assert before_grant["status"] == "NONE"


def test_an_aeof_with_aeos_suspended_is_active_for_aeoc_only(wf):
    holder = StakeholderFactory(eori="DE100000000002")
    auth = wf.grant(holder, "AEOF", effective_from=timezone.now() - timedelta(days=30))
    suspended_at = timezone.now() - timedelta(hours=1)
    wf.suspend(auth, ["AEOS"], at=suspended_at)

    answer = item("EORI", "DE100000000002")
    assert answer["types"] == ["AEOC"]
    assert answer["suspended_types"] == ["AEOS"]
    assert answer["status"] == "ACTIVE"
    # AEOC has been active throughout: the overall status has not changed since the grant.
    assert answer["status_since"] == snapshots.iso(auth.effective_from)

    wf.suspend(auth, ["AEOC"])
    fully = item("EORI", "DE100000000002")
    assert fully["status"] == "SUSPENDED" and fully["suspended_types"] == ["AEOC", "AEOS"]


def test_any_identifier_of_a_holder_finds_it_including_its_aeo_number(wf):
    holder = StakeholderFactory(eori="DE100000000003")
    Identifier.objects.create(stakeholder=holder, type="LEI", value="529900T8BM49AURSDO55")
    auth = wf.grant(holder, "AEOC", effective_from=timezone.now() - timedelta(days=1))
    spaced = f"{auth.number[:2]} {auth.number[2:6]} {auth.number[6:]}"
    for id_type, value in [
        ("EORI", "de 100000000003"),
        ("LEI", "529900T8BM49AURSDO55"),
        ("AEO_NO", spaced),
    ]:
        answer = item(id_type, value)
        assert answer["match"] == "FOUND", id_type
        assert answer["stakeholder_id"] == holder.pk
        assert answer["types"] == ["AEOC"]


def test_an_identifier_outside_its_validity_dates_is_not_found(wf):
    holder = StakeholderFactory(eori=False)
    today = timezone.now().date()
    Identifier.objects.create(
        stakeholder=holder, type="EORI", value="DE555", valid_to=today - timedelta(days=1)
    )
    assert item("EORI", "DE555")["match"] == "NOT_FOUND"
    assert item("EORI", "DE555", at=timezone.now() - timedelta(days=3))["match"] == "FOUND"


def test_snapshot_equals_recomputation_after_every_kind_of_change(wf):
    holder = wf.register(eori="DE100000000004", consent_publish=False)
    assert stored_equals_computed()
    partner = wf.register(eori="DE100000000005")
    auth = wf.grant(holder, "AEOF", effective_from=timezone.now() - timedelta(days=10))
    assert stored_equals_computed()
    wf.suspend(auth, ["AEOS"])
    assert stored_equals_computed()
    wf.reinstate(auth, ["AEOS"])
    assert stored_equals_computed()
    wf.registry_change(holder, lambda s: s.roles.add(Role.objects.get(code="E_PLATFORM")))
    assert stored_equals_computed()
    wf.registry_change(
        holder,
        lambda s: Identifier.objects.create(stakeholder=s, type="CN_AEO", value="CN1234567890"),
    )
    assert stored_equals_computed()

    def consent(s):
        s.consent_publish = True
        s.legal_name = "Renamed GmbH"
        s.save()

    wf.registry_change(holder, consent)
    assert stored_equals_computed()
    assert item("CN_AEO", "CN1234567890")["legal_name"] == "Renamed GmbH"
    wf.revoke(auth)
    assert stored_equals_computed()
    wf.grant(partner, "AEOS", effective_from=timezone.now() + timedelta(days=5))
    assert stored_equals_computed()


def test_a_deleted_identifier_stops_answering(wf):
    holder = StakeholderFactory(eori="DE100000000006")
    wf.grant(holder, "AEOC", effective_from=timezone.now() - timedelta(days=1))
    wf.registry_change(holder, lambda s: s.identifiers.filter(type="EORI").delete())
    assert get_store().read([redis_key(("EORI", "DE100000000006"))]).values == [None]
    assert item("EORI", "DE100000000006")["match"] == "NOT_FOUND"


def test_redis_stopped_mid_test_gives_the_same_answers(wf, redis_down):
    snapshots.set_store(None)
    holder = StakeholderFactory(eori="DE100000000007")
    auth = wf.grant(holder, "AEOF", effective_from=timezone.now() - timedelta(days=10))
    wf.suspend(auth, ["AEOS"])
    asked = [("EORI", "DE100000000007"), ("AEO_NO", auth.number), ("EORI", "DE999"), ("X", "1")]
    past = timezone.now() - timedelta(days=5)

    def answers():
        out = []
        for at in (timezone.now(), past):
            for id_type, value in asked:
                answer = item(id_type, value, at=at)
                answer.pop("data_as_of")
                out.append(answer)
        return out

    with_redis = answers()
    snapshots.set_store(redis_down)  # Redis stops
    assert answers() == with_redis
    assert with_redis[0]["match"] == "FOUND" and with_redis[2]["match"] == "NOT_FOUND"


def test_rebuild_all_restores_an_emptied_store(wf):
    holder = StakeholderFactory(eori="DE100000000008")
    wf.grant(holder, "AEOC", effective_from=timezone.now() - timedelta(days=1))
    get_store().flush()
    assert snapshots_rebuild_all() == Identifier.objects.count()
    assert stored_equals_computed()


def test_the_serialised_fast_path_answers_exactly_like_rendering_from_the_record(wf):
    import orjson

    from accreditation.trust.selectors import Caller, lookup_serialised, parse_item
    from accreditation.trust.snapshots import MACHINE, Viewer

    now = timezone.now()
    holder = wf.register(eori="DE100000000009", consent_publish=False)
    auth = wf.grant(
        holder, "AEOF", effective_from=now - timedelta(days=30),
        close_monitoring_until=(now + timedelta(days=3)).date(),
    )  # fmt: skip
    wf.suspend(auth, ["AEOS"], at=now - timedelta(days=2))
    public = wf.register(eori="DE100000000010", consent_publish=True)
    wf.grant(public, "AEOS", effective_from=now + timedelta(days=5))
    asked = [("EORI", "DE100000000009"), ("EORI", "de100000000010"), ("EORI", "DE404"),
             ("EORI", "?"), ("AEO_NO", auth.number)]  # fmt: skip
    viewers = [MACHINE, STAFF, Viewer(operator=True), Viewer(operator=True, own_ids={holder.pk})]
    instants = [now, now - timedelta(days=3), now + timedelta(days=4), now + timedelta(days=6)]
    for viewer in viewers:
        caller = Caller(label="t", throttle_ident="t", viewer=viewer)
        for at in instants:
            parsed = [parse_item(t, v) for t, v in asked]
            fast, _, _, _ = lookup_serialised(asked, at=at, caller=caller, parsed=parsed)
            slow, _ = lookup_items(asked, at=at, caller=caller)
            for f, s in zip(fast, slow, strict=True):
                f = orjson.loads(f)
                if s["match"] == "NOT_FOUND":
                    f.pop("data_as_of"), s.pop("data_as_of")
                assert f == s, (viewer, at)


def test_the_sweep_rebuilds_everything_when_the_store_lost_its_data(wf):
    from accreditation.trust.services import trust_sweep

    wf.register(eori="DE100000000011")
    get_store().flush()  # Redis restarted empty
    assert trust_sweep()["rebuilt"] == 1
    assert stored_equals_computed()
    assert trust_sweep()["rebuilt"] == 0  # complete: nothing to do


def test_the_rebuild_command_shows_progress_and_rebuilds_all(wf, capsys):
    from django.core.management import call_command

    wf.register(eori="DE100000000012")
    get_store().flush()
    call_command("rebuild_trust_snapshots", "--flush")
    out = capsys.readouterr()
    assert "Rebuilt 1 trust snapshots." in out.out
    assert "1/1" in out.err  # the progress bar
    assert stored_equals_computed()
    assert holder_count_is(1)


def holder_count_is(n):
    return Identifier.objects.count() == n


@pytest.mark.postgres
def test_the_postgresql_statement_computes_the_same_records_as_the_orm(wf, tmp_path):
    from accreditation.models import MraPartnerRecord
    from accreditation.trust.snapshots import _compute_records_orm, _compute_records_pg

    now = timezone.now()
    holder = wf.register(eori="DE100000000013", roles=["E_VENDOR", "IMPORTER"])
    Identifier.objects.create(stakeholder=holder, type="CN_AEO", value="CN1111111111")
    MraPartnerRecord.objects.create(
        partner="CN", id_type="CN_AEO", partner_id="CN1111111111", status="ACTIVE",
        types=["AEOS"], since=now.date(), imported_at=now,
    )  # fmt: skip
    MraPartnerRecord.objects.create(
        partner="US", id_type="CTPAT", partner_id="CTPAT123456", status="SUSPENDED",
        imported_at=now,
    )  # fmt: skip
    auth = wf.grant(holder, "AEOF", effective_from=now - timedelta(days=9),
                    close_monitoring_until=now.date())  # fmt: skip
    wf.suspend(auth, ["AEOC"], at=now - timedelta(days=1))
    wf.revoke(auth, at=now)
    wf.grant(holder, "AEOS", effective_from=now + timedelta(days=1))
    keys = [*Identifier.objects.values_list("type", "value"), ("CTPAT", "CTPAT123456"),
            ("EORI", "DE0")]  # fmt: skip
    pg, orm = _compute_records_pg(keys), _compute_records_orm(keys)
    for key in keys:
        if pg[key] is not None:
            pg[key].pop("built"), orm[key].pop("built")
        assert pg[key] == orm[key], key
