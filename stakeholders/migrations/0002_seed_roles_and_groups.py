"""Seed the role catalogue (with responsibilities and their sources) and the user groups.

Responsibilities are paraphrased. The WCO E-Commerce Framework of Standards annex
"Roles and Responsibilities of Stakeholders" (adopted Dec 2020) creates no legal obligation
by itself; ``binding`` marks those that come from law (EU VAT Directive, UCC, UPU Convention).
"""

from django.db import migrations

WCO = "WCO E-Commerce FoS (2018, rev. 2022), annex: Roles and Responsibilities of Stakeholders"
WCO_DATA = "WCO E-Commerce FoS Standard 3 (advance electronic data) and Reference Datasets"
UCC = "Union Customs Code, Regulation (EU) No 952/2013"
VAT_DIR = "Council Directive 2006/112/EC as amended by 2017/2455 (Art. 14a deemed supplier)"
UPU = "UPU Convention, Art. 8 and UPU S10 / ITMATT messaging standards"

ROLES = {
    "E_VENDOR": (
        "E-commerce vendor",
        "Sells goods online to consumers in another customs territory.",
        [
            ("ACCURATE_DESCRIPTION", "Describe the goods truly, with value, HS code and origin.", WCO, False),
            ("ADVANCE_DATA", "Provide the data needed for advance electronic declarations to the platform or carrier.", WCO_DATA, False),
            ("REVENUE_COMPLIANCE", "Charge and remit import VAT under IOSS when registered for it.", VAT_DIR, True),
        ],
    ),
    "E_PLATFORM": (
        "E-commerce platform (marketplace)",
        "Operates the online interface through which vendors sell to consumers.",
        [
            ("VENDOR_DUE_DILIGENCE", "Know the vendors (KYC) and vet them before listing.", WCO, False),
            ("ADVANCE_DATA", "Share order and transaction data with customs ahead of arrival.", WCO_DATA, False),
            ("RETURNS_HANDLING", "Handle returns so that duties and taxes can be refunded correctly.", WCO, False),
            ("DEEMED_SUPPLIER", "Collect and remit VAT as deemed supplier on consignments of EUR 150 or less.", VAT_DIR, True),
        ],
    ),
    "FULFILMENT_CENTRE": (
        "Fulfilment centre",
        "Stores stock for vendors and dispatches orders.",
        [
            ("STOCK_CUSTODY", "Keep custody of stock and accurate records of its status.", WCO, False),
            ("RECORDS", "Keep records of goods in and out, available to customs.", UCC + ", Art. 51", True),
            ("DATA_SHARING", "Share the data it holds on consignments with customs when asked.", WCO, False),
        ],
    ),
    "EXPRESS_CARRIER": (
        "Express carrier",
        "Moves time-sensitive consignments door to door, often as declarant.",
        [
            ("MANIFEST_DATA", "Submit manifest and house-level data before arrival.", UCC + ", Art. 127 (ENS)", True),
            ("DECLARANT", "Lodge customs declarations where acting as declarant or representative.", UCC + ", Art. 18", True),
            ("SECURITY", "Secure the supply chain of the consignments it carries.", WCO, False),
        ],
    ),
    "POSTAL_OPERATOR": (
        "Postal operator",
        "Designated operator carrying postal items under the UPU Convention.",
        [
            ("ITEM_ADVANCE_DATA", "Send item-level advance data (ITMATT / CN23) per UPU S10 item.", UPU, True),
            ("PRESENTATION", "Present postal items to customs with their declarations.", UPU, True),
            ("DATA_QUALITY", "Check the quality of the electronic data received from senders.", WCO_DATA, False),
        ],
    ),
    "CUSTOMS_BROKER": (
        "Customs broker",
        "Represents traders before customs and lodges declarations.",
        [
            ("DECLARATION", "Lodge accurate declarations on behalf of the represented party.", UCC + ", Art. 18-19", True),
            ("DUE_DILIGENCE", "Verify the identity and instructions of the represented party.", WCO, False),
            ("RECORDS", "Keep records of representation and declarations.", UCC + ", Art. 51", True),
        ],
    ),
    "FREIGHT_FORWARDER": (
        "Freight forwarder",
        "Organises transport on behalf of shippers.",
        [
            ("HOUSE_DATA", "Provide house-level consignment data for advance cargo information.", UCC + ", Art. 127", True),
            ("PARTNER_SECURITY", "Apply security standards to subcontracted carriers.", WCO, False),
            ("DATA_SHARING", "Share shipment data with customs and carriers.", WCO, False),
        ],
    ),
    "CARRIER": (
        "Carrier",
        "Operates the means of transport bringing goods into the customs territory.",
        [
            ("ENTRY_SUMMARY", "Lodge the entry summary declaration.", UCC + ", Art. 127", True),
            ("PRESENTATION", "Present the goods to customs on arrival.", UCC + ", Art. 139", True),
            ("CONVEYANCE_SECURITY", "Secure the conveyance and the cargo.", WCO, False),
        ],
    ),
    "PAYMENT_PROVIDER": (
        "Payment service provider",
        "Processes payments for cross-border e-commerce transactions.",
        [
            ("PAYMENT_DATA", "Provide payment references that link orders to consignments.", WCO_DATA, False),
            ("RECORDS", "Keep records of cross-border payments for VAT control.", "Council Directive (EU) 2020/284 (CESOP)", True),
            ("RISK_INFORMATION", "Share information on suspicious transactions with authorities.", WCO, False),
        ],
    ),
    "IMPORTER": (
        "Importer",
        "Brings goods into the customs territory and is liable for the debt.",
        [
            ("DECLARATION", "Declare the goods correctly and pay the duties and taxes.", UCC + ", Art. 77", True),
            ("RECORDS", "Keep records of imports for audit.", UCC + ", Art. 51", True),
            ("PRODUCT_SAFETY", "Ensure the goods meet product safety rules.", "Regulation (EU) 2023/988 (GPSR)", True),
        ],
    ),
    "EXPORTER": (
        "Exporter",
        "Sends goods out of the customs territory.",
        [
            ("DECLARATION", "Lodge the export declaration.", UCC + ", Art. 269", True),
            ("ORIGIN", "State the origin of the goods correctly.", UCC + ", Art. 59-64", True),
            ("RECORDS", "Keep records of exports.", UCC + ", Art. 51", True),
        ],
    ),
    "WAREHOUSE_KEEPER": (
        "Warehouse keeper",
        "Operates a customs or temporary storage warehouse.",
        [
            ("CUSTODY", "Ensure goods under customs supervision are not removed.", UCC + ", Art. 242", True),
            ("STOCK_RECORDS", "Keep stock records in the form approved by customs.", UCC + ", Art. 214", True),
            ("SECURITY", "Secure the premises and access to them.", WCO, False),
        ],
    ),
    "MANUFACTURER": (
        "Manufacturer",
        "Makes the goods sold cross-border.",
        [
            ("PRODUCT_DATA", "Provide accurate product, origin and classification data.", WCO, False),
            ("PRODUCTION_SECURITY", "Secure production and packing against tampering.", WCO, False),
            ("PRODUCT_SAFETY", "Make goods that meet the product safety rules of the market.", "Regulation (EU) 2023/988 (GPSR)", True),
        ],
    ),
}

GROUPS = ("OPERATOR", "OFFICER", "SUPERVISOR")


def seed(apps, schema_editor):
    Role = apps.get_model("stakeholders", "Role")
    Responsibility = apps.get_model("stakeholders", "Responsibility")
    Group = apps.get_model("auth", "Group")
    for code, (name, description, responsibilities) in ROLES.items():
        role, _ = Role.objects.update_or_create(
            code=code, defaults={"name": name, "description": description}
        )
        for resp_code, text, source, binding in responsibilities:
            Responsibility.objects.update_or_create(
                role=role,
                code=resp_code,
                defaults={"description": text, "source": source, "binding": binding},
            )
    for name in GROUPS:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("stakeholders", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
