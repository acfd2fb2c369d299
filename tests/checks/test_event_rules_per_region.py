"""CIS 4.3-4.12, 4.15, 4.18 event rules are regional: live, every subscribed region of the
snapshot needs its own rule; a Terraform root stays one region (issue 15)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from scanner.model import Status
from scanner.sources.oci import load_snapshot
from scanner.workflow.audit import AuditOptions, audit_snapshot
from tests.rules.event_rule_fixtures import fixture_dir

RULE = "OCI-MON-303"
TYPES = [
    "com.oraclecloud.identitycontrolplane.createidentityprovider",
    "com.oraclecloud.identitycontrolplane.deleteidentityprovider",
    "com.oraclecloud.identitycontrolplane.updateidentityprovider",
]
TENANCY = "ocid1.tenancy.oc1..aaaaregions"


def _notifying(region: str) -> list[dict]:
    """A subscribed topic and an enabled rule in ``region`` delivering every type of 4.3."""
    topic = f"ocid1.onstopic.oc1.{region}.security"
    return [
        {"type": "ons.NotificationTopic", "region": region,
         "data": {"compartment_id": TENANCY, "name": "security", "topic_id": topic, "lifecycle_state": "ACTIVE"}},
        {"type": "ons.Subscription", "region": region,
         "data": {"compartment_id": TENANCY, "id": f"ocid1.onssubscription.oc1.{region}.team", "topic_id": topic,
                  "protocol": "EMAIL", "endpoint": "soc@example.com", "lifecycle_state": "ACTIVE"}},
        {"type": "events.Rule", "region": region,
         "data": {"compartment_id": TENANCY, "id": f"ocid1.eventrule.oc1.{region}.idp", "display_name": "idp",
                  "is_enabled": True, "lifecycle_state": "ACTIVE",
                  "condition": json.dumps({"eventType": TYPES}),
                  "actions": {"actions": [{"action_type": "ONS", "is_enabled": True, "topic_id": topic}]}}},
    ]


def _audit(tmp_path: Path, regions: list[str], with_rules: list[str]) -> tuple[Status, str]:
    base = json.loads((fixture_dir(RULE, "pass") / "snapshot.json").read_text())
    doc = copy.deepcopy(base)
    doc["tenancy_id"] = doc["compartment_id"] = TENANCY
    doc["regions"] = {r: {"availability_domains": [f"Uocm:{r.upper()}-AD-1"]} for r in regions}
    doc["resources"] = [item for region in with_rules for item in _notifying(region)]
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(doc))
    result = audit_snapshot(load_snapshot(path), AuditOptions(rule_ids=[RULE], root=tmp_path))
    assert result.errors == []
    (finding,) = [f for f in result.findings if f.rule_id == RULE]
    return finding.status, finding.message


def test_a_rule_in_every_subscribed_region_complies(tmp_path: Path):
    status, _ = _audit(tmp_path, ["eu-frankfurt-1", "eu-amsterdam-1"], ["eu-frankfurt-1", "eu-amsterdam-1"])
    assert status is Status.PASSED


def test_a_region_without_its_own_rule_fails_and_is_named(tmp_path: Path):
    status, _ = _audit(tmp_path, ["eu-frankfurt-1", "eu-amsterdam-1"], ["eu-frankfurt-1"])
    assert status is Status.FAILED
    # The check's detail names the region that lacks the rule, and only that one.
    from scanner.checks.tenancy import tenancy_notifies_on_events
    from scanner.engine.registry import ResourceIndex
    from scanner.sources.oci.mapping import snapshot_resources

    resources = snapshot_resources(load_snapshot(tmp_path / "snapshot.json"))
    (tenancy,) = [r for r in resources if r.kind == "oci_identity_tenancy"]
    outcome = tenancy_notifies_on_events(tenancy, ResourceIndex(resources), {"event_types": TYPES})
    assert outcome.result is False
    assert outcome.detail.startswith("in eu-amsterdam-1:"), outcome.detail


@pytest.mark.parametrize("regions", [["eu-frankfurt-1"], ["eu-frankfurt-1", "eu-amsterdam-1", "uk-london-1"]])
def test_rules_outside_the_snapshot_regions_do_not_count(tmp_path: Path, regions: list[str]):
    # A rule in the home region alone: compliant only when the tenancy has no other region.
    status, _ = _audit(tmp_path, regions, ["eu-frankfurt-1"])
    assert status is (Status.PASSED if len(regions) == 1 else Status.FAILED)


def test_terraform_root_is_still_judged_as_one_region():
    from scanner.workflow.config import settings_from_file
    from scanner.workflow.scan import ScanOptions, run_scan

    d = fixture_dir(RULE, "pass")
    settings = settings_from_file(d / ".ocisec.yaml") if (d / ".ocisec.yaml").is_file() else None
    result, _ = run_scan([d], ScanOptions(rule_ids=[RULE], settings=settings))
    assert [f.status for f in result.findings if f.rule_id == RULE] == [Status.PASSED]
