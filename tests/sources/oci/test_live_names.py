"""Issue 14 §7: live findings name the object by compartment path and display name, with the OCID
beside, in every human format; names from the tenancy are escaped like any input."""

from __future__ import annotations

import json

from live_helpers import ROOT
from typer.testing import CliRunner

from scanner.cli import app
from scanner.report.html import groupings
from scanner.sources.oci.snapshot import snapshot_from_dict
from scanner.workflow.audit import AuditOptions, audit_snapshot

EXAMPLE_SNAPSHOT = ROOT / "fixtures" / "live" / "example-snapshot.json"
BUCKET = "ocid1.bucket.oc1.eu-frankfurt-1.aaaaaaaamarketingassets"
LABEL = "platform/apps · bucket marketing-assets"


def _audit(fmt: str, *extra: str) -> str:
    res = CliRunner().invoke(
        app,
        ["audit", "--from-snapshot", str(EXAMPLE_SNAPSHOT), "--format", fmt, "--rule", "OCI-DAT-001", *extra],
    )
    assert res.exit_code == 1, res.output
    return res.stdout


def _bucket_id() -> str:
    doc = json.loads(EXAMPLE_SNAPSHOT.read_text())
    return next(r["data"]["id"] for r in doc["resources"] if r["data"].get("name") == "marketing-assets")


def test_text_names_the_bucket_with_its_ocid_beside():
    ocid = _bucket_id()
    lines = [line for line in _audit("text").splitlines() if LABEL in line]
    assert lines and ocid in lines[0]
    assert any(f"Bucket {LABEL}" in line for line in _audit("text").splitlines())  # the message too


def test_json_carries_label_and_compartment_path():
    doc = json.loads(_audit("json"))
    finding = next(f for f in doc["findings"] if f["resource"]["address"] == _bucket_id())
    assert finding["resource"]["label"] == LABEL
    assert finding["resource"]["compartment_path"] == "platform/apps"
    assert finding["resource"]["ocid"] == _bucket_id()


def test_markdown_row_names_the_bucket_and_its_ocid():
    row = next(line for line in _audit("markdown").splitlines() if "OCI-DAT-001" in line and "|" in line)
    assert LABEL in row and _bucket_id() in row


def test_sarif_logical_location_carries_the_name():
    sarif = json.loads(_audit("sarif"))
    result = next(
        r
        for r in sarif["runs"][0]["results"]
        if r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == _bucket_id()
    )
    assert result["locations"][0]["logicalLocations"][0]["name"] == LABEL
    assert _bucket_id() in result["message"]["text"]


def test_html_names_the_bucket_and_groups_by_compartment_name():
    html = _audit("html")
    assert LABEL in html and _bucket_id() in html
    result = audit_snapshot(snapshot_from_dict(json.loads(EXAMPLE_SNAPSHOT.read_text())), AuditOptions())
    table = next(g for g in groupings(result) if g["id"] == "compartment")
    names = [row["name"] for row in table["rows"]]
    assert any(n.startswith("platform/apps") for n in names) and any(
        n.startswith("platform/data") for n in names
    )


def test_names_from_the_tenancy_are_escaped():
    doc = json.loads(EXAMPLE_SNAPSHOT.read_text())
    bucket = next(r for r in doc["resources"] if r["data"].get("name") == "marketing-assets")
    bucket["data"]["name"] = "evil\x1b[2J\u202ename"
    result = audit_snapshot(snapshot_from_dict(doc), AuditOptions(rule_ids=["OCI-DAT-001"]))
    from scanner.report import json_report, text

    for rendered in (text.render(result), json_report.render(result)):
        assert "\x1b" not in rendered and "\u202e" not in rendered
        assert "evil\\x1b[2J" in rendered.replace("\\\\", "\\")  # JSON doubles the backslash
