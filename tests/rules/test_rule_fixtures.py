"""Every rule has a passing and a failing fixture, and both behave as the rule promises."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.engine.policy import load_rules
from scanner.model import Status
from scanner.sources.oci import load_snapshot
from scanner.workflow.audit import AuditOptions, audit_snapshot
from scanner.workflow.config import settings_from_file
from scanner.workflow.scan import ScanOptions, run_scan
from tests.rules.event_rule_fixtures import event_rules
from tests.rules.event_rule_fixtures import fixture_dir as event_fixture_dir

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "rules"
RULES, RULE_ERRORS = load_rules()
IDS = [r.id for r in RULES]
SNAPSHOT = "snapshot.json"


def fixture_dir(rule_id: str, kind: str) -> Path:
    """A rule's pass / fail fixture; the event-notification rules' are built from their event
    types (tests/rules/event_rule_fixtures.py) instead of kept as twelve copies."""
    if rule_id in event_rules():
        return event_fixture_dir(rule_id, kind)
    return FIXTURES / rule_id / kind


def test_every_policy_file_loads():
    assert RULE_ERRORS == []
    assert len(RULES) >= 34


@pytest.mark.parametrize("rule_id", IDS)
def test_rule_has_both_fixtures(rule_id: str):
    for kind in ("pass", "fail"):
        d = fixture_dir(rule_id, kind)
        # Terraform rules have .tf fixtures, live rules a snapshot, Helm / Kubernetes rules values
        # files, charts or manifests.
        assert d.is_dir() and (
            any(d.glob("*.tf")) or (d / SNAPSHOT).is_file() or any(d.rglob("*.yaml"))
        ), f"missing {d}"


def _sources(d: Path) -> list[str]:
    """The sources a fixture directory holds: a snapshot (live), Terraform files, or both; a rule
    judged by several sources has a fixture for each, and each must behave."""
    found = ["live"] if (d / SNAPSHOT).is_file() else []
    if any(d.glob("*.tf")) or not found:
        found.append("code")
    return found


def _scan_source(rule_id: str, kind: str, source: str):
    d = fixture_dir(rule_id, kind)
    if source == "live":  # an inventory snapshot fragment
        result = audit_snapshot(load_snapshot(d / SNAPSHOT), AuditOptions(rule_ids=[rule_id], root=ROOT))
    else:
        # A fixture root may mark itself as the tenancy's baseline (tenancy-level rules).
        config = d / ".ocisec.yaml"
        settings = settings_from_file(config) if config.is_file() else None
        if settings is not None:
            settings.select = [rule_id]
        result, _ = run_scan([d], ScanOptions(rule_ids=[rule_id], settings=settings))
    assert result.errors == [], result.errors
    return [f for f in result.findings if f.rule_id == rule_id]


def _scan(rule_id: str, kind: str):
    return [f for source in _sources(fixture_dir(rule_id, kind)) for f in _scan_source(rule_id, kind, source)]


@pytest.mark.parametrize("rule_id", IDS)
def test_passing_fixture_passes(rule_id: str):
    for source in _sources(fixture_dir(rule_id, "pass")):
        findings = _scan_source(rule_id, "pass", source)
        statuses = [(f.status, f.resource.address, f.message) for f in findings if f.status is not Status.PASSED]
        assert statuses == [], source
        assert any(f.status is Status.PASSED for f in findings), f"the rule never applied to its {source} fixture"


@pytest.mark.parametrize("rule_id", IDS)
def test_failing_fixture_fails(rule_id: str):
    for source in _sources(fixture_dir(rule_id, "fail")):
        findings = _scan_source(rule_id, "fail", source)
        failed = [f for f in findings if f.status is Status.FAILED]
        assert failed, (source, [(f.status, f.resource.address, f.message) for f in findings])
        for f in failed:
            assert f.location is not None and f.location.start_line >= 1
