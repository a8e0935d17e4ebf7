import pytest
from django.core.management import call_command

from accreditation.models import AuditEvent, Infringement
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_an_officer_records_an_infringement(officer, stakeholder):
    response = client_for(officer).post(
        "/api/v1/infringements/",
        {
            "stakeholder": stakeholder.pk,
            "date": "2025-06-01",
            "severity": "SERIOUS",
            "description": "Smuggling of cigarettes",
            "source": "Case 2025/88",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert AuditEvent.objects.filter(action="infringement.create").count() == 1
    listed = client_for(officer).get(f"/api/v1/infringements/?stakeholder={stakeholder.pk}")
    assert [i["id"] for i in listed.json()["results"]] == [response.json()["id"]]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"stakeholder": 999999, "date": "2025-06-01"}, "stakeholder"),
        ({"date": "2999-01-01"}, "date"),
        ({"severity": "HUGE"}, "severity"),
    ],
)
def test_bad_infringements_get_field_messages(officer, stakeholder, payload, field):
    body = {
        "stakeholder": stakeholder.pk,
        "date": "2025-06-01",
        "severity": "MINOR",
        "description": "d",
        "source": "s",
        **payload,
    }
    response = client_for(officer).post("/api/v1/infringements/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_infringements_are_imported_from_a_csv_file(stakeholder, tmp_path, capsys):
    eori = stakeholder.identifiers.get(type="EORI").value
    path = tmp_path / "cases.csv"
    path.write_text(
        "eori,date,severity,description,source\n"
        f"{eori},2025-03-04,serious,Undervaluation,Case 1\n"
        "DE999999999,2025-03-04,MINOR,Unknown party,Case 2\n"
    )
    call_command("import_infringements", str(path), "--dry-run")
    assert Infringement.objects.count() == 0
    call_command("import_infringements", str(path))
    assert Infringement.objects.get().severity == "SERIOUS"
    captured = capsys.readouterr()
    assert "imported 1" in captured.out and "line 3" in captured.err
