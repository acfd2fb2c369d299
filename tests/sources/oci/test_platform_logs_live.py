"""The platform's log, Data Safe and stream rules on a live audit: the real SDK collects the audit
configuration, the Logging Analytics namespace and the service connectors from the emulator (routes
written from the API reference), and the same policies judge them as they judge Terraform."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path

from scanner.model import Status
from scanner.sources.oci.auth import make_session
from scanner.sources.oci.collector import Collector
from scanner.workflow.audit import AuditOptions, audit_snapshot
from tests.emulator import OciEmulator

RULES = ["OCI-LOG-403", "OCI-LOG-404", "OCI-LOG-406", "OCI-DAT-403", "OCI-DAT-404"]
FAST_RETRY = {"max_attempts": 3, "base_sleep": 0.01, "max_wait": 0.05, "max_elapsed": 10}


def _audit(doc: dict, config: Path) -> dict[tuple[str, str], Status]:
    with OciEmulator(doc) as emu:
        session = make_session("api_key", config, None, emu.endpoint)
        session.timeout = (5.0, 10.0)
        at = datetime.fromisoformat(doc["collected_at"].replace("Z", "+00:00")).astimezone(UTC)
        snapshot = Collector(session, concurrency=8, retry=FAST_RETRY, clock=lambda: at).collect()
    assert [e for e in snapshot.errors if e.level == "error"] == []
    result = audit_snapshot(snapshot, AuditOptions(rule_ids=RULES))
    return {(f.rule_id, f.resource.address): f.status for f in result.findings}


def _of(doc: dict, sdk_type: str) -> list[dict]:
    return [r["data"] for r in doc["resources"] if r["type"] == sdk_type]


def test_the_bank_tenancy_passes_and_each_mistake_fails(oci_config, tenancy_doc):
    tenancy = tenancy_doc["tenancy_id"]
    found = _audit(tenancy_doc, oci_config)
    assert found[("OCI-LOG-403", tenancy)] is Status.PASSED
    assert found[("OCI-LOG-404", tenancy)] is Status.PASSED
    assert found[("OCI-LOG-406", f"{tenancy}/audit-configuration")] is Status.PASSED
    adbs = {a["id"]: a["data_safe_status"] for a in _of(tenancy_doc, "database.AutonomousDatabase")}
    for ident, status in adbs.items():
        expected = Status.PASSED if status == "REGISTERED" else Status.FAILED
        assert found[("OCI-DAT-403", ident)] is expected, ident

    broken = copy.deepcopy(tenancy_doc)
    _of(broken, "audit.Configuration")[0]["retention_period_days"] = 90
    _of(broken, "log_analytics.Namespace")[0]["is_onboarded"] = False
    _of(broken, "sch.ServiceConnector")[0]["lifecycle_state"] = "INACTIVE"
    stream = _of(broken, "streaming.Stream")[0]
    stream["retention_in_hours"] = 24
    found = _audit(broken, oci_config)
    assert found[("OCI-LOG-403", tenancy)] is Status.FAILED
    assert found[("OCI-LOG-404", tenancy)] is Status.FAILED
    assert found[("OCI-LOG-406", f"{tenancy}/audit-configuration")] is Status.FAILED
    assert found[("OCI-DAT-404", stream["id"])] is Status.FAILED


def test_a_tenancy_that_never_changed_its_audit_retention_reads_the_default(oci_config, tenancy_doc):
    doc = copy.deepcopy(tenancy_doc)
    doc["resources"] = [r for r in doc["resources"] if r["type"] != "audit.Configuration"]
    found = _audit(doc, oci_config)
    assert found[("OCI-LOG-406", f"{doc['tenancy_id']}/audit-configuration")] is Status.PASSED
