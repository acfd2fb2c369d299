"""SARIF: schema validity, what becomes a result, fingerprints, notifications."""

from __future__ import annotations

import json
from dataclasses import replace

import jsonschema

from scanner.model import Provenance
from scanner.report import sarif
from scanner.report.fingerprint import FINGERPRINT_KEY, fingerprint


def _run(result) -> dict:
    return json.loads(sarif.render(result))["runs"][0]


def test_schema_valid(result, make_scan, sarif_schema):
    for scan in (result, make_scan(strict=True)):
        jsonschema.Draft4Validator(sarif_schema).validate(json.loads(sarif.render(scan)))


def test_rules_carry_metadata_for_code_scanning(result):
    rules = {r["id"]: r for r in _run(result)["tool"]["driver"]["rules"]}
    assert set(rules) == {"OCI-ENC-001", "OCI-SEC-001", "OCI-HA-002"}
    enc = rules["OCI-ENC-001"]
    assert enc["name"] == "ObjectStorageBucketIsEncryptedWithACustomerManagedVaultKey"
    assert enc["properties"]["security-severity"] == "8.0"
    assert enc["defaultConfiguration"]["level"] == "error"
    assert "Why OCI-ENC-001 matters." in enc["help"]["markdown"]
    assert "Fix OCI-ENC-001" in enc["help"]["text"] and "4.1.2" in enc["help"]["text"]
    assert enc["helpUri"].endswith("#oci-enc-001")
    assert rules["OCI-SEC-001"]["properties"]["security-severity"] == "9.5"
    assert rules["OCI-HA-002"]["defaultConfiguration"]["level"] == "warning"


def test_results_are_failed_findings_only_unknown_counted_apart(result):
    run = _run(result)
    rules = run["tool"]["driver"]["rules"]
    assert sorted(r["ruleId"] for r in run["results"]) == ["OCI-ENC-001", "OCI-SEC-001"]
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
    assert run["properties"]["unknown"] == 1
    assert run["properties"]["unknownByRule"] == {"OCI-HA-002": 1}


def test_strict_reports_unknown_as_results(make_scan):
    run = _run(make_scan(strict=True))
    assert "OCI-HA-002" in {r["ruleId"] for r in run["results"]}


def test_result_location_and_message(result):
    res = next(r for r in _run(result)["results"] if r["ruleId"] == "OCI-ENC-001")
    assert res["level"] == "error"
    assert "oci_objectstorage_bucket.logs" in res["message"]["text"]
    loc = res["locations"][0]
    assert loc["physicalLocation"]["artifactLocation"] == {"uri": "main.tf", "uriBaseId": "%SRCROOT%"}
    assert loc["physicalLocation"]["region"] == {"startLine": 12, "endLine": 12}
    assert loc["logicalLocations"] == [
        {"fullyQualifiedName": "oci_objectstorage_bucket.logs", "kind": "resource"}
    ]


def test_root_uri_and_category(result):
    run = _run(result)
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == "file:///work/example%20project/"
    assert run["automationDetails"]["id"] == "ocisec/terraform/"


def _fingerprints(result) -> dict[tuple[str, str], str]:
    return {
        (r["ruleId"], r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]): r[
            "partialFingerprints"
        ][FINGERPRINT_KEY]
        for r in _run(result)["results"]
    }


def test_fingerprints_survive_moved_lines_and_tell_findings_apart(make_scan):
    before, after = _fingerprints(make_scan()), _fingerprints(make_scan(shift=40))
    assert before == after
    assert len(set(before.values())) == len(before) == 2
    # ...while the regions did move.
    moved = next(r for r in _run(make_scan(shift=40))["results"] if r["ruleId"] == "OCI-ENC-001")
    assert moved["locations"][0]["physicalLocation"]["region"]["startLine"] == 52


def test_fingerprint_differs_by_rule_resource_and_attribute(result):
    failed = result.findings[0]
    variants = [
        failed,
        replace(failed, rule_id="OCI-SEC-001"),
        replace(failed, resource=result.findings[1].resource),
        replace(failed, attribute="storage_tier"),
    ]
    assert len({fingerprint(f) for f in variants}) == 4


def test_live_resource_keeps_logical_location_only(result, sarif_schema):
    finding = result.findings[0]
    finding.location = None
    finding.resource.provenance = Provenance(
        source="oci", ocid="ocid1.bucket.oc1..aaa", region="eu-frankfurt-1"
    )
    log = json.loads(sarif.render(result))
    jsonschema.Draft4Validator(sarif_schema).validate(log)
    res = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "OCI-ENC-001")
    assert "physicalLocation" not in res["locations"][0]
    assert res["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "oci_objectstorage_bucket.logs"


def test_input_errors_become_notifications(result):
    invocation = _run(result)["invocations"][0]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error" and "Unexpected token" in note["message"]["text"]
    physical = note["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "broken.tf" and physical["region"]["startLine"] == 7


def test_clean_scan_is_successful(result):
    result.errors = []
    assert _run(result)["invocations"][0]["executionSuccessful"] is True
