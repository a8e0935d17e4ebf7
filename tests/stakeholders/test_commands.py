"""Management commands: staff accounts, API keys, the demo world, CSV import and export."""

import io
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework_api_key.models import APIKey

from stakeholders import csv_io
from stakeholders.identifiers import normalise
from stakeholders.models import Identifier, Membership, Relationship, Role, Stakeholder
from tests.factories import StakeholderFactory
from tests.stakeholders.conftest import LEI

pytestmark = pytest.mark.django_db
User = get_user_model()


def run(*args, **kwargs) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err, **kwargs)
    return out.getvalue(), err.getvalue()


# --- create_staff -----------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "group"), [("officer", "OFFICER"), ("supervisor", "SUPERVISOR")])
def test_create_staff_makes_an_admin_user_of_that_role(monkeypatch, role, group):
    monkeypatch.setenv("AEO_STAFF_PASSWORD", "customs-desk-2026!")
    run("create_staff", "olga", "--role", role, "--email", "olga@customs.example")
    user = User.objects.get(username="olga")
    assert user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == [group]
    assert user.check_password("customs-desk-2026!")
    assert user.has_perm("stakeholders.view_stakeholder")
    assert user.has_perm("stakeholders.change_stakeholder")
    assert user.has_perm("stakeholders.view_relationship")
    assert not user.has_perm("stakeholders.delete_stakeholder")
    assert user.has_perm("rest_framework_api_key.change_apikey") == (role == "supervisor")


def test_create_staff_prompts_for_the_password_when_not_in_the_environment(monkeypatch):
    monkeypatch.delenv("AEO_STAFF_PASSWORD", raising=False)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "customs-desk-2026!")
    run("create_staff", "olga", "--role", "officer")
    assert User.objects.get(username="olga").check_password("customs-desk-2026!")


def test_create_staff_refuses_a_weak_password(monkeypatch):
    monkeypatch.setenv("AEO_STAFF_PASSWORD", "1234")
    with pytest.raises(CommandError, match="too short"):
        run("create_staff", "olga", "--role", "officer")
    assert not User.objects.filter(username="olga").exists()


def test_create_api_key_prints_a_working_key_as_its_last_line(stakeholder):
    out, _ = run("create_api_key", "risk-engine-test")
    key = out.strip().splitlines()[-1]
    assert APIKey.objects.is_valid(key)
    assert APIKey.objects.get_from_key(key).name == "risk-engine-test"


# --- seed_demo --------------------------------------------------------------------------------


def _counts() -> tuple:
    return (
        Stakeholder.objects.count(),
        Identifier.objects.count(),
        Relationship.objects.count(),
        Membership.objects.count(),
        User.objects.count(),
        APIKey.objects.count(),
    )


def test_seed_demo_builds_a_realistic_world_and_is_idempotent():
    out, _ = run("seed_demo")
    first = _counts()
    key = out.strip().splitlines()[-1]
    assert APIKey.objects.is_valid(key)
    assert "demo-officer" in out and "demo-supervisor" in out and "demo-vendor" in out

    assert first[0] >= 60
    assert Stakeholder.objects.values("country").distinct().count() >= 10
    covered = set(Role.objects.filter(stakeholders__isnull=False).values_list("code", flat=True))
    assert covered == set(Role.objects.values_list("code", flat=True))
    types = Counter(Identifier.objects.values_list("type", flat=True))
    for id_type in ("EORI", "VAT", "LEI", "IOSS", "UPU_OPERATOR", "CN_AEO"):
        assert types[id_type] >= 1, id_type
    for identifier in Identifier.objects.all():
        assert normalise(identifier.type, identifier.value) == identifier.value
    assert set(Relationship.objects.values_list("kind", flat=True)) == {
        "SELLS_VIA", "FULFILLED_BY", "CARRIED_BY", "REPRESENTED_BY"
    }  # fmt: skip
    assert User.objects.filter(groups__name="OPERATOR", memberships__role="OWNER").exists()

    run("seed_demo")
    assert _counts() == first


# --- import / export --------------------------------------------------------------------------

HEADER = "legal_name,country,address,city,postal_code,contact_email,roles,identifiers,consent_publish,consent_mra\n"  # noqa: E501
GOOD = (
    HEADER
    + "Delta Shop GmbH,DE,Ring 1,Köln,50667,zoll@delta.example,E_VENDOR;IMPORTER,"
    + f"EORI:DE 444 555 666;LEI:{LEI},true,false\n"
    + "Epsilon Posts SA,FR,1 rue de la Poste,Paris,75001,douane@epsilon.example,POSTAL_OPERATOR,"
    + "UPU_OPERATOR:FREPS,yes,no\n"
)


def _file(tmp_path, text: str, name: str = "in.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_creates_stakeholders_with_identifiers_and_roles(tmp_path):
    out, _ = run("import_stakeholders", str(_file(tmp_path, GOOD)))
    assert "2 created" in out
    delta = Stakeholder.objects.get(legal_name="Delta Shop GmbH")
    assert set(delta.identifiers.values_list("value", flat=True)) == {"DE444555666", LEI}
    assert set(delta.roles.values_list("code", flat=True)) == {"E_VENDOR", "IMPORTER"}
    assert delta.consent_publish and not delta.consent_mra


def test_import_with_bad_rows_writes_nothing_and_names_rows_and_fields(tmp_path):
    bad = (
        GOOD
        + "Zeta Ltd,XX,Street,,,zeta@example.com,E_VENDOR,EORI:XX123,true,false\n"
        + "Eta BV,NL,Gracht 1,,,not-an-email,SMUGGLER,LEI:529900T8BM49AURSDO56,maybe,false\n"
        + f"Theta AG,DE,Weg 2,,,theta@example.com,E_VENDOR,LEI:{LEI.lower()},true,false\n"
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_stakeholders", str(_file(tmp_path, bad)), stderr=err)
    report = err.getvalue().splitlines()
    assert any(line.startswith("row 4, country:") for line in report)
    assert any(line.startswith("row 5, contact_email:") for line in report)
    assert any(line.startswith("row 5, roles:") and "SMUGGLER" in line for line in report)
    assert any(line.startswith("row 5, identifiers:") and "LEI" in line for line in report)
    assert any(line.startswith("row 5, consent_publish:") for line in report)
    assert any(line.startswith("row 6, identifiers:") and "row 2" in line for line in report)
    assert not any(line.startswith(("row 2", "row 3")) for line in report)
    assert Stakeholder.objects.count() == 0
    assert Identifier.objects.count() == 0


def test_a_file_without_required_columns_is_refused(tmp_path):
    with pytest.raises(CommandError):
        run("import_stakeholders", str(_file(tmp_path, "legal_name,country\nA,DE\n")))
    assert Stakeholder.objects.count() == 0


def test_reimporting_the_same_file_changes_nothing(tmp_path):
    path = _file(tmp_path, GOOD)
    run("import_stakeholders", str(path))
    before = (_counts(), Stakeholder.history.count(), Identifier.history.count())
    out, _ = run("import_stakeholders", str(path))
    assert "0 created, 0 updated, 2 unchanged" in out
    assert (_counts(), Stakeholder.history.count(), Identifier.history.count()) == before


def test_import_updates_a_stakeholder_matched_by_identifier(tmp_path):
    run("import_stakeholders", str(_file(tmp_path, GOOD)))
    changed = GOOD.replace("Ring 1", "Ring 99")
    out, _ = run("import_stakeholders", str(_file(tmp_path, changed, "changed.csv")))
    assert "0 created, 1 updated, 1 unchanged" in out
    assert Stakeholder.objects.get(legal_name="Delta Shop GmbH").address == "Ring 99"


def test_export_then_import_round_trips(tmp_path):
    StakeholderFactory(legal_name='Iota, "Quoted" Ltd', roles=["E_VENDOR", "EXPORTER"])
    run("import_stakeholders", str(_file(tmp_path, GOOD)))
    first = tmp_path / "first.csv"
    run("export_stakeholders", "--output", str(first))
    assert first.read_text(encoding="utf-8").splitlines()[0] == ",".join(csv_io.COLUMNS)

    out, _ = run("import_stakeholders", str(first))
    assert "0 created, 0 updated, 3 unchanged" in out

    Stakeholder.objects.all().delete()
    out, _ = run("import_stakeholders", str(first))
    assert "3 created" in out
    second = tmp_path / "second.csv"
    run("export_stakeholders", "--output", str(second))
    assert sorted(second.read_text().splitlines()) == sorted(first.read_text().splitlines())


def test_export_writes_to_standard_output_by_default(stakeholder):
    out, _ = run("export_stakeholders")
    lines = out.splitlines()
    assert lines[0] == ",".join(csv_io.COLUMNS)
    assert lines[1].startswith("Alpha Trading GmbH,")
