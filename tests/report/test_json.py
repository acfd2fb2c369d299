"""JSON report: validates against its published schema; counts and fingerprints agree with SARIF."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from scanner.report import json_report, sarif
from scanner.report.fingerprint import FINGERPRINT_KEY

SCHEMA_PATH = Path(json_report.__file__).with_name("json-output.schema.json")


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_validates_against_schema(validator, result, make_scan):
    for scan in (result, make_scan(strict=True)):
        validator.validate(json.loads(json_report.render(scan)))


def test_schema_rejects_drift(validator, result):
    # The schema is a contract: an undocumented field or a passed finding in `findings` must fail it.
    doc = json.loads(json_report.render(result))
    doc["findings"][0]["value"] = "x"
    assert not validator.is_valid(doc)
    doc = json.loads(json_report.render(result))
    doc["findings"][0]["status"] = "passed"
    assert not validator.is_valid(doc)


def test_sections_and_summary(result):
    doc = json.loads(json_report.render(result))
    assert [f["rule_id"] for f in doc["findings"]] == ["OCI-ENC-001", "OCI-SEC-001"]
    assert [f["resource"]["address"] for f in doc["unknown"]] == [
        "module.oke.oci_containerengine_node_pool.np[0]"
    ]
    assert doc["errors"] == [{"path": "broken.tf", "line": 7, "message": "Unexpected token '}'", "level": "error"}]
    assert doc["summary"] == {
        "resources": 4,
        "files": 4,
        "passed": 1,
        "failed": 2,
        "unknown": 1,
        "errors": 1,
        "failing": 2,
        "by_severity": {"critical": 1, "high": 1, "medium": 0, "low": 0},
        "suppressed": 0,
        "baselined": 0,
    }
    assert [r["id"] for r in doc["rules"]] == ["OCI-ENC-001", "OCI-HA-002", "OCI-SEC-001"]
    enc = doc["findings"][0]
    assert enc["location"] == {"file": "main.tf", "start_line": 12, "end_line": 12}
    assert enc["attribute"] == "kms_key_id" and enc["severity"] == "high"


def test_strict_counts_unknown_as_failing(make_scan):
    summary = json.loads(json_report.render(make_scan(strict=True)))["summary"]
    assert summary["failing"] == 3 and summary["by_severity"]["medium"] == 1


def test_fingerprints_match_sarif(result):
    doc = json.loads(json_report.render(result))
    in_sarif = {r["partialFingerprints"][FINGERPRINT_KEY] for r in sarif.to_log(result)["runs"][0]["results"]}
    assert {f["fingerprint"] for f in doc["findings"]} == in_sarif


def test_location_null_for_live_resources(result, validator):
    result.findings[0].location = None
    result.findings[0].resource.provenance.location = None
    doc = json.loads(json_report.render(result))
    validator.validate(doc)
    assert any(f["location"] is None for f in doc["findings"])
