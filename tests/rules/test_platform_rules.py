"""Rules that serve several sources have a passing and a failing fixture per source: Terraform
(or manifests / values) and a live inventory ``snapshot.json`` side by side in
``fixtures/rules/<ID>/<pass|fail>/``. Each source's fixture behaves as the rule promises on its
own (the generic fixture test reads the snapshot first)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.model import Status
from scanner.sources.oci import load_snapshot
from scanner.workflow.audit import AuditOptions, audit_snapshot
from scanner.workflow.config import settings_from_file
from scanner.workflow.scan import ScanOptions, run_scan

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "rules"
# Rules with both a snapshot and files in their passing fixture.
BOTH = sorted(
    p.parents[1].name
    for p in FIXTURES.glob("*/pass/snapshot.json")
    if any(p.parent.glob("*.tf")) or any(p.parent.glob("*.yaml"))
)


def _live(rule_id: str, kind: str):
    snapshot = load_snapshot(FIXTURES / rule_id / kind / "snapshot.json")
    result = audit_snapshot(snapshot, AuditOptions(rule_ids=[rule_id], root=ROOT))
    assert result.errors == [], result.errors
    return [f for f in result.findings if f.rule_id == rule_id]


def _files(rule_id: str, kind: str):
    # A fixture root may mark itself as the tenancy's baseline (tenancy-level rules).
    config = FIXTURES / rule_id / kind / ".ocisec.yaml"
    settings = settings_from_file(config) if config.is_file() else None
    if settings is not None:
        settings.select = [rule_id]
    result, _ = run_scan([FIXTURES / rule_id / kind], ScanOptions(rule_ids=[rule_id], settings=settings))
    assert result.errors == [], result.errors
    return [f for f in result.findings if f.rule_id == rule_id]


def test_platform_rules_have_live_and_terraform_fixtures():
    assert {"OCI-IAM-401", "OCI-IAM-402", "OCI-IAM-403"} <= set(BOTH)


@pytest.mark.parametrize("rule_id", BOTH)
@pytest.mark.parametrize("source", [_live, _files], ids=["live", "files"])
def test_passing_fixture_passes_per_source(rule_id: str, source):
    findings = source(rule_id, "pass")
    assert findings and all(f.status is Status.PASSED for f in findings), [
        (f.status, f.resource.address, f.message) for f in findings
    ]


@pytest.mark.parametrize("rule_id", BOTH)
@pytest.mark.parametrize("source", [_live, _files], ids=["live", "files"])
def test_failing_fixture_fails_per_source(rule_id: str, source):
    findings = source(rule_id, "fail")
    failed = [f for f in findings if f.status is Status.FAILED]
    assert failed, [(f.status, f.resource.address, f.message) for f in findings]
    assert all(f.location is not None and f.location.start_line >= 1 for f in failed)
