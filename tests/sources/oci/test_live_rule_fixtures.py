"""Rules shared by Terraform and live audits, with a live passing and failing fixture each
(``fixtures/rules/<ID>/live-pass|live-fail/snapshot.json``): replayed, and collected through the
real SDK from the emulator serving the same objects."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest
from live_helpers import ROOT, write_config

from scanner.model import Status
from scanner.sources.oci import load_snapshot
from scanner.sources.oci.auth import make_session
from scanner.sources.oci.collector import Collector
from scanner.workflow.audit import AuditOptions, audit_snapshot
from tests.emulator import OciEmulator

FIXTURES = ROOT / "fixtures" / "rules"
CASES = sorted(
    (d.parent.name, d.name.removeprefix("live-"))
    for d in FIXTURES.glob("*/live-*")
    if (d / "snapshot.json").is_file()
)
FAST_RETRY = {"max_attempts": 3, "base_sleep": 0.01, "max_wait": 0.05, "max_elapsed": 10}


def _emulator_input(doc: dict) -> dict:
    """A snapshot as the emulator's input: a file-system export's model has no compartment, so
    the collector writes the compartment it listed the export in; the emulator takes it beside
    the data."""
    doc = copy.deepcopy(doc)
    for item in doc["resources"]:
        if item["type"] == "file_storage.Export":
            item["compartment_id"] = item["data"].pop("compartment_id")
    return doc


def _check(rule_id: str, kind: str, result) -> None:
    findings = [f for f in result.findings if f.rule_id == rule_id]
    statuses = {f.status for f in findings}
    if kind == "pass":
        assert statuses == {Status.PASSED}, [(f.resource.address, f.status, f.message) for f in findings]
    else:
        assert Status.FAILED in statuses, [(f.resource.address, f.status, f.message) for f in findings]


def test_the_shared_rules_have_live_fixtures():
    assert {rule for rule, _ in CASES} >= {
        "OCI-DAT-005",
        "OCI-HA-005",
        "OCI-HA-006",
        "OCI-ENC-006",
        "OCI-OPS-001",
    }
    for rule, _ in CASES:
        assert {(rule, "pass"), (rule, "fail")} <= set(CASES)


@pytest.mark.parametrize(("rule_id", "kind"), CASES)
def test_live_fixture_replayed(rule_id: str, kind: str):
    path = FIXTURES / rule_id / f"live-{kind}" / "snapshot.json"
    result = audit_snapshot(load_snapshot(path), AuditOptions(rule_ids=[rule_id], root=ROOT))
    assert result.errors == []
    _check(rule_id, kind, result)


@pytest.mark.parametrize(("rule_id", "kind"), CASES)
def test_live_fixture_collected_through_the_sdk(rule_id: str, kind: str, tmp_path, api_key):
    doc = json.loads((FIXTURES / rule_id / f"live-{kind}" / "snapshot.json").read_text())
    config = write_config(tmp_path, api_key[0], doc["tenancy_id"], doc["home_region"])
    at = datetime.fromisoformat(doc["collected_at"].replace("Z", "+00:00")).astimezone(UTC)
    with OciEmulator(_emulator_input(doc)) as emu:
        session = make_session("api_key", config, None, emu.endpoint)
        snapshot = Collector(session, concurrency=4, retry=FAST_RETRY, clock=lambda: at).collect()
    assert snapshot.errors == []
    # every object arrives (besides the defaults every tenancy has: Cloud Guard configuration...)
    wanted = {r["type"] for r in doc["resources"]}
    assert len([r for r in snapshot.resources if r.type in wanted]) == len(doc["resources"])
    _check(rule_id, kind, audit_snapshot(snapshot, AuditOptions(rule_ids=[rule_id])))
