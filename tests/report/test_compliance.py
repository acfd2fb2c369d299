"""The compliance section (``--benchmark cis-oci-3.0``) in every format that carries it, and in a
real browser: statuses per recommendation, failing resources as evidence, totals per section and
level; ``ocisec rules --benchmark`` lists what each source can judge."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
from headless_chromium import dump_dom, png_size_and_pixels, screenshot
from typer.testing import CliRunner

from scanner.cli import app
from scanner.model import Status
from scanner.report import render
from scanner.report.compliance import compliance_of
from scanner.report.redact import Redactor
from scanner.sources.oci import load_snapshot
from scanner.workflow.audit import AuditOptions, audit_snapshot
from scanner.workflow.config import Settings
from scanner.workflow.scan import ScanOptions, run_scan
from tests.rules.event_rule_fixtures import fixture_dir as event_fixture

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "rules"
SCHEMA = json.loads((ROOT / "scanner" / "report" / "json-output.schema.json").read_text())
HOSTILE = "<script>document.body.setAttribute('data-pwned','1')</script>"


def _audit(path: Path, **settings_kw):
    settings = Settings(base=ROOT, benchmark="cis-oci-3.0", **settings_kw)
    result = audit_snapshot(load_snapshot(path), AuditOptions(root=ROOT, settings=settings))
    result.rules = settings.selected(result.rules)
    return result


def _by_control(result):
    return {r.control: r for r in compliance_of(result).recommendations}


def test_statuses_follow_the_findings():
    result = _audit(event_fixture("OCI-MON-305", "fail") / "snapshot.json")
    recs = _by_control(result)
    assert len(recs) == 54
    assert recs["4.5"].status == "non-compliant" and recs["4.5"].rules == ["OCI-MON-305"]
    [evidence] = recs["4.5"].failing
    assert evidence.address == "ocid1.tenancy.oc1..aaaafixture" and evidence.location.endswith("snapshot.json:4")
    assert recs["5.1.1"].status == "compliant" and recs["5.1.1"].resources == 0
    # Block volumes were not collected in this (older) snapshot: nothing judged is not "compliant".
    older = _by_control(_audit(FIXTURES / "OCI-OPS-201" / "fail" / "snapshot.json"))
    assert older["5.2.1"].status == "unknown" and "not collected" in older["5.2.1"].unknown[0].message
    assert recs["1.1"].status == "manual"  # a heuristic that did not fail: an auditor confirms it


def test_heuristic_pass_is_left_to_the_auditor_and_strict_fails_unknowns():
    recs = _by_control(_audit(FIXTURES / "OCI-IAM-301" / "pass" / "snapshot.json"))
    assert recs["1.1"].status == "manual" and recs["1.1"].heuristic
    result = _audit(FIXTURES / "OCI-NET-301" / "pass" / "snapshot.json")
    [finding] = [f for f in result.findings if f.rule_id == "OCI-NET-301"]
    finding.status = Status.UNKNOWN
    assert _by_control(result)["2.1"].status == "unknown"
    result.strict = True
    assert _by_control(result)["2.1"].status == "non-compliant"


def test_totals_per_section_and_level_add_up():
    report = compliance_of(_audit(FIXTURES / "OCI-NET-301" / "fail" / "snapshot.json"))
    by_section = report.totals("section")
    assert set(by_section) == {"1", "2", "3", "4", "5", "6"}
    assert sum(sum(c.values()) for c in by_section.values()) == 54
    assert sum(sum(c.values()) for c in report.totals("level").values()) == 54
    assert by_section["2"]["non-compliant"] >= 1


def test_json_carries_the_section_and_validates():
    result = _audit(FIXTURES / "OCI-NET-303" / "fail" / "snapshot.json")
    doc = json.loads(render(result, "json", Redactor()))
    jsonschema.validate(doc, SCHEMA)
    comp = doc["compliance"]
    assert comp["benchmark"] == "cis-oci-3.0" and len(comp["recommendations"]) == 54
    rec = next(r for r in comp["recommendations"] if r["control"] == "2.3")
    assert rec["status"] == "non-compliant" and rec["failing"][0]["resource"].endswith("/rules/r1")
    assert sum(comp["summary"].values()) == 54
    # Every rule says which recommendations it judges.
    assert {"id": "cis-oci", "version": "3.0", "control": "2.3", "level": 1, "profile": "automated"} in next(
        r for r in doc["rules"] if r["id"] == "OCI-NET-303"
    )["benchmarks"]
    # Without --benchmark there is no section.
    result.benchmark = None
    assert "compliance" not in json.loads(render(result, "json", Redactor()))


def test_text_and_markdown_list_every_recommendation_with_totals():
    result = _audit(FIXTURES / "OCI-NET-303" / "fail" / "snapshot.json")
    text = render(result, "text", Redactor())
    assert "Compliance: CIS Oracle Cloud Infrastructure Foundations Benchmark v3.0.0" in text
    assert re.search(r"2\.3\s+non-compliant L1 Ensure no network security groups", text)
    assert "ocid1.networksecuritygroup.oc1..app/rules/r1" in text
    assert "54 recommendations:" in text and "Level 2:" in text
    md = render(result, "markdown", Redactor())
    assert "| 2.3 | 1 | non-compliant |" in md and "| 2. Networking |" in md


def test_scan_with_benchmark_selects_its_rules(tmp_path: Path):
    (tmp_path / "main.tf").write_text(
        'resource "oci_core_security_list" "open" {\n  compartment_id = var.compartment_ocid\n'
        '  ingress_security_rules {\n    protocol = "6"\n    source   = "0.0.0.0/0"\n  }\n}\n'
    )
    result, _ = run_scan([tmp_path], ScanOptions(settings=Settings(base=tmp_path, benchmark="cis-oci-3.0")))
    assert result.benchmark == "cis-oci-3.0"
    assert all(r.benchmarks for r in result.rules)  # rules without a CIS reference do not run
    recs = _by_control(result)
    assert recs["2.1"].status == "non-compliant" and recs["2.2"].status == "non-compliant"
    assert recs["6.1"].status == "unknown"  # a root that is not marked as the tenancy's baseline


def test_cli_rules_benchmark_lists_all_54_for_live_or_snapshot(tmp_path: Path):
    out = CliRunner().invoke(app, ["rules", "--benchmark", "cis-oci-3.0", "--format", "json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    assert doc["total"] == 54 and doc["covered"]["any"] == 54
    recs = {r["control"]: r for r in doc["recommendations"]}
    assert all(r["rules"] for r in recs.values())
    assert all({"live", "snapshot"} & set(r["sources"]) for r in recs.values())
    # The collector lists what every recommendation needs: identity domains' password policies
    # (1.5, 1.6) come as each domain's sub-lists.
    assert [c for c, r in recs.items() if "live" not in r["sources"]] == []
    assert recs["1.7"]["sources"] == ["live"]  # MFA enrolment is not in Terraform
    assert "terraform" in recs["2.1"]["sources"] and recs["1.1"]["coverage"] == "heuristic"
    table = CliRunner().invoke(app, ["rules", "--benchmark", "cis-oci-3.0"], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "54/54 recommendations have a rule" in table.output
    assert "live 54/54" in table.output
    bad = CliRunner().invoke(app, ["rules", "--benchmark", "cis-aws-1.0"])
    assert bad.exit_code == 2 and "cis-oci-3.0" in bad.output


def test_cli_audit_benchmark_unknown_name_is_a_usage_error():
    snap = str(FIXTURES / "OCI-NET-301" / "fail" / "snapshot.json")
    out = CliRunner().invoke(app, ["audit", "--from-snapshot", snap, "--benchmark", "nope", "-f", "json"])
    assert out.exit_code == 2 and "unknown benchmark" in out.output


def test_html_compliance_section_in_a_browser(tmp_path: Path):
    result = _audit(FIXTURES / "OCI-NET-301" / "fail" / "snapshot.json")
    # A hostile display name reaches the evidence: it must stay text.
    for f in result.findings:
        if f.status is Status.FAILED and f.rule_id == "OCI-NET-301":
            f.message = f"{f.message} {HOSTILE}"
    page = tmp_path / "report.html"
    page.write_text(render(result, "html", Redactor()))
    dom = dump_dom(page)
    assert "data-pwned" not in dom.split("<body", 1)[1].split(">", 1)[0]
    assert 'data-benchmark="cis-oci-3.0"' in dom
    rows = re.findall(r'<tr class="rec" data-control="([\d.]+)" data-status="([a-z-]+)"', dom)
    assert len(rows) == 54
    assert dict(rows)["2.1"] == "non-compliant"
    counts = {s: int(n) for s, n in re.findall(r'id="bench-([a-z-]+)"[^>]*>(\d+)<', dom)}
    assert sum(counts.values()) == 54 and counts["non-compliant"] == sum(1 for _, s in rows if s == "non-compliant")
    assert "ocid1.securitylist.oc1..web" in dom and "&lt;script&gt;" in dom
    width, height, pixels = png_size_and_pixels(screenshot(page, tmp_path / "shot.png", 1280, 2000))
    assert width == 1280 and len(set(pixels[::997])) > 3  # something rendered, not a blank page


def test_rules_json_lists_benchmark_refs():
    out = CliRunner().invoke(app, ["rules", "--format", "json"])
    rules = {r["id"]: r for r in json.loads(out.output)}
    assert rules["OCI-OPS-201"]["benchmarks"] == [
        {"id": "cis-oci", "version": "3.0", "control": "4.14", "level": 1, "profile": "automated"}
    ]
    assert rules["OCI-HA-001"]["benchmarks"] == []
