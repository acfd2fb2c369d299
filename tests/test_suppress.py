"""Inline ``ocisec:ignore`` comments: where they may stand, expiry, and that every format keeps
the suppressed findings."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from scanner.cli import app
from scanner.model import Finding, Location, Provenance, Resource, Status
from scanner.report import json_report
from scanner.workflow.scan import ScanOptions, run_scan
from scanner.workflow.suppress import apply_suppressions

runner = CliRunner()

BUCKET = """\
resource "oci_objectstorage_bucket" "assets" {{
  compartment_id        = "ocid1.compartment.oc1..x"
  namespace             = "ns"
  name                  = "assets"
  versioning            = "Disabled"{versioning}
  object_events_enabled = false{events}
}}
"""


def write(tmp_path: Path, above: str = "", versioning: str = "", events: str = "", name: str = "main.tf") -> Path:
    (tmp_path / name).write_text(above + BUCKET.format(versioning=versioning, events=events))
    return tmp_path


def outcome(directory: Path) -> tuple[set[str], dict[str, Finding], list]:
    """(failing rule ids, suppressed findings by rule id, warnings) of a scan of ``directory``."""
    result, _ = run_scan([directory], ScanOptions())
    failing = {f.rule_id for f in result.failed}
    suppressed = {f.rule_id: f for f in result.suppressed}
    return failing, suppressed, [e for e in result.errors if e.level == "warning"]


@pytest.fixture(autouse=True)
def _cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OCISEC_CACHE_DIR", str(tmp_path / ".cache"))


def test_without_comments_the_bucket_fails_three_rules(tmp_path):
    failing, suppressed, _ = outcome(write(tmp_path))
    assert {"OCI-ENC-001", "OCI-DAT-002", "OCI-DAT-003"} <= failing and suppressed == {}


def test_comment_above_the_block_covers_the_whole_block(tmp_path):
    failing, suppressed, _ = outcome(write(tmp_path, "# ocisec:ignore:OCI-DAT-002 archive bucket, immutable\n"))
    assert "OCI-DAT-002" not in failing and "OCI-ENC-001" in failing
    sup = suppressed["OCI-DAT-002"].suppression
    assert sup.kind == "in_source" and sup.justification == "archive bucket, immutable"
    assert sup.origin == "main.tf:1" and sup.expires is None


def test_stacked_comments_above_a_block_and_slash_comments(tmp_path):
    above = "// ocisec:ignore:OCI-ENC-001 CDN holds the key\n# ocisec:ignore:oci-dat-003 no consumers\n"
    failing, suppressed, _ = outcome(write(tmp_path, above))
    assert {"OCI-ENC-001", "OCI-DAT-003"} <= set(suppressed) and "OCI-DAT-002" in failing


def test_several_rules_in_one_comment(tmp_path):
    failing, suppressed, _ = outcome(
        write(tmp_path, "# ocisec:ignore:OCI-ENC-001,oci-dat-002 ocisec:ignore:OCI-DAT-00? static website\n")
    )
    assert set(suppressed) >= {"OCI-ENC-001", "OCI-DAT-002", "OCI-DAT-003"}
    assert {f.suppression.justification for f in suppressed.values()} == {"static website"}


def test_comment_separated_by_a_blank_line_does_not_apply(tmp_path):
    failing, suppressed, _ = outcome(write(tmp_path, "# ocisec:ignore:OCI-DAT-002 stale\n\n"))
    assert "OCI-DAT-002" in failing and suppressed == {}


def test_comment_at_the_end_of_the_attribute_line(tmp_path):
    failing, suppressed, _ = outcome(write(tmp_path, versioning="  # ocisec:ignore:OCI-DAT-002 immutable"))
    assert "OCI-DAT-002" in suppressed and suppressed["OCI-DAT-002"].suppression.origin == "main.tf:5"


def test_comment_on_another_attribute_line_does_not_leak(tmp_path):
    # A directive for DAT-002 on the events line covers nothing: DAT-002 points at versioning.
    failing, suppressed, _ = outcome(write(tmp_path, events="  # ocisec:ignore:OCI-DAT-002 wrong line"))
    assert "OCI-DAT-002" in failing and suppressed == {}


def test_comment_above_an_attribute_line(tmp_path):
    text = BUCKET.format(versioning="", events="").replace(
        '  versioning', '  # ocisec:ignore:OCI-DAT-002 immutable archive\n  versioning'
    )
    (tmp_path / "main.tf").write_text(text)
    failing, suppressed, _ = outcome(tmp_path)
    assert "OCI-DAT-002" in suppressed and "OCI-DAT-002" not in failing


def test_comment_for_another_rule_does_not_suppress(tmp_path):
    failing, suppressed, _ = outcome(write(tmp_path, "# ocisec:ignore:OCI-ENC-002 not this one\n"))
    assert "OCI-ENC-001" in failing and suppressed == {}


def test_expiry_in_the_future_suppresses_and_in_the_past_warns(tmp_path):
    failing, suppressed, warnings = outcome(
        write(tmp_path, "# ocisec:ignore:OCI-ENC-001:exp:2099-12-31 key migration\n"
              "# ocisec:ignore:OCI-DAT-002:exp:2020-01-01 was temporary\n")
    )
    assert suppressed["OCI-ENC-001"].suppression.expires == "2099-12-31"
    assert "OCI-DAT-002" in failing
    assert [(w.path, w.line) for w in warnings] == [("main.tf", 2)]
    assert "expired on 2020-01-01" in warnings[0].message


def test_bad_expiry_date_warns_and_does_not_suppress(tmp_path):
    failing, _, warnings = outcome(write(tmp_path, "# ocisec:ignore:OCI-ENC-001:exp:someday because\n"))
    assert "OCI-ENC-001" in failing and "not a date" in warnings[0].message


def test_directive_inside_a_string_is_not_a_comment(tmp_path):
    text = BUCKET.format(versioning="", events="").replace('"assets"\n', '"ocisec:ignore:OCI-DAT-002"\n', 1)
    (tmp_path / "main.tf").write_text(text)
    failing, suppressed, _ = outcome(tmp_path)
    assert "OCI-DAT-002" in failing and suppressed == {}


def test_yaml_sources_use_the_same_comments_through_locations_alone(tmp_path):
    """Any file-based source (a Kubernetes manifest here) gets suppressions from its locations."""
    (tmp_path / "deploy.yaml").write_text(
        "# ocisec:ignore:K8S-001 legacy image, tracked in JIRA-1\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
        "spec:\n  privileged: true  # ocisec:ignore:K8S-002:exp:2099-01-01 needs host network\n"
    )
    res = Resource(
        "k8s.Deployment", "Deployment/web", {},
        Provenance("kubernetes", Location("deploy.yaml", 2, 7), {"spec.privileged": Location("deploy.yaml", 7, 7)}),
    )
    block = Finding("K8S-001", Status.FAILED, res, "m", Location("deploy.yaml", 2, 7))
    attr = Finding("K8S-002", Status.FAILED, res, "m", Location("deploy.yaml", 7, 7), "spec.privileged")
    other = Finding("K8S-003", Status.FAILED, res, "m", Location("deploy.yaml", 7, 7), "spec.privileged")
    assert apply_suppressions([block, attr, other], tmp_path, today=date(2026, 1, 1)) == []
    assert block.suppression.justification == "legacy image, tracked in JIRA-1"
    assert attr.suppression.expires == "2099-01-01"
    assert other.suppression is None


def test_passed_findings_are_never_marked(tmp_path):
    write(tmp_path, "# ocisec:ignore:* blanket\n")
    result, _ = run_scan([tmp_path], ScanOptions())
    assert result.failed == [] and all(f.suppression is None for f in result.by_status(Status.PASSED))
    assert {f.rule_id for f in result.suppressed} >= {"OCI-ENC-001", "OCI-DAT-002", "OCI-DAT-003"}


def test_suppressed_findings_appear_in_every_format_and_do_not_fail(tmp_path):
    write(tmp_path, "# ocisec:ignore:* accepted: public website bucket\n")
    res = runner.invoke(app, ["scan", str(tmp_path), "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["findings"] == [] and doc["summary"]["failed"] == 0
    assert doc["summary"]["suppressed"] == len(doc["suppressed"]) >= 3
    assert doc["suppressed"][0]["suppression"]["kind"] == "in_source"
    schema = json.loads((Path(json_report.__file__).with_name("json-output.schema.json")).read_text())
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(doc))
    assert errors == []

    sarif = json.loads(runner.invoke(app, ["scan", str(tmp_path), "--format", "sarif"]).stdout)
    results = sarif["runs"][0]["results"]
    assert len(results) == doc["summary"]["suppressed"]
    assert all(r["suppressions"][0]["kind"] == "inSource" for r in results)
    assert results[0]["suppressions"][0]["justification"] == "accepted: public website bucket"
    sarif_schema = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(sarif_schema).validate(sarif)

    junit = ET.fromstring(runner.invoke(app, ["scan", str(tmp_path), "--format", "junit"]).stdout)
    assert junit.get("failures") == "0" and int(junit.get("skipped")) >= 3
    assert any("accepted: public website bucket" in (s.get("message") or "") for s in junit.iter("skipped"))

    text = runner.invoke(app, ["scan", str(tmp_path)]).stdout
    assert "Suppressed (" in text and "accepted: public website bucket" in text and "suppressed" in text

    markdown = runner.invoke(app, ["scan", str(tmp_path), "--format", "markdown"]).stdout
    assert f"{doc['summary']['suppressed']} suppressed (accepted risks)" in markdown
    assert "accepted: public website bucket (main.tf:1)" in markdown


def test_comment_above_a_module_call_covers_what_is_reached_through_it(tmp_path):
    (tmp_path / "main.tf").write_text(
        '# ocisec:ignore:OCI-ENC-001 legacy buckets, migrating in Q2\n'
        'module "legacy" {\n  source = "./mod"\n}\n\nmodule "fresh" {\n  source = "./mod"\n}\n'
    )
    (tmp_path / "mod").mkdir()
    (tmp_path / "mod" / "main.tf").write_text('resource "oci_objectstorage_bucket" "b" {\n  name = "b"\n}\n')
    block = Location("mod/main.tf", 1, 3)

    def finding(address: str, call: Location) -> Finding:
        res = Resource("oci_objectstorage_bucket", address, {}, Provenance("terraform", block))
        return Finding("OCI-ENC-001", Status.FAILED, res, "m", block, related=[call])

    legacy = finding("module.legacy.oci_objectstorage_bucket.b", Location("main.tf", 2, 4))
    fresh = finding("module.fresh.oci_objectstorage_bucket.b", Location("main.tf", 6, 8))
    apply_suppressions([legacy, fresh], tmp_path)
    assert legacy.suppression is not None and legacy.suppression.origin == "main.tf:1"
    assert fresh.suppression is None


def test_json_results_keep_suppressed_findings_when_read_back(tmp_path):
    """`ocisec diff` reads JSON results: a suppressed finding stays suppressed, not failing."""
    from scanner.workflow.diff import result_from_document

    write(tmp_path, "# ocisec:ignore:OCI-ENC-001 CDN key\n")
    doc = json.loads(runner.invoke(app, ["scan", str(tmp_path), "--format", "json"]).stdout)
    back = result_from_document(doc)
    assert {f.rule_id for f in back.suppressed} == {"OCI-ENC-001"}
    assert back.suppressed[0].suppression.justification == "CDN key"
    assert "OCI-ENC-001" not in {f.rule_id for f in back.failed}
    assert json.loads(json_report.render(back))["suppressed"][0]["suppression"] == doc["suppressed"][0]["suppression"]


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rules"


def test_kubernetes_manifests_and_helm_values_take_the_same_comments(tmp_path):
    """No per-source code: the Kubernetes and Helm sources' locations are enough."""
    job = (FIXTURES / "OCI-IAM-101" / "fail" / "job.yaml").read_text()
    (tmp_path / "job.yaml").write_text("# ocisec:ignore:OCI-IAM-101:exp:2099-06-30 vendor job, replaced in Q3\n" + job)
    (tmp_path / "values.yaml").write_text(
        'database:\n  host: db.bank.example\n'
        '  password: "Db-Adm1n-Passw0rd-2024"  # ocisec:ignore:OCI-SEC-101 throwaway demo database\n'
    )
    for name, rule, reason in (("job.yaml", "OCI-IAM-101", "vendor job, replaced in Q3"),
                               ("values.yaml", "OCI-SEC-101", "throwaway demo database")):
        res = runner.invoke(app, ["scan", str(tmp_path / name), "--format", "json", "--rule", rule])
        doc = json.loads(res.stdout)
        assert res.exit_code == 0 and doc["findings"] == [], res.output
        assert [(f["rule_id"], f["suppression"]["justification"]) for f in doc["suppressed"]] == [(rule, reason)]
    # without the comment the manifest fails: the comment is what suppressed it
    (tmp_path / "job.yaml").write_text(job)
    res = runner.invoke(app, ["scan", str(tmp_path / "job.yaml"), "--format", "json", "--rule", "OCI-IAM-101"])
    assert res.exit_code == 1
