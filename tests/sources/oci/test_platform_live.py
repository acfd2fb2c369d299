"""Issue 18, live: web app firewalls and load-balancer logs are collected through the real SDK from
the emulator and judged (OCI-NET-405, OCI-LOG-402); what could not be collected (a read the
auditor lacks, a listing that failed) leaves the rules unknown, never failed or passed (and
OCI-LOG-401 likewise for event rules)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from live_helpers import ROOT, write_config

from scanner.model import Status
from scanner.sources.oci.auditor_policy import auditor_statements, required_reads
from scanner.sources.oci.auth import make_session
from scanner.sources.oci.collector import Collector
from scanner.sources.oci.snapshot import snapshot_from_dict
from scanner.workflow.audit import AuditOptions, audit_snapshot
from tests.emulator import Fault, OciEmulator

FIXTURES = ROOT / "fixtures" / "rules"
FAST_RETRY = {"max_attempts": 2, "base_sleep": 0.01, "max_wait": 0.05, "max_elapsed": 10}


def _doc(rule_id: str, kind: str) -> dict:
    return json.loads((FIXTURES / rule_id / f"live-{kind}" / "snapshot.json").read_text())


def _collect(doc: dict, tmp_path: Path, api_key, **emulator):
    config = write_config(tmp_path, api_key[0], doc["tenancy_id"], doc["home_region"])
    at = datetime.fromisoformat(doc["collected_at"].replace("Z", "+00:00")).astimezone(UTC)
    with OciEmulator(doc, public_key_pem=api_key[1], **emulator) as emu:
        session = make_session("api_key", config, None, emu.endpoint)
        snapshot = Collector(session, concurrency=4, retry=FAST_RETRY, clock=lambda: at).collect()
        requests = list(emu.requests)
    return snapshot, requests


def _statuses(snapshot, rule_id: str) -> dict[str, Status]:
    result = audit_snapshot(snapshot, AuditOptions(rule_ids=[rule_id]))
    return {f.resource.address: f.status for f in result.findings if f.rule_id == rule_id}


def test_the_auditor_reads_web_app_firewalls():
    assert "web-app-firewall" in required_reads()
    assert "Allow group ocisec-auditors to read web-app-firewall in tenancy" in auditor_statements()


def test_web_app_firewalls_are_collected_with_their_load_balancer(tmp_path, api_key):
    doc = _doc("OCI-NET-405", "pass")
    snapshot, requests = _collect(doc, tmp_path, api_key, policy=auditor_statements())
    assert [e for e in snapshot.errors if e.level == "error"] == []
    (waf,) = [r for r in snapshot.resources if r.type == "waf.WebAppFirewall"]
    # the GET's LOAD_BALANCER subtype carries the join the rule needs
    assert waf.data["load_balancer_id"] == "ocid1.loadbalancer.oc1.eu-frankfurt-1.aaaapublic"
    assert any("/20210930/webAppFirewalls" in r.path for r in requests)
    assert set(_statuses(snapshot, "OCI-NET-405").values()) == {Status.PASSED}


@pytest.mark.parametrize("kind", ["pass", "fail"])
def test_without_the_waf_read_the_public_load_balancer_is_unknown(kind, tmp_path, api_key):
    policy = [s for s in auditor_statements() if not s.endswith("read web-app-firewall in tenancy")]
    snapshot, _ = _collect(_doc("OCI-NET-405", kind), tmp_path, api_key, policy=policy)
    # Listed (inspect) but not read: the firewall is there, marked unreadable, without the
    # load_balancer_id that only the GET returns; the error names the missing statement.
    (waf,) = [r for r in snapshot.resources if r.type == "waf.WebAppFirewall"]
    assert waf.unreadable and "load_balancer_id" not in waf.data
    errors = [e for e in snapshot.errors if e.level == "error"]
    assert errors and all("read web-app-firewall" in e.message for e in errors)
    statuses = _statuses(snapshot, "OCI-NET-405")
    assert statuses["ocid1.loadbalancer.oc1.eu-frankfurt-1.aaaapublic"] is Status.UNKNOWN


def test_logs_that_could_not_be_listed_leave_the_load_balancer_unknown(tmp_path, api_key):
    doc = _doc("OCI-LOG-402", "fail")
    broken = [Fault("/20200531/logGroups/", status=500, times=None)]
    snapshot, _ = _collect(doc, tmp_path, api_key, faults=broken)
    assert "logging.LogGroup" not in snapshot.collected
    assert set(_statuses(snapshot, "OCI-LOG-402").values()) == {Status.UNKNOWN}
    # the same tenancy fully collected fails: the error log is missing
    (tmp_path / "again").mkdir()
    snapshot, _ = _collect(doc, tmp_path / "again", api_key)
    assert set(_statuses(snapshot, "OCI-LOG-402").values()) == {Status.FAILED}


def test_event_rules_not_read_leave_the_bucket_unknown(tmp_path, api_key):
    doc = _doc("OCI-LOG-401", "fail")
    policy = [s for s in auditor_statements() if not s.endswith("read cloudevents-rules in tenancy")]
    snapshot, _ = _collect(doc, tmp_path, api_key, policy=policy)
    # listed (inspect all-resources) but unread: condition and actions come from the GET only
    assert [r.unreadable is not None for r in snapshot.resources if r.type == "events.Rule"] == [True]
    statuses = _statuses(snapshot, "OCI-LOG-401")
    assert statuses and set(statuses.values()) == {Status.UNKNOWN}


def test_a_rule_read_but_its_type_incomplete_is_unknown_not_failed():
    # One region's event rules were read, another's failed: the rule that delivers this bucket's
    # events may be the one not read.
    doc = _doc("OCI-LOG-401", "fail")
    doc["collected"] = [t for t in doc["collected"] if t != "events.Rule"]
    doc["errors"] = [
        {
            "operation": "ListRules",
            "region": "eu-amsterdam-1",
            "compartment_id": doc["tenancy_id"],
            "status": 500,
            "message": "InternalServerError",
        }
    ]
    statuses = _statuses(snapshot_from_dict(doc), "OCI-LOG-401")
    statements = "ocid1.bucket.oc1.eu-frankfurt-1.aaaastatements"
    assert statuses[statements] is Status.UNKNOWN
    assert statuses["ocid1.bucket.oc1.eu-frankfurt-1.aaaauploads"] is Status.PASSED
    # fully collected, the same bucket fails
    full = _statuses(snapshot_from_dict(_doc("OCI-LOG-401", "fail")), "OCI-LOG-401")
    assert full[statements] is Status.FAILED
