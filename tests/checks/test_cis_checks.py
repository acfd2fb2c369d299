"""CIS OCI v3.0 checks on their own: what counts as exposure, notification, logging, and when a
tenancy-level fact is unknown rather than failed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.checks.exposure import covers_everything, rule_admits
from scanner.model import Status, Unknown
from scanner.sources.oci import load_snapshot
from scanner.workflow.audit import AuditOptions, audit_snapshot
from scanner.workflow.config import Settings
from scanner.workflow.scan import ScanOptions, run_scan
from tests.rules.event_rule_fixtures import event_rule_tf, topic_tf
from tests.rules.event_rule_fixtures import fixture_dir as event_fixture

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "rules"


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"source": "0.0.0.0/0", "protocol": "6", "tcp_options": [{"min": 22, "max": 22}]}, True),
        ({"source": "0.0.0.0/0", "protocol": "6", "tcp_options": [{"min": 20, "max": 30}]}, True),
        ({"source": "0.0.0.0/0", "protocol": "6", "tcp_options": [{"min": 23, "max": 30}]}, False),
        ({"source": "0.0.0.0/0", "protocol": "6"}, True),  # no options: every port
        ({"source": "0.0.0.0/0", "protocol": "6", "tcp_options": [{}]}, True),  # options without a range
        ({"source": "::/0", "protocol": "all"}, True),
        ({"source": "0.0.0.0/0", "protocol": "17"}, False),  # UDP
        ({"source": "10.0.0.0/8", "protocol": "all"}, False),
        ({"source": "0.0.0.0/0", "protocol": "6", "source_type": "SERVICE_CIDR_BLOCK"}, False),
        (  # the NSG / API shape
            {"source": "0.0.0.0/0", "protocol": "6", "tcp_options": [{"destination_port_range": [{"min": 22, "max": 22}]}]},
            True,
        ),
        ({"source": Unknown("var.cidr"), "protocol": "6"}, None),
        ({"source": "0.0.0.0/0", "protocol": "6", "tcp_options": Unknown("dynamic block")}, None),
        ({"source": "10.0.0.0/8", "protocol": Unknown("var.protocol")}, False),  # never from the internet
    ],
)
def test_which_ingress_rules_admit_ssh_from_the_internet(rule, expected):
    assert rule_admits(rule, [22])[0] is expected


def test_internet_is_any_prefix_of_length_zero():
    assert covers_everything("0.0.0.0/0") and covers_everything("::/0") and covers_everything("8.8.8.8/0")
    assert covers_everything("0.0.0.0/1") is False and covers_everything("oci-fra-objectstorage") is False


def _scan(path: Path, rule_id: str, tenancy_root: bool | None = None):
    settings = None
    if tenancy_root is not None:
        settings = Settings(base=path, select=[rule_id], tenancy_root=tenancy_root)
    result, _ = run_scan([path], ScanOptions(rule_ids=[rule_id], settings=settings))
    assert result.errors == []
    return {f.resource.address.split("(")[0]: f for f in result.findings if f.rule_id == rule_id}


def test_a_tenancy_fact_absent_from_a_root_is_unknown_unless_the_root_is_the_baseline():
    fail = event_fixture("OCI-MON-306", "fail")
    assert _scan(fail, "OCI-MON-306", tenancy_root=False)["tenancy"].status is Status.UNKNOWN
    assert _scan(fail, "OCI-MON-306")["tenancy"].status is Status.UNKNOWN  # no configuration at all
    assert _scan(fail, "OCI-MON-306", tenancy_root=True)["tenancy"].status is Status.FAILED
    # A root that declares no compartment at all says nothing about the tenancy: no finding.
    assert "tenancy" not in _scan(FIXTURES / "OCI-OPS-301" / "fail", "OCI-OPS-301", tenancy_root=False)
    assert _scan(FIXTURES / "OCI-OPS-301" / "fail", "OCI-OPS-301", tenancy_root=True)["tenancy"].status is Status.FAILED


def test_tenancy_root_globs_pick_roots(tmp_path: Path):
    for name in ("baseline", "app"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "main.tf").write_text(
            'resource "oci_core_vcn" "v" {\n  compartment_id = var.compartment_ocid\n}\n'
        )
    settings = Settings(base=tmp_path, select=["OCI-OPS-301"], tenancy_root=["baseline"])
    result, _ = run_scan([tmp_path], ScanOptions(rule_ids=["OCI-OPS-301"], settings=settings))
    status = {f.resource.address: f.status for f in result.findings}
    assert [s for a, s in status.items() if a.endswith("baseline)")] == [Status.FAILED]
    # The other root declares no compartment: it says nothing about the tenancy (no finding).
    assert [s for a, s in status.items() if a.endswith("app)")] == []


def _tf(tmp_path: Path, text: str, rule_id: str):
    (tmp_path / "main.tf").write_text(text)
    return _scan(tmp_path, rule_id, tenancy_root=True)


def notifying_root(compartment: str, condition: str) -> str:
    """A subscribed topic and one event rule notifying it (tests/rules/event_rule_fixtures.py)."""
    return topic_tf("t") + event_rule_tf("r", condition, "t", compartment, block="action")


@pytest.mark.parametrize(
    ("compartment", "condition", "expected"),
    [
        # A wildcard covers every IAM group event type.
        ("var.tenancy_ocid", 'condition = "{\\"eventType\\":[\\"com.oraclecloud.identitycontrolplane.*\\"]}"', Status.PASSED),
        # The structured form of the condition.
        (
            "var.tenancy_ocid",
            "condition_details {\n    event_types = [\"com.oraclecloud.identitycontrolplane.creategroup\","
            " \"com.oraclecloud.identitycontrolplane.deletegroup\", \"com.oraclecloud.identitycontrolplane.updategroup\"]\n  }",
            Status.PASSED,
        ),
        # Below the root, the rule misses changes made elsewhere in the tenancy.
        ("oci_identity_compartment.app.id", 'condition = "{\\"eventType\\":[\\"com.oraclecloud.identitycontrolplane.*\\"]}"', Status.FAILED),
        ("var.tenancy_ocid", 'condition = "{\\"eventType\\":[\\"com.oraclecloud.virtualnetwork.createvcn\\"]}"', Status.FAILED),
        ("var.tenancy_ocid", "condition = var.condition", Status.UNKNOWN),
    ],
)
def test_event_rule_coverage(tmp_path: Path, compartment: str, condition: str, expected: Status):
    found = _tf(tmp_path, notifying_root(compartment, condition), "OCI-MON-305")
    assert found["tenancy"].status is expected, found["tenancy"].message


def test_root_compartment_in_terraform(tmp_path: Path):
    text = """
resource "oci_core_vcn" "by_variable" { compartment_id = var.tenancy_ocid }
resource "oci_core_vcn" "by_compartment" { compartment_id = oci_identity_compartment.net.id }
resource "oci_core_vcn" "by_compartment_variable" { compartment_id = var.network_compartment_ocid }
resource "oci_core_vcn" "by_other_variable" { compartment_id = var.target }
resource "oci_core_vcn" "by_literal" { compartment_id = "ocid1.compartment.oc1..aaaanet" }
"""
    found = _tf(tmp_path, text, "OCI-OPS-302")
    assert found["oci_core_vcn.by_variable"].status is Status.FAILED
    assert found["oci_core_vcn.by_compartment"].status is Status.PASSED
    assert found["oci_core_vcn.by_literal"].status is Status.PASSED
    # A variable named for a compartment (not the tenancy) is taken as one; any other is unknown.
    assert found["oci_core_vcn.by_compartment_variable"].status is Status.PASSED
    assert found["oci_core_vcn.by_other_variable"].status is Status.UNKNOWN


def test_instance_configuration_without_in_transit_encryption_fails():
    found = _scan(FIXTURES / "OCI-ENC-009" / "fail", "OCI-ENC-009")
    assert found["oci_core_instance_configuration.workers"].status is Status.FAILED
    assert _scan(FIXTURES / "OCI-ENC-009" / "pass", "OCI-ENC-009")[
        "oci_core_instance_configuration.workers"
    ].status is Status.PASSED


def _audit(tmp_path: Path, fixture: Path, rule_id: str, drop: str):
    doc = json.loads(fixture.read_text())
    doc["collected"] = [t for t in doc["collected"] if t != drop]
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(doc))
    result = audit_snapshot(load_snapshot(path), AuditOptions(rule_ids=[rule_id], root=tmp_path))
    return [f for f in result.findings if f.rule_id == rule_id]


def test_live_absence_is_unknown_when_the_type_was_not_collected(tmp_path: Path):
    fixture = event_fixture("OCI-MON-305", "fail") / "snapshot.json"
    [finding] = _audit(tmp_path, fixture, "OCI-MON-305", "events.Rule")
    assert finding.status is Status.UNKNOWN and "oci_events_rule not collected" in finding.message
    [finding] = _audit(tmp_path, FIXTURES / "OCI-OPS-301" / "fail" / "snapshot.json", "OCI-OPS-301", "x")
    assert finding.status is Status.FAILED


def test_live_default_security_list_is_judged_as_one():
    result = audit_snapshot(
        load_snapshot(FIXTURES / "OCI-NET-305" / "fail" / "snapshot.json"),
        AuditOptions(rule_ids=["OCI-NET-305"], root=ROOT),
    )
    kinds = {f.resource.kind: f.status for f in result.findings}
    assert kinds == {"oci_core_vcn": Status.PASSED, "oci_core_default_security_list": Status.FAILED}


def test_a_flow_log_of_one_for_each_instance_covers_only_that_instance(tmp_path: Path):
    text = """
locals {
  subnets = { api = "10.0.1.0/24", db = "10.0.2.0/24" }
}
resource "oci_core_subnet" "this" {
  for_each       = local.subnets
  compartment_id = var.compartment_ocid
  vcn_id         = "ocid1.vcn.oc1..x"
  cidr_block     = each.value
}
resource "oci_logging_log" "api_only" {
  display_name = "api"
  log_group_id = "ocid1.loggroup.oc1..x"
  log_type     = "SERVICE"
  configuration {
    source {
      category    = "all"
      resource    = oci_core_subnet.this["api"].id
      service     = "flowlogs"
      source_type = "OCISERVICE"
    }
  }
}
"""
    found = _tf(tmp_path, text, "OCI-MON-313")
    assert found['oci_core_subnet.this["api"]'].status is Status.PASSED
    assert found['oci_core_subnet.this["db"]'].status is Status.FAILED


def test_storage_grants_to_workloads_are_not_storage_administrators(tmp_path: Path):
    text = """
resource "oci_identity_policy" "p" {
  compartment_id = var.tenancy_ocid
  name           = "p"
  description    = "p"
  statements = [
    "Allow dynamic-group retention-jobs to manage objects in compartment app",
    "Allow group Administrators to manage object-family in tenancy",
  ]
}
"""
    assert _tf(tmp_path, text, "OCI-IAM-315")["oci_identity_policy.p"].status is Status.PASSED


@pytest.mark.parametrize("verbs", [("create", "delete"), ("add", "remove")])
def test_idp_group_mapping_events_by_either_name(tmp_path: Path, verbs: tuple[str, str]):
    # The benchmark's text names create/delete, Oracle's cis_reports.py add/remove: both pass.
    types = [f"com.oraclecloud.identitycontrolplane.{v}idpgroupmapping" for v in (*verbs, "update")]
    condition = "condition = " + json.dumps(json.dumps({"eventType": types}))
    found = _tf(tmp_path, notifying_root("var.tenancy_ocid", condition), "OCI-MON-304")
    assert found["tenancy"].status is Status.PASSED


def test_allow_list_entries_are_normalised():
    from scanner.checks.exposure import too_broad

    assert too_broad("0.0.0.0/0") and too_broad("203.0.113.7/0") and too_broad("::/0")
    assert too_broad("ocid1.vcn.oc1..x;0.0.0.0/0")
    assert not too_broad("0.0.0.0/1") and too_broad("0.0.0.0/1", min_v4=8)
    assert not too_broad("ocid1.vcn.oc1..x") and not too_broad("10.0.0.0/16", min_v4=8)
    assert too_broad(Unknown("var.cidr")) is None
    found = _scan(FIXTURES / "OCI-DAT-004" / "fail", "OCI-DAT-004")
    assert found["oci_database_autonomous_database.zero_prefix"].status is Status.FAILED
    assert found["oci_database_autonomous_database.half_the_internet"].status is Status.FAILED


def test_a_stream_whose_pool_is_out_of_scope_is_unknown(tmp_path: Path):
    text = """
resource "oci_streaming_stream" "elsewhere" {
  name           = "elsewhere"
  partitions     = 1
  stream_pool_id = var.shared_pool_ocid
}
resource "oci_streaming_stream" "literal" {
  name           = "literal"
  partitions     = 1
  stream_pool_id = "ocid1.streampool.oc1..other"
}
"""
    found = _tf(tmp_path, text, "OCI-ENC-007")
    assert found["oci_streaming_stream.elsewhere"].status is Status.UNKNOWN
    assert found["oci_streaming_stream.literal"].status is Status.UNKNOWN
    pool = _scan(FIXTURES / "OCI-ENC-007" / "pass", "OCI-ENC-007")
    assert {f.status for a, f in pool.items() if a.startswith("oci_streaming_stream.")} == {Status.PASSED}
