"""Seed the programme profiles, the criteria and the self-assessment questionnaire.

Profiles and questions are data: administrations edit them in the admin. EU SAQ structure
after form C118 (subsection wording paraphrased; DOMAIN.md R4 marks it [unverified]).
"""

from django.db import migrations

PROFILES = [
    {
        "code": "EU_UCC",
        "name": "EU Union Customs Code AEO",
        "legal_basis": "UCC (EU) 952/2013 Arts 22-23, 38-39; DA 2015/2446; IA 2015/2447",
        "acceptance_days": 30, "decision_days": 120, "extension_days": 60, "max_extensions": 1,
        "hearing_days": 30, "grant_effective_days": 5, "suspension_days": 30,
        "suspension_extension_days": 30, "bar_revoked_years": 3,
        "bar_same_type_revoked_months": 12, "compliance_lookback_years": 3,
        "info_request_pauses_decision_clock": True, "revalidation_years": None,
    },
    {
        "code": "WCO_GENERIC",
        "name": "WCO SAFE Framework baseline AEO programme",
        "legal_basis": "WCO SAFE Framework of Standards 2021, AEO criteria A-M",
        "acceptance_days": 30, "decision_days": 120, "extension_days": 60, "max_extensions": 1,
        "hearing_days": 30, "grant_effective_days": 5, "suspension_days": 30,
        "suspension_extension_days": 30, "bar_revoked_years": 3,
        "bar_same_type_revoked_months": 12, "compliance_lookback_years": 3,
        "info_request_pauses_decision_clock": True, "revalidation_years": None,
    },
    {
        "code": "US_CTPAT",
        "name": "US Customs-Trade Partnership Against Terrorism",
        "legal_basis": "6 USC 961-973 (SAFE Port Act); revalidation 6 USC 969",
        "acceptance_days": 30, "decision_days": 90, "extension_days": 60, "max_extensions": 1,
        "hearing_days": 30, "grant_effective_days": 0, "suspension_days": 30,
        "suspension_extension_days": 30, "bar_revoked_years": 3,
        "bar_same_type_revoked_months": 12, "compliance_lookback_years": 3,
        "info_request_pauses_decision_clock": False, "revalidation_years": 4,
    },
]

CRITERIA = [
    ("UCC_39A", "UCC", "Compliance with customs and tax rules, no serious infringements", "UCC Art. 39(a)"),
    ("UCC_39B", "UCC", "Control of operations and flow of goods (records, logistics)", "UCC Art. 39(b)"),
    ("UCC_39C", "UCC", "Proven financial solvency", "UCC Art. 39(c)"),
    ("UCC_39D", "UCC", "Practical standards of competence or professional qualifications", "UCC Art. 39(d)"),
    ("UCC_39E", "UCC", "Appropriate security and safety standards", "UCC Art. 39(e)"),
    ("WCO_A", "WCO_SAFE", "Demonstrated compliance with customs requirements", "SAFE FoS 5.2 A"),
    ("WCO_B", "WCO_SAFE", "Satisfactory system for management of commercial records", "SAFE FoS 5.2 B"),
    ("WCO_C", "WCO_SAFE", "Financial viability", "SAFE FoS 5.2 C"),
    ("WCO_D", "WCO_SAFE", "Consultation, co-operation and communication", "SAFE FoS 5.2 D"),
    ("WCO_E", "WCO_SAFE", "Education, training and awareness", "SAFE FoS 5.2 E"),
    ("WCO_F", "WCO_SAFE", "Information exchange, access and confidentiality", "SAFE FoS 5.2 F"),
    ("WCO_G", "WCO_SAFE", "Cargo security", "SAFE FoS 5.2 G"),
    ("WCO_H", "WCO_SAFE", "Conveyance security", "SAFE FoS 5.2 H"),
    ("WCO_I", "WCO_SAFE", "Premises security", "SAFE FoS 5.2 I"),
    ("WCO_J", "WCO_SAFE", "Personnel security", "SAFE FoS 5.2 J"),
    ("WCO_K", "WCO_SAFE", "Trading partner security", "SAFE FoS 5.2 K"),
    ("WCO_L", "WCO_SAFE", "Crisis management and incident recovery", "SAFE FoS 5.2 L"),
    ("WCO_M", "WCO_SAFE", "Measurement, analyses and improvement", "SAFE FoS 5.2 M"),
    ("ECOM_VENDOR_KYC", "WCO_ECOM", "Vendor vetting and due diligence", "E-Commerce FoS Annex: roles and responsibilities"),
    ("ECOM_LISTING", "WCO_ECOM", "Listing controls (prohibited and restricted goods)", "E-Commerce FoS Annex: roles and responsibilities"),
    ("ECOM_DATA_QUALITY", "WCO_ECOM", "Quality of advance electronic data sent to customs", "E-Commerce FoS Standard 3 (2022)"),
]

BOTH = ["AEOC", "AEOS"]
YES_NO_PARTLY = [
    {"value": "YES", "label": "Yes"},
    {"value": "PARTLY", "label": "Partly"},
    {"value": "NO", "label": "No"},
]

# (code, title, order, types, roles, criteria, questions)
# question: (code, text, kind, required, choices, criteria, roles)
SECTIONS = [
    ("SAQ1", "1 Company information", 10, BOTH, [], ["WCO_D"], [
        ("1.1.1", "Describe the legal form, ownership and main activities of the company.", "TEXT", True, [], ["WCO_D"], []),
        ("1.1.2", "Customs contact person (name, function, e-mail) for communication with the customs administration.", "TEXT", True, [], ["WCO_D"], []),
        ("1.2.1", "Annual turnover in the last financial year (EUR).", "NUMBER", True, [], ["WCO_C"], []),
        ("1.3.1", "Which customs activities do you carry out?", "MULTI_CHOICE", True, [
            {"value": "IMPORT", "label": "Import"}, {"value": "EXPORT", "label": "Export"},
            {"value": "TRANSIT", "label": "Transit"}, {"value": "WAREHOUSING", "label": "Customs warehousing"},
            {"value": "REPRESENTATION", "label": "Customs representation"},
        ], ["WCO_D"], []),
        ("1.3.2", "Number of customs declarations lodged in the last 12 months.", "NUMBER", False, [], ["WCO_B"], []),
    ]),
    ("SAQ2", "2 Compliance record", 20, BOTH, [], ["UCC_39A", "WCO_A"], [
        ("2.1.1", "Have customs or tax infringements been detected in the last three years?", "BOOLEAN", True, [], ["UCC_39A", "WCO_A"], []),
        ("2.1.2", "Describe the infringements and the measures taken to prevent them.", "TEXT", False, [], ["UCC_39A", "WCO_A"], []),
        ("2.2.1", "Is there a documented procedure to report errors to customs (voluntary disclosure)?", "CHOICE", True, YES_NO_PARTLY, ["UCC_39A", "WCO_D"], []),
    ]),
    ("SAQ3", "3 Accounting and logistical systems", 30, BOTH, [], ["UCC_39B", "WCO_B", "WCO_F"], [
        ("3.1.1", "Does the accounting system provide a full audit trail of customs-relevant transactions?", "BOOLEAN", True, [], ["UCC_39B", "WCO_B"], []),
        ("3.2.1", "Describe the internal control procedures over purchase, sales and logistics.", "TEXT", True, [], ["UCC_39B", "WCO_B"], []),
        ("3.3.1", "How is the flow of goods recorded and reconciled with customs declarations?", "TEXT", True, [], ["UCC_39B", "WCO_B"], []),
        ("3.5.1", "Back-up, recovery and archiving of records: how long are records kept (years)?", "NUMBER", True, [], ["UCC_39B", "WCO_B", "WCO_L"], []),
        ("3.6.1", "Information security policy (upload the document).", "DOCUMENT", True, [], ["UCC_39B", "WCO_F"], []),
        ("3.6.2", "Access to IT systems is limited to authorised persons by role.", "CHOICE", True, YES_NO_PARTLY, ["WCO_F"], []),
    ]),
    ("SAQ4", "4 Financial solvency", 40, BOTH, [], ["UCC_39C", "WCO_C"], [
        ("4.1.1", "Has the company been subject to insolvency proceedings in the last three years?", "BOOLEAN", True, [], ["UCC_39C", "WCO_C"], []),
        ("4.2.1", "Date of the last approved annual accounts.", "DATE", True, [], ["UCC_39C", "WCO_C"], []),
    ]),
    ("SAQ5", "5 Practical standards of competence or professional qualifications", 50, ["AEOC"], [], ["UCC_39D", "WCO_E"], [
        ("5.1.1", "Years of practical experience in customs matters of the person in charge.", "NUMBER", True, [], ["UCC_39D", "WCO_E"], []),
        ("5.2.1", "Which customs qualification does the person in charge hold?", "CHOICE", False, [
            {"value": "NONE", "label": "None"}, {"value": "TRAINING", "label": "Recognised customs training"},
            {"value": "BROKER", "label": "Customs broker licence"}, {"value": "OTHER", "label": "Other"},
        ], ["UCC_39D", "WCO_E"], []),
    ]),
    ("SAQ6", "6 Security and safety", 60, ["AEOS"], [], ["UCC_39E", "WCO_G", "WCO_H", "WCO_I", "WCO_J", "WCO_K", "WCO_L", "WCO_M"], [
        ("6.1.1", "Security risk assessment (upload the latest one).", "DOCUMENT", True, [], ["UCC_39E", "WCO_M"], []),
        ("6.1.2", "How often is the security assessment reviewed and improved?", "CHOICE", True, [
            {"value": "QUARTERLY", "label": "Quarterly"}, {"value": "YEARLY", "label": "Yearly"},
            {"value": "AD_HOC", "label": "Ad hoc"},
        ], ["UCC_39E", "WCO_M"], []),
        ("6.2.1", "Describe the access controls to buildings and areas where goods are handled.", "TEXT", True, [], ["UCC_39E", "WCO_I"], []),
        ("6.3.1", "Are premises protected against intrusion (fences, alarms, lighting, CCTV)?", "CHOICE", True, YES_NO_PARTLY, ["UCC_39E", "WCO_I"], []),
        ("6.4.1", "How are cargo units sealed, inspected and their integrity recorded?", "TEXT", True, [], ["UCC_39E", "WCO_G"], []),
        ("6.5.1", "How are conveyances secured and inspected before loading?", "TEXT", True, [], ["UCC_39E", "WCO_H"], []),
        ("6.11.1", "How are the security standards of business partners checked?", "TEXT", True, [], ["UCC_39E", "WCO_K"], []),
        ("6.12.1", "Are employees in security-sensitive positions screened and trained?", "CHOICE", True, YES_NO_PARTLY, ["UCC_39E", "WCO_J", "WCO_E"], []),
        ("6.13.1", "Describe the incident reporting and business continuity plan.", "TEXT", True, [], ["UCC_39E", "WCO_L", "WCO_D"], []),
    ]),
    ("ECOM", "E-commerce module", 70, BOTH, ["E_PLATFORM", "FULFILMENT_CENTRE"], ["ECOM_VENDOR_KYC", "ECOM_LISTING", "ECOM_DATA_QUALITY"], [
        ("E.1.1", "How are vendors identified and vetted before they may sell (KYC)?", "TEXT", True, [], ["ECOM_VENDOR_KYC", "WCO_K"], ["E_PLATFORM"]),
        ("E.1.2", "Share of vendors verified against an official identifier (EORI, VAT, IOSS), in percent.", "NUMBER", True, [], ["ECOM_VENDOR_KYC"], ["E_PLATFORM"]),
        ("E.2.1", "Which listing controls prevent prohibited or restricted goods from being offered?", "MULTI_CHOICE", True, [
            {"value": "KEYWORD_FILTER", "label": "Keyword filters"}, {"value": "HS_CHECK", "label": "HS code checks"},
            {"value": "MANUAL_REVIEW", "label": "Manual review"}, {"value": "NOTICE_TAKEDOWN", "label": "Notice and takedown"},
        ], ["ECOM_LISTING"], ["E_PLATFORM"]),
        ("E.3.1", "How is the quality of advance electronic data sent to customs checked (description, value, HS code, origin)?", "TEXT", True, [], ["ECOM_DATA_QUALITY", "WCO_F"], []),
        ("E.3.2", "Is the use of IOSS numbers controlled so that one number is declared per consignment?", "CHOICE", True, YES_NO_PARTLY, ["ECOM_DATA_QUALITY"], []),
        ("E.4.1", "How are stock custody and records of goods held for vendors kept?", "TEXT", True, [], ["ECOM_DATA_QUALITY", "WCO_B"], ["FULFILMENT_CENTRE"]),
    ]),
]


def seed(apps, schema_editor):
    Profile = apps.get_model("accreditation", "ProgrammeProfile")
    Criterion = apps.get_model("accreditation", "Criterion")
    Section = apps.get_model("accreditation", "QuestionnaireSection")
    Question = apps.get_model("accreditation", "Question")
    Role = apps.get_model("stakeholders", "Role")
    Head = apps.get_model("accreditation", "AuditChainHead")

    for data in PROFILES:
        Profile.objects.update_or_create(code=data["code"], defaults=data)
    criteria = {}
    for code, framework, title, basis in CRITERIA:
        criteria[code], _ = Criterion.objects.update_or_create(
            code=code, defaults={"framework": framework, "title": title, "legal_basis": basis}
        )
    roles = {r.code: r for r in Role.objects.all()}
    for code, title, order, types, section_roles, section_criteria, questions in SECTIONS:
        section, _ = Section.objects.update_or_create(
            code=code, defaults={"title": title, "order": order, "aeo_types": types}
        )
        section.roles.set([roles[r] for r in section_roles])
        section.criteria.set([criteria[c] for c in section_criteria])
        for position, (q_code, text, kind, required, choices, q_criteria, q_roles) in enumerate(
            questions
        ):
            question, _ = Question.objects.update_or_create(
                code=q_code,
                defaults={
                    "section": section, "text": text, "kind": kind, "required": required,
                    "choices": choices, "order": position,
                },
            )
            question.criteria.set([criteria[c] for c in q_criteria])
            question.roles.set([roles[r] for r in q_roles])
    Head.objects.get_or_create(id=1)


class Migration(migrations.Migration):
    dependencies = [
        ("accreditation", "0002_questionnaire_workflow_authorisations"),
        ("stakeholders", "0002_seed_roles_and_groups"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
