"""Every identifier type: what is accepted (and how it is stored) and what is refused."""

import pytest

from stakeholders.identifiers import InvalidIdentifier, normalise, parse_aeo_number
from tests.conftest import client_for
from tests.stakeholders.conftest import LEI, stakeholder_payload

VALID = [
    ("EORI", "DE123456789", "DE123456789"),
    ("EORI", "de 1234-5678", "DE12345678"),
    ("EORI", "GB123456789000", "GB123456789000"),
    ("EORI", "GB123456789000123", "GB123456789000123"),
    ("EORI", "xi 123456789000", "XI123456789000"),
    ("AEO_NO", "DE AEOF 00025/08", "DEAEOF0002508"),
    ("AEO_NO", "DEAEOF0000123", "DEAEOF0000123"),
    ("AEO_NO", "fr aeoc 12345", "FRAEOC12345"),
    ("LEI", LEI, LEI),
    ("LEI", LEI.lower(), LEI),
    ("VAT", "DE136695976", "DE136695976"),
    ("VAT", "NL 0044.95445.B01", "NL004495445B01"),
    ("VAT", "FR40303265045", "FR40303265045"),
    ("IOSS", "IM2760000001", "IM2760000001"),
    ("IOSS", "im 372 1234567", "IM3721234567"),
    ("TIN", "DE12345678901", "DE12345678901"),
    ("UPU_OPERATOR", "dea", "DEA"),
    ("UPU_OPERATOR", "DEPOST", "DEPOST"),
    ("CN_AEO", "CN1234567890", "CN1234567890"),
    ("CN_AEO", "cn 1234 567 890", "CN1234567890"),
    ("MID", "CNDONBRI1234DON", "CNDONBRI1234DON"),
    ("CTPAT", "CTP1234567", "CTP1234567"),
]

INVALID = [
    ("EORI", "D1234"),  # one letter
    ("EORI", "12345678"),  # no country
    ("EORI", "DE1234567890123456"),  # 16 characters after the prefix
    ("EORI", "GB12345678900"),  # GB needs 12 or 15 digits: 11
    ("EORI", "GB1234567890001"),  # 13 digits
    ("EORI", "XIABC456789000"),  # letters in an XI number
    ("AEO_NO", "DEAEOX0000123"),  # no such AEO type
    ("AEO_NO", "AEOF0000123"),  # no country
    ("AEO_NO", "DEAEOF"),  # no national reference
    ("LEI", "529900T8BM49AURSDO56"),  # one check digit changed
    ("LEI", "529900T8BM49AURSDO5"),  # too short
    ("VAT", "DE136695977"),  # check digit wrong
    ("VAT", "XX123456789"),  # not an EU country
    ("IOSS", "IM9990000001"),  # 999 is not a member state
    ("IOSS", "IM27600001"),  # too short
    ("IOSS", "EU2760000001"),  # OSS, not IOSS
    ("TIN", "12345"),
    ("UPU_OPERATOR", "D"),
    ("UPU_OPERATOR", "TOOLONG7"),
    ("CN_AEO", "CN123456789"),  # 9 digits
    ("CN_AEO", "US1234567890"),
    ("MID", "C"),
    ("MID", "CNDONBRI1234DONG"),  # 16 characters
    ("CTPAT", "AB12"),
    ("EORI", ""),
]


@pytest.mark.parametrize(("id_type", "raw", "stored"), VALID)
def test_a_valid_identifier_is_stored_normalised(id_type, raw, stored):
    assert normalise(id_type, raw) == stored


@pytest.mark.parametrize(("id_type", "raw"), INVALID)
def test_an_invalid_identifier_is_refused(id_type, raw):
    with pytest.raises(InvalidIdentifier):
        normalise(id_type, raw)


def test_an_aeo_number_is_parsed_in_both_written_forms():
    spaced = parse_aeo_number("DE AEOF 00025/08")
    assert (spaced.country, spaced.type, spaced.national_ref) == ("DE", "AEOF", "0002508")
    compact = parse_aeo_number("DEAEOF0000123")
    assert (compact.country, compact.type, compact.national_ref) == ("DE", "AEOF", "0000123")


@pytest.mark.parametrize(("id_type", "raw"), INVALID[::3])
def test_the_api_names_the_identifier_that_is_invalid(owner, id_type, raw):
    payload = stakeholder_payload(identifiers=[{"type": id_type, "value": raw}])
    response = client_for(owner).post("/api/v1/stakeholders/", payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "identifiers" in body["errors"]


@pytest.mark.parametrize(
    ("id_type", "value", "country"),
    [
        ("EORI", "FR123456", "FR"),
        ("EORI", "XI123456789000", "GB"),
        ("VAT", "NL004495445B01", "NL"),
        ("TIN", "DE12345678901", "DE"),
        ("CN_AEO", "CN1234567890", "CN"),
        ("CTPAT", "CTP1234567", "US"),
        ("LEI", LEI, ""),
        ("IOSS", "IM2760000001", ""),
    ],
)
def test_the_issuing_country_comes_from_the_identifier_itself(owner, id_type, value, country):
    payload = stakeholder_payload(identifiers=[{"type": id_type, "value": value}])
    response = client_for(owner).post("/api/v1/stakeholders/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["identifiers"][0]["issuing_country"] == country


def test_an_aeo_number_issued_by_another_country_is_refused(owner):
    payload = stakeholder_payload(identifiers=[{"type": "AEO_NO", "value": "FR AEOF 00025/08"}])
    response = client_for(owner).post("/api/v1/stakeholders/", payload, format="json")
    assert response.status_code == 400
    assert "FR" in response.json()["errors"]["identifiers"][0]


def test_an_aeo_number_issued_by_the_holders_country_is_accepted(owner):
    payload = stakeholder_payload(identifiers=[{"type": "AEO_NO", "value": "DE AEOF 00025/08"}])
    response = client_for(owner).post("/api/v1/stakeholders/", payload, format="json")
    assert response.status_code == 201
    assert response.json()["identifiers"][0]["value"] == "DEAEOF0002508"
