"""HTML report: every number, finding, remediation, unknown and input error is on the page;
hostile text is escaped; the page loads nothing and runs nothing; secrets are masked."""

from __future__ import annotations

import dataclasses
import html
import re
from pathlib import Path

from typer.testing import CliRunner

from scanner.cli import app
from scanner.model import Finding, Provenance, Resource, ScanResult, Status
from scanner.report import render
from scanner.report.html import groupings, remediation_blocks

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = "<script>alert(1)</script>"


def _text(page: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}">([^<]*)<', page)
    assert match, element_id
    return match.group(1)


def test_summary_numbers_match_the_scan(result):
    page = render(result, "html")
    assert _text(page, "count-failed") == "2"
    assert _text(page, "count-unknown") == "1"
    assert _text(page, "count-passed") == "1"
    assert _text(page, "count-resources") == "4"
    assert _text(page, "count-errors") == "1"
    # one of the three decided results passed
    assert _text(page, "compliance") == "33%"


def test_every_finding_has_its_remediation_and_unknowns_and_errors_are_listed(result):
    page = render(result, "html")
    for address in ("oci_objectstorage_bucket.logs", "var.db_password"):
        assert html.escape(address) in page
    assert page.count("Fix OCI-ENC-001 like this.") == 1
    assert "Fix OCI-SEC-001 like this." in page
    # unknown results are shown, without pretending to be failures
    assert "module.oke.oci_containerengine_node_pool.np[0]" in page
    assert re.search(r"Could not be decided \(1\)", page)
    # the input error names file and line
    assert "broken.tf:7" in page and "Unexpected token &#39;}&#39;" in page
    assert "This scan is incomplete" in page


def test_secrets_are_masked(result, planted_secret):
    page = render(result, "html")
    assert planted_secret not in page
    assert html.escape(planted_secret) not in page
    assert "***" in page


def test_self_contained_no_script_no_remote_asset(result):
    page = render(result, "html")
    assert "<script" not in page.lower()
    assert "<link" not in page.lower()
    assert not re.search(r"""\bsrc\s*=""", page)
    assert "url(" not in page and "@import" not in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "<svg" in page  # charts are inline


def _live_result(rules: list, hostile: str = HOSTILE) -> ScanResult:
    """Three live buckets in two compartments and two regions; one display name is hostile."""

    def bucket(n: int, region: str, compartment: str, name: str) -> Resource:
        ocid = f"ocid1.bucket.oc1.{region}.b{n}"
        return Resource(
            kind="oci_objectstorage_bucket",
            address=ocid,
            attributes={"name": name, "freeform_tags": {"owner": hostile}},
            provenance=Provenance(source="oci", ocid=ocid, region=region, compartment_id=compartment),
        )

    b1 = bucket(1, "eu-frankfurt-1", "ocid1.compartment.oc1..prod", hostile)
    b2 = bucket(2, "eu-frankfurt-1", "ocid1.compartment.oc1..prod", "logs")
    b3 = bucket(3, "us-ashburn-1", "ocid1.compartment.oc1..dev", "scratch")
    findings = [
        Finding(
            "OCI-ENC-001",
            Status.FAILED,
            b1,
            f"Bucket {b1.address} uses an Oracle-managed key",
            None,
            "kms_key_id",
        ),
        Finding("OCI-ENC-001", Status.PASSED, b2, "ok", None, "kms_key_id"),
        Finding(
            "OCI-ENC-001",
            Status.FAILED,
            b3,
            f"Bucket {b3.address} uses an Oracle-managed key",
            None,
            "kms_key_id",
        ),
    ]
    return ScanResult(
        rules=list(rules),
        findings=findings,
        errors=[],
        root="/snapshots",
        source_categories=["oci"],
        resource_count=3,
        metadata={"tenancy_id": "ocid1.tenancy.oc1..t", "generated_at": "2026-11-28T04:00:00Z"},
    )


def test_live_results_are_grouped_by_compartment_and_region(result):
    tables = {g["id"]: g["rows"] for g in groupings(_live_result(result.rules))}
    assert "module" not in tables and "file" not in tables
    by_region = {r["name"]: (r["failed"], r["passed"], r["compliance"]) for r in tables["region"]}
    assert by_region == {"eu-frankfurt-1": (1, 1, "50%"), "us-ashburn-1": (1, 0, "0%")}
    by_comp = {r["name"]: (r["failed"], r["passed"], r["resources"]) for r in tables["compartment"]}
    assert by_comp == {"ocid1.compartment.oc1..prod": (1, 1, 2), "ocid1.compartment.oc1..dev": (1, 0, 1)}
    assert [r["name"] for r in tables["category"]] == ["encryption"]


def test_hostile_display_name_is_escaped_text(result):
    page = render(_live_result(result.rules), "html")
    assert HOSTILE not in page
    assert html.escape(HOSTILE) in page  # shown, as text
    assert "tenancy ocid1.tenancy.oc1..t" in page and "2026-11-28T04:00:00Z" in page


def test_terraform_results_are_grouped_by_module_and_file(result):
    tables = {g["id"]: g["rows"] for g in groupings(result)}
    assert "compartment" not in tables
    files = {r["name"]: r["failed"] for r in tables["file"]}
    assert files == {"main.tf": 1, "variables.tf": 1, "modules/oke/pool.tf": 0}


def test_remediation_code_blocks_are_kept_apart():
    blocks = remediation_blocks("Set kms_key_id.\n\n```hcl\nkms_key_id = oci_kms_key.k.id\n```\nThen apply.")
    assert blocks == [
        {"kind": "text", "body": "Set kms_key_id."},
        {"kind": "code", "body": "kms_key_id = oci_kms_key.k.id"},
        {"kind": "text", "body": "Then apply."},
    ]


def test_cli_writes_html_for_the_insecure_platform(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("OCISEC_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "report.html"
    res = CliRunner().invoke(app, ["scan", "fixtures/platform/insecure", "--format", "html", "-o", str(out)])
    assert res.exit_code == 1, res.output
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert int(_text(page, "count-failed")) > 30
    assert 'data-grouping="module"' in page and 'data-grouping="region"' in page


def test_accepted_risks_are_listed_apart_and_not_counted_as_failures(result):
    from scanner.model import Suppression

    waiver = Suppression("in_source", "tracked in SEC-1234", None, "variables.tf:1")
    accepted = dataclasses.replace(
        result,
        findings=[
            dataclasses.replace(f, suppression=waiver) if f.rule_id == "OCI-SEC-001" else f
            for f in result.findings
        ],
    )
    page = render(accepted, "html")
    assert _text(page, "count-failed") == "1" and _text(page, "count-accepted") == "1"
    assert "Accepted risks (1)" in page and "accepted risk: tracked in SEC-1234" in page
    secrets = next(g for g in groupings(accepted) if g["id"] == "category")["rows"]
    assert {r["name"]: (r["failed"], r["accepted"]) for r in secrets}["secrets"] == (0, 1)
