"""The auditor's least-privilege policy: printed by ``ocisec audit --print-policy``, documented in
docs/live-audit.md, granted by the OKE CronJob example, and enough for a complete audit of the
emulator, which enforces the documented permissions independently; one permission less loses
exactly the objects it covers, each reported by name."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
from live_docs import collected_types_table
from live_helpers import ROOT
from typer.testing import CliRunner

from scanner.cli import app
from scanner.model import Status
from scanner.sources.oci.auditor_policy import auditor_statements
from scanner.sources.oci.auth import make_session
from scanner.sources.oci.collector import Collector
from scanner.sources.oci.specs import SPECS
from scanner.workflow.audit import AuditOptions, audit_snapshot
from tests.emulator import OciEmulator

DOC = ROOT / "docs" / "live-audit.md"
CRONJOB_TF = ROOT / "examples" / "oke-audit-cronjob" / "terraform"
FAST_RETRY = {"max_attempts": 3, "base_sleep": 0.01, "max_wait": 0.05, "max_elapsed": 10}


def _collect(emu: OciEmulator, config: Path, doc: dict):
    session = make_session("api_key", config, None, emu.endpoint)
    session.timeout = (5.0, 10.0)
    at = datetime.fromisoformat(doc["collected_at"].replace("Z", "+00:00")).astimezone(UTC)
    return Collector(session, concurrency=8, retry=FAST_RETRY, clock=lambda: at).collect()


def test_print_policy_prints_the_statements():
    res = CliRunner().invoke(
        app, ["audit", "--print-policy", "--policy-subject", "dynamic-group ocisec-audit"]
    )
    assert res.exit_code == 0
    assert res.stdout.splitlines() == auditor_statements("dynamic-group ocisec-audit")
    assert (
        res.stdout.splitlines()[0] == "Allow dynamic-group ocisec-audit to inspect all-resources in tenancy"
    )
    assert not any(
        re.search(r"\b(use|manage)\b|secret-bundles|\bobjects\b", s) for s in res.stdout.splitlines()
    )
    bad = CliRunner().invoke(app, ["audit", "--print-policy", "--policy-subject", "group x\nAllow any-user"])
    assert bad.exit_code == 2 and "--policy-subject" in bad.output


def test_a_subtree_audit_confines_the_regional_reads():
    statements = auditor_statements(compartment_id="ocid1.compartment.oc1..aaaaaaaaapps")
    assert (
        "Allow group ocisec-auditors to read buckets in compartment id ocid1.compartment.oc1..aaaaaaaaapps"
        in (statements)
    )
    assert "Allow group ocisec-auditors to read cloud-guard-config in tenancy" in statements


def test_the_documentation_holds_the_printed_policy_and_the_collected_types():
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"```text\n(.*?)```", text, re.S)
    assert block and block.group(1).splitlines() == auditor_statements()
    assert collected_types_table() in text, (
        "docs/live-audit.md: regenerate the table (tests/sources/oci/live_docs.py)"
    )


def test_the_cronjob_example_grants_exactly_the_printed_policy():
    from scanner.sources.terraform import load_terraform

    result = load_terraform(
        sorted(CRONJOB_TF.glob("*.tf")), CRONJOB_TF, [CRONJOB_TF / "example.tfvars"], workers=1
    )
    policy = next(r for r in result.resources if r.address.endswith("oci_identity_policy.ocisec_audit"))
    statements = [s for s in policy.attributes["statements"] if " objects " not in s]  # the report upload
    assert statements == auditor_statements("dynamic-group ocisec-audit")


def test_the_least_privilege_policy_collects_everything(oci_config, tenancy_doc):
    with OciEmulator(tenancy_doc, policy=auditor_statements()) as emu:
        snapshot = _collect(emu, oci_config, tenancy_doc)
        assert emu.writes() == []
        denied = [r for r in emu.requests if r.status == 404]
    assert [e for e in snapshot.errors if e.level == "error"] == []
    assert denied == []
    assert {s.type for s in SPECS} <= set(snapshot.collected)
    assert len(snapshot.resources) == len(tenancy_doc["resources"])


@pytest.mark.parametrize(
    "dropped, sdk_type",
    [
        ("buckets", "object_storage.Bucket"),
        ("secrets", "vault.Secret"),
        ("mysql-instances", "mysql.DbSystem"),
    ],
)
def test_a_policy_missing_one_permission_reports_exactly_what_was_lost(
    oci_config, tenancy_doc, dropped, sdk_type
):
    policy = [s for s in auditor_statements() if not s.endswith(f" read {dropped} in tenancy")]
    assert len(policy) == len(auditor_statements()) - 1
    with OciEmulator(tenancy_doc, policy=policy) as emu:
        snapshot = _collect(emu, oci_config, tenancy_doc)
    lost = [r for r in tenancy_doc["resources"] if r["type"] == sdk_type]
    names = {
        str(r["data"].get("display_name") or r["data"].get("name") or r["data"].get("secret_name"))
        for r in lost
    }
    errors = [e for e in snapshot.errors if e.level == "error"]
    # One error per object, each naming the object and the statement that would have allowed it.
    assert len(errors) == len(lost)
    paths = {
        "ocid1.compartment.oc1..aaaaaaaaapps": "platform:apps",
        "ocid1.compartment.oc1..aaaaaaaadata": "platform:data",
    }
    for error in errors:
        assert error.status == 404
        assert f"read {dropped} in compartment " in error.message
        assert any(name in error.message for name in names), error.message
        if error.compartment_id in paths:
            assert f"in compartment {paths[error.compartment_id]}" in error.message
    # Every other object is there, read in full; the lost ones are there too, marked unreadable.
    assert len(snapshot.resources) == len(tenancy_doc["resources"])
    unreadable = [r for r in snapshot.resources if r.unreadable]
    assert {r.type for r in unreadable} == {sdk_type} and len(unreadable) == len(lost)
    result = audit_snapshot(snapshot, AuditOptions())
    statuses: dict[str, set[Status]] = defaultdict(set)
    for finding in result.findings:
        if finding.resource.provenance.ocid in {r["data"]["id"] for r in lost}:
            statuses[finding.resource.provenance.ocid].add(finding.status)
    assert statuses and all(s == {Status.UNKNOWN} for s in statuses.values()), statuses
    assert len(result.input_errors) == len(lost)


def test_a_list_call_refused_names_the_inspect_it_needs(oci_config, tenancy_doc):
    # Without the tenancy-wide inspect, and without node pools at all: each per-compartment
    # listing of node pools answers 404, which is said with the statement that would allow it.
    iam = {s.iam for s in SPECS if s.iam} | {"tenancies", "groups"}
    policy = [s for s in auditor_statements() if "all-resources" not in s and "cluster-node-pools" not in s]
    policy += [
        f"Allow group ocisec-auditors to inspect {t} in tenancy" for t in sorted(iam - {"cluster-node-pools"})
    ]
    with OciEmulator(tenancy_doc, policy=policy) as emu:
        snapshot = _collect(emu, oci_config, tenancy_doc)
    errors = [e for e in snapshot.errors if e.level == "error"]
    assert errors and {e.operation for e in errors} == {"ListNodePools"}
    assert all("the policy needs: inspect cluster-node-pools in " in e.message for e in errors)
    assert "container_engine.NodePool" not in snapshot.collected
    assert {s.type for s in SPECS} - {"container_engine.NodePool"} <= set(snapshot.collected)
    result = audit_snapshot(snapshot, AuditOptions(rule_ids=["OCI-HA-001"]))
    assert {f.status for f in result.findings} == {Status.UNKNOWN}
