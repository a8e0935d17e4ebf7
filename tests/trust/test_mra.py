import csv
import hashlib
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from accreditation.models import MraExportRun, MraPartnerRecord
from accreditation.tasks import outbox_relay_task
from stakeholders.models import Identifier

pytestmark = pytest.mark.django_db

URL = "/api/v1/trust/"

CN_LIST = """partner_id,name,country,status,since,types
CN1234567890,Shenzhen Example Trading Co,CN,ACTIVE,2024-03-01,AEOS
CN 0987654321,Ningbo Example Logistics,CN,SUSPENDED,2023-01-15,AEOF
CN12,Broken Row,CN,ACTIVE,2024-01-01,
CN5555555555,Bad Status,CN,SLEEPING,2024-01-01,
"""


def run_import(tmp_path, text, partner="CN", capsys=None, django_capture_on_commit_callbacks=None):
    path = tmp_path / "list.csv"
    path.write_text(text)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("mra_import", str(path), partner=partner)
    outbox_relay_task()


def test_partner_identifiers_answer_with_the_partner_as_source(
    tmp_path, machine, capsys, django_capture_on_commit_callbacks
):
    run_import(
        tmp_path, CN_LIST, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks
    )
    out = capsys.readouterr()
    assert "2 created, 0 updated, 0 unchanged, 2 rejected" in out.out
    assert "line 4" in out.err and "line 5" in out.err

    active = machine.get(f"{URL}CN_AEO/CN1234567890/").json()
    assert active["match"] == "FOUND" and active["source"] == "MRA:CN"
    assert active["status"] == "ACTIVE" and active["types"] == ["AEOS"]
    assert active["mra"] == [
        {"partner": "CN", "recognised": True, "partner_id": "CN1234567890", "since": "2024-03-01"}
    ]
    suspended = machine.get(f"{URL}CN_AEO/CN0987654321/").json()
    assert suspended["status"] == "SUSPENDED"
    assert suspended["suspended_types"] == ["AEOC", "AEOS"]
    before = machine.get(f"{URL}CN_AEO/CN1234567890/", {"as_of": "2024-01-01"}).json()
    assert before["status"] == "NONE"


def test_importing_the_same_file_twice_changes_nothing(
    tmp_path, capsys, django_capture_on_commit_callbacks
):
    run_import(
        tmp_path, CN_LIST, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks
    )
    first = list(MraPartnerRecord.objects.values_list("partner_id", "imported_at"))
    run_import(
        tmp_path, CN_LIST, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks
    )
    assert "0 created, 0 updated, 2 unchanged" in capsys.readouterr().out
    assert list(MraPartnerRecord.objects.values_list("partner_id", "imported_at")) == first


def test_a_registered_operator_carrying_a_partner_id_lists_the_recognition(
    tmp_path, machine, wf, django_capture_on_commit_callbacks
):
    seller = wf.register(eori=False, country="CN", roles=["E_VENDOR"])
    wf.registry_change(
        seller,
        lambda s: Identifier.objects.create(stakeholder=s, type="CN_AEO", value="CN1234567890"),
    )
    run_import(
        tmp_path, CN_LIST, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks
    )
    item = machine.get(f"{URL}CN_AEO/CN1234567890/").json()
    assert item["source"] == "REGISTRY" and item["stakeholder_id"] == seller.pk
    assert item["mra"][0]["partner"] == "CN" and item["mra"][0]["recognised"] is True


def test_an_import_without_a_partner_id_column_is_refused(
    tmp_path, django_capture_on_commit_callbacks
):
    with pytest.raises(Exception, match="Nothing was imported"):
        run_import(
            tmp_path,
            "name\nX\n",
            django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
        )


def test_the_us_export_is_a_daily_delta_of_consenting_aeos_holders_with_a_checksum(tmp_path, wf):
    consenting = wf.register(legal_name="Export One GmbH", consent_mra=True)
    Identifier.objects.create(stakeholder=consenting, type="MID", value="DEEXPONE12HAM")
    auth = wf.grant(consenting, "AEOF", effective_from=timezone.now() - timedelta(days=20))
    wf.suspend(auth, ["AEOS"], at=timezone.now() - timedelta(days=2))
    refusing = wf.register(consent_mra=False)
    wf.grant(refusing, "AEOS", effective_from=timezone.now() - timedelta(days=20))
    customs_only = wf.register(consent_mra=True)
    wf.grant(customs_only, "AEOC", effective_from=timezone.now() - timedelta(days=20))

    call_command("mra_export", partner="US", out_dir=tmp_path)
    run = MraExportRun.objects.get()
    data = (tmp_path / run.filename).read_bytes()
    assert (tmp_path / f"{run.filename}.sha256").read_text().split()[0] == run.sha256
    assert hashlib.sha256(data).hexdigest() == run.sha256
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert len(rows) == 1  # the one consenting AEOS/AEOF holder
    row = rows[0]
    assert row["name"] == "Export One GmbH" and row["status"] == "SUSPENDED"
    assert row["partner_identifier"] == "DEEXPONE12HAM"
    assert row["authorisation_no"] == auth.number and row["suspensions"]

    call_command("mra_export", partner="US", out_dir=tmp_path)
    assert MraExportRun.objects.order_by("-until").first().rows == 0  # nothing changed since
    wf.reinstate(auth, ["AEOS"])
    call_command("mra_export", partner="US", out_dir=tmp_path)
    assert MraExportRun.objects.order_by("-until").first().rows == 1
