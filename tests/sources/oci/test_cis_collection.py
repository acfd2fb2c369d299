"""The CIS types collected through the real SDK from the emulator: security lists, NSGs and their
rules, VCNs, event rules, notification topics and subscriptions, tag defaults, log groups and
their logs, OIC and OAC. An
audit of what was collected judges them as the replay of the same inventory does."""

from __future__ import annotations

import json

from live_helpers import ROOT, write_config
from test_live_audit import at_of, collect, outcomes

from scanner.engine.policy import load_rules
from scanner.sources.oci.snapshot import snapshot_from_dict
from scanner.sources.oci.specs import SPEC_BY_TYPE
from scanner.workflow.audit import AuditOptions, audit_snapshot
from tests.emulator import OciEmulator

CIS_TYPES = {
    "core.Vcn",
    "core.SecurityList",
    "core.NetworkSecurityGroup",
    "events.Rule",
    "ons.NotificationTopic",
    "ons.Subscription",
    "identity.TagDefault",
    "integration.IntegrationInstance",
    "analytics.AnalyticsInstance",
    "logging.LogGroup",
    "identity.AuthenticationPolicy",
}
CIS_RULES = [r.id for r in load_rules()[0] if r.benchmarks]


def _inventory(name: str) -> dict:
    """The CIS example tenancy, without the types the collector does not list yet."""
    doc = json.loads((ROOT / "fixtures" / "live" / name).read_text())
    doc["resources"] = [r for r in doc["resources"] if r["type"] in SPEC_BY_TYPE]
    doc["collected"] = sorted(SPEC_BY_TYPE)
    return doc


def test_every_cis_type_has_a_collection_spec():
    assert CIS_TYPES <= set(SPEC_BY_TYPE)


def test_cis_types_collected_through_the_sdk_judge_as_the_replay(tmp_path, api_key):
    # (The insecure example deletes the application compartment: what is in it is not listed.)
    for name in ("cis-compliant.json",):
        doc = _inventory(name)
        config = write_config(tmp_path, api_key[0], doc["tenancy_id"], doc["home_region"])
        with OciEmulator(doc, public_key_pem=api_key[1]) as emu:
            snapshot = collect(emu, config, at_of(doc))
            assert emu.writes() == []
        assert snapshot.errors == [], snapshot.errors
        got = {r.type for r in snapshot.resources}
        assert CIS_TYPES <= got, sorted(CIS_TYPES - got)
        nsg = next(r for r in snapshot.resources if r.type == "core.NetworkSecurityGroup")
        assert nsg.related["security_rules"], "the NSG's rules were not listed"
        group = next(r for r in snapshot.resources if r.type == "logging.LogGroup")
        assert len(group.related["logs"]) == 2, "the log group's logs were not listed"
        rule = next(r for r in snapshot.resources if r.type == "events.Rule")
        assert rule.data.get("actions"), "the event rule's actions (GET only) are missing"
        live = audit_snapshot(snapshot, AuditOptions(rule_ids=CIS_RULES))
        replay = audit_snapshot(snapshot_from_dict(doc), AuditOptions(rule_ids=CIS_RULES))
        assert outcomes(live) == outcomes(replay)
