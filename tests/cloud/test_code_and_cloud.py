"""``ocisec audit --state``: live findings on the .tf lines that declared them, drift in both
directions, the unmanaged inventory, in every format, and no state secret anywhere."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from scanner.cli import app
from scanner.sources.oci.snapshot import load_snapshot
from scanner.workflow.audit import AuditOptions, audit_snapshot
from scanner.workflow.cloud import CodeAndCloud, show_value

ROOT = Path(__file__).resolve().parents[2]
PLATFORM = ROOT / "fixtures" / "cloud" / "platform"
LIVE = PLATFORM / "live" / "tenancy.json"
STATE = PLATFORM / "state" / "terraform.tfstate"
COMPLIANT = ROOT / "fixtures" / "platform" / "compliant"
INSECURE = ROOT / "fixtures" / "platform" / "insecure"
FORMATS = ["text", "json", "sarif", "junit", "markdown", "html", "github", "gitlab-sast", "gitlab-codequality"]
# Every secret planted in the state fixture (attribute values, a sensitive output, private data).
PLANTED = ["PLANTED", "UExBTlRFRC1TVEFURS1TRUNSRVQtcGF5bWVudHM", "eyJQTEFOVEVEIjoicHJpdmF0ZSJ9", "Adm1n!"]
DOCUMENTS = "ocid1.bucket.oc1.eu-frankfurt-1.aaaaaaaadocuments"
WORKERS = "ocid1.nodepool.oc1.eu-frankfurt-1.aaaaaaaaworkers"


def audit(code: Path | None = COMPLIANT, states: list[str] | None = None):
    cloud = CodeAndCloud(states or [str(STATE)], code)
    return audit_snapshot(load_snapshot(LIVE), AuditOptions(root=ROOT, code_and_cloud=cloud))


def run_cli(tmp_path: Path, *args: str) -> tuple[int, str]:
    res = CliRunner().invoke(app, ["audit", "--from-snapshot", str(LIVE), "--state", str(STATE), *args])
    return res.exit_code, res.output


def test_managed_findings_move_to_the_tf_attribute_and_keep_the_snapshot_line():
    result = audit()
    public = next(f for f in result.failed if f.resource.address == DOCUMENTS and f.rule_id == "OCI-DAT-001")
    assert public.location.file == "fixtures/platform/compliant/modules/data/storage.tf"
    line = (ROOT / public.location.file).read_text().splitlines()[public.location.start_line - 1]
    assert "access_type" in line
    assert public.related[0].file == "fixtures/cloud/platform/live/tenancy.json"
    assert DOCUMENTS in LIVE.read_text().splitlines()[public.related[0].start_line - 1]
    assert public.resource.context["terraform_address"] == 'module.data.oci_objectstorage_bucket.this["documents"]'
    # An unmanaged object keeps its snapshot line.
    adhoc = next(f for f in result.failed if "adhocexports" in f.resource.address)
    assert adhoc.location.file == "fixtures/cloud/platform/live/tenancy.json"


def test_drift_where_code_passes_and_live_fails():
    result = audit()
    drift = {(d.rule_id, d.address): d for d in result.drift}
    assert set(drift) == {
        ("OCI-DAT-001", 'module.data.oci_objectstorage_bucket.this["documents"]'),
        ("OCI-HA-001", 'module.oke.oci_containerengine_node_pool.this["workers"]'),
    }
    public = drift[("OCI-DAT-001", 'module.data.oci_objectstorage_bucket.this["documents"]')]
    assert (public.direction, public.attribute) == ("fails_live", "access_type")
    assert (public.code_value, public.live_value) == ("NoPublicAccess", "ObjectRead")
    assert "access_type is NoPublicAccess in code and ObjectRead live" in public.message
    pool = drift[("OCI-HA-001", 'module.oke.oci_containerengine_node_pool.this["workers"]')]
    assert "AD-2" in pool.code_value and "AD-2" not in pool.live_value
    assert pool.location.file == "fixtures/platform/compliant/modules/oke/main.tf"


def test_drift_where_code_fails_and_live_passes_is_a_fix_made_by_hand():
    result = audit(INSECURE)
    fixed = {(d.rule_id, d.address): d for d in result.drift if d.direction == "fixed_live"}
    rotation = fixed[("OCI-ROT-003", 'module.vault.oci_kms_key.this["compute"]')]
    assert (rotation.code_value, rotation.live_value) == ("false", "true")
    assert rotation.location.file == "fixtures/platform/insecure/modules/vault/main.tf"
    # A secret attribute is named, never shown.
    password = fixed[("OCI-SEC-003", "module.data.oci_database_autonomous_database.core")]
    assert password.code_value == password.live_value == "(secret, not shown)"
    # The rule that passes in code and fails live is still found the other way round.
    assert ("OCI-DAT-001", 'module.data.oci_objectstorage_bucket.this["documents"]') in {
        (d.rule_id, d.address) for d in result.drift if d.direction == "fails_live"
    }


def test_unmanaged_objects_are_listed_with_their_failing_rules():
    result = audit()
    unmanaged = {u.ocid: u for u in result.unmanaged}
    adhoc = unmanaged["ocid1.bucket.oc1.eu-frankfurt-1.aaaaaaaaadhocexports"]
    assert adhoc.name == "adhoc-exports" and adhoc.compartment_id == "ocid1.compartment.oc1..aaaaaaaaapps"
    assert adhoc.failing == ["OCI-DAT-001", "OCI-DAT-002", "OCI-DAT-003", "OCI-ENC-001"]
    assert unmanaged["ocid1.volume.oc1.eu-frankfurt-1.aaaaaaaamanualscratch"].failing == ["OCI-ENC-002"]
    # Managed objects (every state entry) and the tenancy itself are not in the inventory.
    assert DOCUMENTS not in unmanaged and WORKERS not in unmanaged
    assert not any(u.kind == "oci_identity_tenancy" for u in result.unmanaged)
    assert result.metadata["code_and_cloud"]["managed"] == 24


def test_without_state_entries_everything_is_unmanaged_and_nothing_drifts(tmp_path: Path):
    empty = tmp_path / "terraform.tfstate"
    empty.write_text('{"version": 4, "resources": []}')
    result = audit(COMPLIANT, [str(empty)])
    assert result.drift == []
    assert "ocid1.bucket.oc1.eu-frankfurt-1.aaaaaaaastatements" in {u.ocid for u in result.unmanaged}


def test_sarif_of_an_audit_with_state_lands_on_tf_lines(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, _ = run_cli(tmp_path, "--code", str(COMPLIANT), "--format", "sarif", "--output", str(tmp_path / "a.sarif"))
    assert code == 1
    sarif = json.loads((tmp_path / "a.sarif").read_text())
    schema = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(sarif, schema)
    run = sarif["runs"][0]
    managed = [r for r in run["results"] if "terraformAddress" in r["properties"]]
    assert {r["ruleId"] for r in managed} == {"OCI-DAT-001", "OCI-HA-001"}
    for r in managed:
        uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri.startswith("fixtures/platform/compliant/modules/") and uri.endswith(".tf")
        assert r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].startswith("ocid1.")
        assert r["properties"]["drift"] is True
        related = r["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert related == "fixtures/cloud/platform/live/tenancy.json"
    unmanaged = [r for r in run["results"] if r["properties"].get("unmanaged")]
    assert {r["ruleId"] for r in unmanaged} == {"OCI-DAT-001", "OCI-DAT-002", "OCI-DAT-003", "OCI-ENC-001", "OCI-ENC-002"}
    assert {u["name"] for u in run["properties"]["unmanaged"]} >= {"adhoc-exports", "manual-scratch"}


def test_sarif_marks_fixes_made_by_hand_as_drift_results(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(ROOT)
    run_cli(tmp_path, "--code", str(INSECURE), "--format", "sarif", "--output", str(tmp_path / "a.sarif"))
    log = json.loads((tmp_path / "a.sarif").read_text())
    jsonschema.validate(log, json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text()))
    results = log["runs"][0]["results"]
    fixed = [r for r in results if r["properties"].get("driftDirection") == "fixed_live"]
    rotation = next(r for r in fixed if r["ruleId"] == "OCI-ROT-003")
    assert rotation["properties"]["drift"] is True and rotation["level"] == "note"
    assert rotation["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("vault/main.tf")


@pytest.mark.parametrize("fmt", FORMATS)
def test_drift_and_unmanaged_appear_in_every_format_and_no_state_secret_does(fmt: str, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = tmp_path / f"report.{fmt}"
    code, output = run_cli(tmp_path, "--code", str(INSECURE), "--format", fmt, "--output", str(out))
    assert code == 1, output
    text = out.read_text()
    for secret in PLANTED:
        assert secret not in text and secret not in output
    assert "adhoc" in text or fmt == "gitlab-sast"  # GitLab lists findings, and drift fixed by hand
    if fmt == "gitlab-codequality":
        issues = json.loads(text)
        assert any("[drift: passes in code, fails live]" in i["description"] for i in issues)
        assert any("fixed by hand" in i["description"] and i["location"]["path"].endswith(".tf") for i in issues)
        assert any("[unmanaged" in i["description"] for i in issues)
        return
    if fmt == "gitlab-sast":
        doc = json.loads(text)
        assert any("fixed by hand" in v["description"] for v in doc["vulnerabilities"])
        assert any(v["details"].get("unmanaged") for v in doc["vulnerabilities"])
        return
    lowered = text.lower()
    assert "drift" in lowered
    if fmt == "json":
        doc = json.loads(text)
        schema = json.loads((ROOT / "scanner" / "report" / "json-output.schema.json").read_text())
        jsonschema.validate(doc, schema)
        assert {d["direction"] for d in doc["drift"]} == {"fails_live", "fixed_live"}
        assert "adhoc-exports" in {u["name"] for u in doc["unmanaged"]}


def test_snapshot_written_by_an_audit_with_state_holds_no_state_secret(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(ROOT)
    res = CliRunner().invoke(app, ["audit", "--from-snapshot", str(LIVE), "--state", str(STATE), "--code",
                                   str(COMPLIANT), "--format", "json"])
    assert res.exit_code == 1
    assert not any(s in res.output for s in PLANTED)


def test_show_value_never_shows_a_secret_attribute_and_cuts_long_values():
    attrs = {"admin_password": "x", "db": [{"connection_secret": "y"}], "tags": "z" * 500, "nested": [{"a": 1}]}
    assert show_value(attrs, "admin_password") == "(secret, not shown)"
    assert show_value(attrs, "db.0.connection_secret") == "(secret, not shown)"
    assert len(show_value(attrs, "tags")) == 120
    assert show_value(attrs, "missing") == "(not set)"
    assert show_value(attrs, "nested.0.a") == "1"


def test_code_without_state_is_a_usage_error():
    res = CliRunner().invoke(app, ["audit", "--from-snapshot", str(LIVE), "--code", str(COMPLIANT)])
    assert res.exit_code == 2
    assert "--state" in res.output


def test_an_unreadable_state_is_an_input_error_and_the_audit_goes_on(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(ROOT)
    bad = tmp_path / "terraform.tfstate"
    bad.write_text('{"version": 3, "modules": []}')
    res = CliRunner().invoke(app, ["audit", "--from-snapshot", str(LIVE), "--state", str(bad), "--format", "json"])
    assert res.exit_code == 2
    doc = json.loads(res.stdout)
    assert any("version 3" in e["message"] for e in doc["errors"])
    assert doc["summary"]["failed"] > 0  # the live audit itself still reports


def test_drift_against_a_plan_uses_the_plans_values_and_its_tf_lines(tmp_path: Path, monkeypatch):
    """--plan: the live buckets are compared with the plan's values, and land on main.tf beside it."""
    monkeypatch.chdir(ROOT)
    plan_dir = ROOT / "fixtures" / "plans" / "with_config"
    doc = json.loads(LIVE.read_text())
    doc["resources"] = [r for r in doc["resources"] if r["type"] != "object_storage.Bucket"]
    for name, key in (("uploads", None), ("exports", "ocid1.key.oc1.eu-frankfurt-1.aaaaaaaabuckets")):
        data = {"compartment_id": "ocid1.compartment.oc1..example", "id": f"ocid1.bucket.oc1..{name}", "name": name,
                "namespace": "examplens", "public_access_type": "NoPublicAccess", "versioning": "Enabled",
                "object_events_enabled": True, "storage_tier": "Standard", "time_created": "2026-01-10T08:00:00+00:00"}
        if key:
            data["kms_key_id"] = key
        doc["resources"].append({"type": "object_storage.Bucket", "region": "eu-frankfurt-1", "data": data})
    snapshot = tmp_path / "live.json"
    snapshot.write_text(json.dumps(doc))
    state = tmp_path / "terraform.tfstate"
    state.write_text(json.dumps({"version": 4, "resources": [
        {"mode": "managed", "type": "oci_objectstorage_bucket", "name": name,
         "instances": [{"attributes": {"id": f"n/examplens/b/{name}", "bucket_id": f"ocid1.bucket.oc1..{name}"}}]}
        for name in ("uploads", "exports")]}))
    res = CliRunner().invoke(app, ["audit", "--from-snapshot", str(snapshot), "--state", str(state),
                                   "--plan", str(plan_dir / "plan.json"), "--format", "json"])
    drift = {(d["rule_id"], d["address"]): d for d in json.loads(res.stdout)["drift"]}
    uploads = drift[("OCI-ENC-001", "oci_objectstorage_bucket.uploads")]
    assert uploads["direction"] == "fails_live"
    assert uploads["code_value"].startswith("(known after apply")
    assert uploads["location"]["file"] == "fixtures/plans/with_config/main.tf"
    exports = drift[("OCI-ENC-001", "oci_objectstorage_bucket.exports")]
    assert exports["direction"] == "fixed_live" and exports["code_value"] == "(not set)"


def test_hostile_state_content_is_escaped_and_the_audit_goes_on(tmp_path: Path, monkeypatch):
    """Names in a state are attacker-controlled (a pull request can change the configuration):
    control characters never reach a report raw, and a deeply nested value is an error, not a crash."""
    monkeypatch.chdir(ROOT)
    state = json.loads(STATE.read_text())
    for entry in state["resources"]:
        if entry["type"] == "oci_objectstorage_bucket":
            for inst in entry["instances"]:
                inst["index_key"] = inst["index_key"] + "\x1b[31m\r\n::error::forged"
    hostile = tmp_path / "hostile.tfstate"
    hostile.write_text(json.dumps(state))
    deep = tmp_path / "deep.tfstate"
    deep.write_text('{"version": 4, "resources": [' + "[" * 100_000 + "]" * 100_000 + "]}")
    for fmt in ("text", "github", "markdown"):
        res = CliRunner().invoke(app, ["audit", "--from-snapshot", str(LIVE), "--state", str(hostile), "--state",
                                       str(deep), "--code", str(COMPLIANT), "--format", fmt])
        assert res.exit_code == 2, res.output
        assert "\x1b" not in res.output and "\r" not in res.output
        assert "\n::error::forged" not in res.output
        assert "deep.tfstate" in res.output


def test_a_value_holding_a_secret_of_the_configuration_is_not_shown(tmp_path: Path, monkeypatch):
    """A sensitive variable's value flowing into an attribute a rule reads: the drift names the
    attribute but shows neither side."""
    from scanner.model import Location, Provenance, Resource
    from scanner.workflow.cloud import CodeSide, _holds_secret

    code = CodeSide(secrets={"s3cr3t-value-123"})
    res = Resource("oci_core_instance", "oci_core_instance.a", {}, Provenance("terraform", Location("m.tf", 1, 2)))
    live = Resource("oci_core_instance", "ocid1.instance.oc1..a", {}, Provenance("oci", ocid="ocid1.instance.oc1..a"))
    assert _holds_secret("x-s3cr3t-value-123", "y", code, res, live, "metadata.user_data")
    assert not _holds_secret("plain", "values", code, res, live, "metadata.user_data")
    res.context["sensitive_attributes"] = ["metadata"]
    assert _holds_secret("plain", "values", code, res, live, "metadata.user_data")


def test_code_holding_several_roots_is_warned_about(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = audit(ROOT / "fixtures" / "platform")
    warnings = [e for e in result.errors if e.level == "warning" and "Terraform roots" in e.message]
    assert warnings and "fixtures/platform/compliant" in warnings[0].message
