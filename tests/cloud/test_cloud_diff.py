"""``ocisec diff`` of two audits given --state: drift and unmanaged objects as categories."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from scanner.cli import app

ROOT = Path(__file__).resolve().parents[2]
PLATFORM = ROOT / "fixtures" / "cloud" / "platform"
STATE = PLATFORM / "state" / "terraform.tfstate"
COMPLIANT = ROOT / "fixtures" / "platform" / "compliant"
FORMATS = ["text", "json", "sarif", "junit", "markdown", "html"]


def later_snapshot(path: Path) -> Path:
    """A week later: the public bucket was closed again, the audit bucket lost versioning in the
    console, the hand-made volume was deleted and a new bucket was made by hand."""
    doc = json.loads((PLATFORM / "live" / "tenancy.json").read_text())
    for item in doc["resources"]:
        data = item["data"]
        if data.get("name") == "platform-documents":
            data["public_access_type"] = "NoPublicAccess"
        if data.get("name") == "platform-audit":
            data["versioning"] = "Disabled"
    doc["resources"] = [r for r in doc["resources"] if r["data"].get("display_name") != "manual-scratch"]
    doc["resources"].append({"type": "object_storage.Bucket", "region": "eu-frankfurt-1", "data": {
        "compartment_id": "ocid1.compartment.oc1..aaaaaaaaapps", "id": "ocid1.bucket.oc1.eu-frankfurt-1.aaaaaaaatmpupload",
        "name": "tmp-upload", "namespace": "bankns", "public_access_type": "NoPublicAccess", "versioning": "Enabled",
        "object_events_enabled": True, "kms_key_id": "ocid1.key.oc1.eu-frankfurt-1.aaaaaaaabuckets",
        "storage_tier": "Standard", "time_created": "2026-11-21T08:00:00+00:00"}})
    path.write_text(json.dumps(doc))
    return path


@pytest.fixture
def sides(tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    monkeypatch.chdir(ROOT)
    out = []
    for name, snapshot in (("old", PLATFORM / "live" / "tenancy.json"), ("new", later_snapshot(tmp_path / "later.json"))):
        res = CliRunner().invoke(app, ["audit", "--from-snapshot", str(snapshot), "--state", str(STATE), "--code",
                                       str(COMPLIANT), "--format", "json", "--output", str(tmp_path / f"{name}.json")])
        assert res.exit_code == 1, res.output
        out.append(tmp_path / f"{name}.json")
    return out[0], out[1]


def test_diff_of_two_audits_with_state_has_drift_and_unmanaged_categories(sides, tmp_path: Path):
    res = CliRunner().invoke(app, ["diff", str(sides[0]), str(sides[1]), "--format", "json"])
    doc = json.loads(res.stdout)
    schema_dir = ROOT / "scanner" / "report"
    schema = json.loads((schema_dir / "diff-output.schema.json").read_text())
    registry_schema = json.loads((schema_dir / "json-output.schema.json").read_text())
    from referencing import Registry, Resource

    registry = Registry().with_resource("json-output.schema.json", Resource.from_contents(registry_schema))
    jsonschema.Draft202012Validator(schema, registry=registry).validate(doc)
    cloud = doc["code_and_cloud"]
    assert [(d["rule_id"], d["address"]) for d in cloud["drift_new"]] == [
        ("OCI-DAT-002", 'module.data.oci_objectstorage_bucket.this["audit"]')]
    assert [(d["rule_id"], d["address"]) for d in cloud["drift_resolved"]] == [
        ("OCI-DAT-001", 'module.data.oci_objectstorage_bucket.this["documents"]')]
    assert [d["rule_id"] for d in cloud["drift_persisting"]] == ["OCI-HA-001"]
    assert [u["name"] for u in cloud["unmanaged_new"]] == ["tmp-upload"]
    assert [u["name"] for u in cloud["unmanaged_gone"]] == ["manual-scratch"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_diff_format_shows_the_categories(sides, fmt: str):
    res = CliRunner().invoke(app, ["diff", str(sides[0]), str(sides[1]), "--format", fmt])
    text = res.stdout.replace("\\-", "-")  # markdown escapes every '-'
    assert "PLANTED" not in text and "Adm1n" not in text  # the state's secrets
    assert "tmp-upload" in text and "manual-scratch" in text
    assert "OCI-DAT-002" in text
    if fmt in ("text", "markdown", "html"):
        assert "New drift" in text and "Drift resolved" in text
    if fmt == "junit":
        assert 'name="code-and-cloud.drift_new"' in text


def test_diff_of_two_snapshots_with_state_audits_both_sides_with_it(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(ROOT)
    later = later_snapshot(tmp_path / "later.json")
    res = CliRunner().invoke(app, ["diff", str(PLATFORM / "live" / "tenancy.json"), str(later), "--state", str(STATE),
                                   "--code", str(COMPLIANT), "--format", "json"])
    cloud = json.loads(res.stdout)["code_and_cloud"]
    assert cloud["summary"]["drift_new"] == 1 and cloud["summary"]["drift_resolved"] == 1
    assert [u["name"] for u in cloud["unmanaged_new"]] == ["tmp-upload"]
    assert CliRunner().invoke(app, ["diff", str(later), str(later), "--code", str(COMPLIANT)]).exit_code == 2
