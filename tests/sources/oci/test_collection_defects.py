"""Issue 14 §1: the defects that lost data silently, each against the independent emulator."""

from __future__ import annotations

import copy
import json
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from live_helpers import ROOT
from typer.testing import CliRunner

from scanner.cli import app
from scanner.model import Status
from scanner.sources.oci.auth import make_session
from scanner.sources.oci.collector import Collector, SdkTooOld, check_sdk_fields
from scanner.sources.oci.snapshot import snapshot_from_dict
from scanner.sources.oci.specs import SPECS
from scanner.workflow.audit import AuditOptions, audit_snapshot
from tests.emulator import Fault, OciEmulator

EXAMPLE_SNAPSHOT = ROOT / "fixtures" / "live" / "example-snapshot.json"
FAST_RETRY = {"max_attempts": 4, "base_sleep": 0.01, "max_wait": 0.05, "max_elapsed": 20}
APPS = "ocid1.compartment.oc1..aaaaaaaaapps"
PLATFORM = "ocid1.compartment.oc1..aaaaaaaaplatform"


def _collect(emu: OciEmulator, config: Path, doc: dict, **kwargs):
    session = make_session("api_key", config, None, emu.endpoint)
    session.timeout = (5.0, 10.0)
    at = datetime.fromisoformat(doc["collected_at"].replace("Z", "+00:00")).astimezone(UTC)
    retry = kwargs.pop("retry", FAST_RETRY)
    return Collector(session, concurrency=8, retry=retry, clock=lambda: at, **kwargs).collect()


def _by_rule(result) -> dict[str, dict[str, Status]]:
    out: dict[str, dict[str, Status]] = defaultdict(dict)
    for f in result.findings:
        out[f.rule_id][f.resource.address] = f.status
    return out


def _ids(doc: dict, sdk_type: str) -> set[str]:
    return {r["data"]["id"] for r in doc["resources"] if r["type"] == sdk_type}


def test_devops_stages_are_collected_and_judged_live(oci_config, tenancy_doc):
    with OciEmulator(tenancy_doc) as emu:
        snapshot = _collect(emu, oci_config, tenancy_doc)
    stages = {r.ocid for r in snapshot.resources if r.type == "devops.DeployStage"}
    assert stages == _ids(tenancy_doc, "devops.DeployStage")
    ops = _by_rule(audit_snapshot(snapshot, AuditOptions(rule_ids=["OCI-OPS-001"])))["OCI-OPS-001"]
    assert Status.FAILED in ops.values() and Status.PASSED in ops.values()


def test_a_type_search_rejects_costs_only_that_type(oci_config, tenancy_doc):
    stage_spec = next(s for s in SPECS if s.type == "devops.DeployStage")
    # With its list call, a name Search does not know costs nothing: the stages are listed.
    misspelled = replace(stage_spec, search_type="DevopsDeployStages")
    specs = tuple(misspelled if s.type == "devops.DeployStage" else s for s in SPECS)
    with OciEmulator(tenancy_doc) as emu:
        snapshot = _collect(emu, oci_config, tenancy_doc, specs=specs)
    assert not [e for e in snapshot.errors if e.level == "error"]
    assert {r.ocid for r in snapshot.resources if r.type == "devops.DeployStage"} == _ids(
        tenancy_doc, "devops.DeployStage"
    )
    # Without one, the type is lost, and only that type.
    bogus = replace(stage_spec, search_type="DevopsDeployStages", fallback=None)
    specs = tuple(bogus if s.type == "devops.DeployStage" else s for s in SPECS)
    with OciEmulator(tenancy_doc) as emu:
        snapshot = _collect(emu, oci_config, tenancy_doc, specs=specs)
    errors = [e for e in snapshot.errors if e.level == "error"]
    assert errors and all("DevopsDeployStages" in e.message for e in errors)
    assert "devops.DeployStage" not in snapshot.collected
    assert {s.type for s in SPECS} - {"devops.DeployStage"} <= set(snapshot.collected)
    others = [r for r in tenancy_doc["resources"] if r["type"] != "devops.DeployStage"]
    assert len(snapshot.resources) == len(others)
    ops = _by_rule(audit_snapshot(snapshot, AuditOptions(rule_ids=["OCI-OPS-001"])))["OCI-OPS-001"]
    assert set(ops.values()) == {Status.UNKNOWN}  # "not collected", never a silent pass
    # Without Search's own list of types, the query itself is rejected (400) and costs the same.
    broken = [Fault("/20180409/resourceTypes", status=500, times=None)]
    with OciEmulator(tenancy_doc, faults=broken) as emu:
        snapshot = _collect(emu, oci_config, tenancy_doc, specs=specs)
    rejected = [e for e in snapshot.errors if e.operation == "SearchResources"]
    assert rejected and {(e.status, "DevopsDeployStages" in e.message) for e in rejected} == {(400, True)}
    assert {s.type for s in SPECS} - {"devops.DeployStage"} <= set(snapshot.collected)
    assert len(snapshot.resources) == len(others)


def test_a_type_search_does_not_offer_is_an_error_naming_it(oci_config, tenancy_doc):
    # Databases have no list call by compartment alone (it wants a DB home or system): without
    # Search they cannot be found, and the audit says so.
    offered = {"Bucket", "Volume", "BootVolume", "FileSystem", "AutonomousDatabase", "DbSystem"}
    offered |= {"Stream", "ClustersCluster", "Instance", "InstancePool", "Subnet", "LoadBalancer"}
    offered |= {"NetworkLoadBalancer", "Vault", "Key", "VaultSecret", "DevOpsDeployPipeline"}
    offered |= {"DevOpsDeployStage"}  # no Database
    with OciEmulator(tenancy_doc, search_types=offered) as emu:
        snapshot = _collect(emu, oci_config, tenancy_doc)
        searched = [r for r in emu.requests if r.path == "/20180409/resources"]
    errors = [e.message for e in snapshot.errors if e.level == "error"]
    assert errors and set(errors) == {
        "Resource Search does not offer type Database here: database.Database not collected"
    }  # once per region
    assert "database.Database" not in snapshot.collected and "devops.DeployStage" in snapshot.collected
    assert searched  # the other types were still searched


# What Search offered in us-sanjose-1 (its own ListResourceTypes answer, see SEARCH_SOURCES "rt"
# in tests/emulator/doc_types.py) lacked NetworkLoadBalancer; the others play older regions.
LISTED_INSTEAD = {
    "NetworkLoadBalancer": "network_load_balancer.NetworkLoadBalancer",
    "DevOpsDeployStage": "devops.DeployStage",
    "DevOpsDeployPipeline": "devops.DeployPipeline",
    "Instance": "core.Instance",
    "ClustersCluster": "container_engine.Cluster",
}


def test_a_type_search_does_not_offer_is_listed_per_compartment_instead(oci_config, tenancy_doc):
    from tests.emulator.doc_types import BY_SEARCH

    offered = {t.search for t in BY_SEARCH.values()} - set(LISTED_INSTEAD)
    with OciEmulator(tenancy_doc, search_types=offered) as emu:
        snapshot = _collect(emu, oci_config, tenancy_doc)
        paths = Counter(r.path for r in emu.requests)
    assert [e for e in snapshot.errors if e.level == "error"] == []
    notes = {e.message for e in snapshot.errors if e.level == "note" and e.operation == "ListResourceTypes"}
    assert len(notes) == len(LISTED_INSTEAD)  # one per type (the same in every region)
    assert all("is listed per compartment instead" in n for n in notes)
    for search_name, sdk_type in LISTED_INSTEAD.items():
        assert any(f"type {search_name} here" in n for n in notes)
        assert sdk_type in snapshot.collected
        got = {r.ocid for r in snapshot.resources if r.type == sdk_type}
        assert got == _ids(tenancy_doc, sdk_type), sdk_type  # nothing lost
    # ...by the list calls, not by Search
    assert paths["/20200501/networkLoadBalancers"] and paths["/20210630/deployStages"]
    assert paths["/20160918/instances"] and paths["/20180222/clusters"]
    # An instance found by its list call still brings its boot volume attachment (OCI-ENC-009).
    attachments = [r for r in snapshot.resources if r.type == "core.BootVolumeAttachment"]
    assert len(attachments) == len(_ids(tenancy_doc, "core.BootVolumeAttachment"))
    # The same findings as with Search.
    with OciEmulator(tenancy_doc) as emu:
        searched = _collect(emu, oci_config, tenancy_doc)
    rules = ["OCI-OPS-001", "OCI-HA-005", "OCI-ENC-009", "OCI-ENC-008"]
    assert _by_rule(audit_snapshot(snapshot, AuditOptions(rule_ids=rules))) == _by_rule(
        audit_snapshot(searched, AuditOptions(rule_ids=rules))
    )


def test_every_searched_type_without_a_fallback_is_one_search_cannot_do_without():
    # A fallback needs a list call by compartment; these have none (buckets want the namespace
    # and are offered everywhere; databases want a DB home; keys live behind their vault).
    without = {s.type for s in SPECS if s.search_type and not s.fallback}
    assert without == {"object_storage.Bucket", "database.Database", "key_management.Vault", "key_management.Key"}


def test_throttling_and_5xx_bursts_lose_nothing(oci_config, tenancy_doc):
    # More throttled calls than the SDK's default circuit breaker tolerates (10) on one client,
    # then 5xx bursts on Search, GETs and IAM lists: with ocisec's bounded retry and no breaker,
    # every object still arrives.
    faults = [
        Fault("/apiKeys", status=429, retry_after=0.0, times=14),
        Fault("/20180409/resources", status=503, times=6),
        Fault("/20160918/volumes/", status=500, times=3),
        Fault("/20160918/users", status=502, times=2),
        Fault("/20180222/nodePools", status=429, retry_after=0.0, times=5),
    ]
    retry = {"max_attempts": 12, "base_sleep": 0.0, "max_wait": 0.01, "max_elapsed": 30}
    with OciEmulator(tenancy_doc, faults=faults) as emu:
        snapshot = _collect(emu, oci_config, tenancy_doc, retry=retry)
        statuses = Counter(r.status for r in emu.requests)
    assert [f.hits for f in faults] == [14, 6, 3, 2, 5]
    assert statuses[429] == 19 and statuses[503] == 6
    assert snapshot.errors == []
    assert len(snapshot.resources) == len(tenancy_doc["resources"])
    users = [r for r in snapshot.resources if r.type == "identity.User"]
    assert users and all(isinstance(u.related.get("api_keys"), list) for u in users)


def test_clients_have_no_circuit_breaker(oci_config, tenancy_doc):
    import oci

    with OciEmulator(tenancy_doc) as emu:
        session = make_session("api_key", oci_config, None, emu.endpoint)
        ours = session.client("identity.IdentityClient", "eu-frankfurt-1")
        default = oci.identity.IdentityClient(
            dict(session.config, region="eu-frankfurt-1"), signer=session.signer, service_endpoint=emu.base
        )
    # The SDK's default breaker (opens after 10 failures, 429s included) is replaced.
    assert not isinstance(
        default.base_client.circuit_breaker_strategy, oci.circuit_breaker.NoCircuitBreakerStrategy
    )
    assert isinstance(ours.base_client.circuit_breaker_strategy, oci.circuit_breaker.NoCircuitBreakerStrategy)


def test_an_sdk_without_the_fields_the_rules_read_is_refused():
    spec = next(s for s in SPECS if s.type == "vault.Secret")
    old = replace(spec, fields=(*spec.fields, "rotation_config_from_the_future"))
    with pytest.raises(SdkTooOld, match=r"vault\.Secret\.rotation_config_from_the_future.*oci>=2\.160"):
        check_sdk_fields((old,))
    check_sdk_fields()  # the installed SDK has every field
    # the check reads the models' source; it must see what importing them would
    import importlib

    for spec in SPECS:
        known = getattr(importlib.import_module(f"oci.{spec.module}.models"), spec.model)().swagger_types
        check_sdk_fields((replace(spec, fields=tuple(known)),))


def test_types_not_collected_make_their_rules_unknown_not_passed():
    doc = json.loads(EXAMPLE_SNAPSHOT.read_text())
    gone = {"file_storage.Export", "network_load_balancer.NetworkLoadBalancer", "database.Database"}
    doc["collected"] = [t for t in doc["collected"] if t not in gone]
    doc["resources"] = [r for r in doc["resources"] if r["type"] not in gone]
    result = audit_snapshot(
        snapshot_from_dict(doc), AuditOptions(rule_ids=["OCI-DAT-005", "OCI-HA-005", "OCI-ENC-006"])
    )
    by_rule = _by_rule(result)
    assert set(by_rule["OCI-DAT-005"].values()) == {Status.UNKNOWN}
    unknown = [f for f in result.findings if f.rule_id == "OCI-DAT-005"]
    assert "file_storage.Export not collected" in unknown[0].message
    # the load balancers that were collected are still judged; the NLB kind is unknown
    assert (
        Status.UNKNOWN in by_rule["OCI-HA-005"].values() and Status.PASSED in by_rule["OCI-HA-005"].values()
    )
    assert any(
        a.endswith("/oci_database_database") for a, s in by_rule["OCI-ENC-006"].items() if s is Status.UNKNOWN
    )


def test_ha006_reads_the_live_data_guard_fields_and_associations():
    result = audit_snapshot(
        snapshot_from_dict(json.loads(EXAMPLE_SNAPSHOT.read_text())), AuditOptions(rule_ids=["OCI-HA-006"])
    )
    status = _by_rule(result)["OCI-HA-006"]
    assert status["ocid1.autonomousdatabase.oc1.eu-frankfurt-1.aaaaaaaacards"] is Status.PASSED  # remote DG
    assert status["ocid1.autonomousdatabase.oc1.eu-frankfurt-1.aaaaaaaapayments"] is Status.PASSED  # local DG
    assert status["ocid1.autonomousdatabase.oc1.eu-frankfurt-1.aaaaaaaaanalyticssandbox"] is Status.FAILED
    assert status["ocid1.dbsystem.oc1.eu-frankfurt-1.aaaaaaaaledger"] is Status.PASSED  # association
    doc = json.loads(EXAMPLE_SNAPSHOT.read_text())
    for r in doc["resources"]:
        if r["type"] == "database.Database":
            r["related"]["data_guard_associations"] = []
    status = _by_rule(audit_snapshot(snapshot_from_dict(doc), AuditOptions(rule_ids=["OCI-HA-006"])))[
        "OCI-HA-006"
    ]
    assert status["ocid1.dbsystem.oc1.eu-frankfurt-1.aaaaaaaaledger"] is Status.FAILED


def test_boot_volume_encryption_is_judged_once_on_the_boot_volume():
    doc = json.loads(EXAMPLE_SNAPSHOT.read_text())
    result = audit_snapshot(snapshot_from_dict(doc), AuditOptions(rule_ids=["OCI-ENC-003", "OCI-ENC-009"]))
    enc3 = _by_rule(result)["OCI-ENC-003"]
    assert _ids(doc, "core.BootVolume") <= set(enc3)
    assert not [a for a in enc3 if a.startswith("ocid1.instance.")]  # the instance is not judged again
    # in-transit encryption is what the boot volume attachment says (false for the bastion)
    assert (
        _by_rule(result)["OCI-ENC-009"]["ocid1.instance.oc1.eu-frankfurt-1.aaaaaaaabastion"] is Status.FAILED
    )
    for r in doc["resources"]:
        if r["type"] == "core.BootVolumeAttachment":
            r["data"]["is_pv_encryption_in_transit_enabled"] = True
    result = audit_snapshot(snapshot_from_dict(doc), AuditOptions(rule_ids=["OCI-ENC-009"]))
    assert (
        _by_rule(result)["OCI-ENC-009"]["ocid1.instance.oc1.eu-frankfurt-1.aaaaaaaabastion"] is Status.PASSED
    )


def test_node_pool_subnet_ids_give_way_to_placement_configs():
    from scanner.sources.oci.mapping import snapshot_resources

    doc = json.loads(EXAMPLE_SNAPSHOT.read_text())
    pool = next(r for r in doc["resources"] if r["type"] == "container_engine.NodePool")
    pool["data"]["subnet_ids"] = ["ocid1.subnet.oc1.eu-frankfurt-1.aaaaaaaaokeworkers"]
    res = next(r for r in snapshot_resources(snapshot_from_dict(doc)) if r.address == pool["data"]["id"])
    assert "subnet_ids" not in res.attributes
    assert res.attributes["node_config_details"][0]["placement_configs"]


def test_policies_of_the_audited_roots_ancestors_are_listed(oci_config, tenancy_doc):
    with OciEmulator(tenancy_doc) as emu:
        snapshot = _collect(emu, oci_config, tenancy_doc, compartment_id=APPS)
        listed = {r.query["compartmentId"][0] for r in emu.requests if r.path == "/20160918/policies"}
    assert {tenancy_doc["tenancy_id"], PLATFORM, APPS} <= listed
    assert snapshot.errors == []


def test_managed_paas_compartment_is_skipped_and_said(oci_config, tenancy_doc):
    doc = copy.deepcopy(tenancy_doc)
    managed = "ocid1.compartment.oc1..aaaaaaaamanagedpaas"
    doc["resources"].append(
        {
            "type": "identity.Compartment",
            "region": doc["home_region"],
            "data": {
                "compartment_id": doc["tenancy_id"],
                "id": managed,
                "lifecycle_state": "ACTIVE",
                "name": "ManagedCompartmentForPaaS",
                "description": "Oracle managed",
            },
        }
    )
    doc["resources"].append(
        {
            "type": "core.Volume",
            "region": "eu-frankfurt-1",
            "data": {
                "compartment_id": managed,
                "id": "ocid1.volume.oc1.eu-frankfurt-1.paas",
                "display_name": "paas",
                "lifecycle_state": "AVAILABLE",
            },
        }
    )
    with OciEmulator(doc) as emu:
        snapshot = _collect(emu, oci_config, doc)
    assert all(r.data.get("compartment_id") != managed and r.ocid != managed for r in snapshot.resources)
    notes = [e for e in snapshot.errors if e.level == "note"]
    assert len(notes) == 1 and "ManagedCompartmentForPaaS" in notes[0].message
    assert [e for e in snapshot.errors if e.level == "error"] == []
    result = audit_snapshot(snapshot, AuditOptions())
    assert result.input_errors == [] and any(e.level == "note" for e in result.errors)


def test_region_missing_from_a_snapshot_is_an_error(tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["audit", "--from-snapshot", str(EXAMPLE_SNAPSHOT), "--region", "us-ashburn-1"])
    assert res.exit_code == 2
    assert "no region us-ashburn-1" in res.output and "eu-frankfurt-1" in res.output
    res = runner.invoke(
        app,
        ["audit", "--from-snapshot", str(EXAMPLE_SNAPSHOT), "--region", "eu-amsterdam-1", "--format", "json"],
    )
    assert res.exit_code == 1
    doc = json.loads(res.stdout)
    regions = {f["resource"].get("region") for f in doc["findings"]}
    assert regions <= {"eu-amsterdam-1", "eu-frankfurt-1"}  # the home region keeps IAM
    assert not any(
        f["resource"].get("region") == "eu-frankfurt-1"
        and not f["resource"]["kind"].startswith("oci_identity")
        and f["resource"]["kind"] != "oci_cloud_guard_cloud_guard_configuration"
        for f in doc["findings"]
    )


def test_boot_volume_attachments_are_listed_only_where_instances_are(oci_config, tenancy_doc):
    instances = [r["data"] for r in tenancy_doc["resources"] if r["type"] == "core.Instance"]
    with OciEmulator(tenancy_doc) as emu:
        snapshot = _collect(emu, oci_config, tenancy_doc)
        listed = [r for r in emu.requests if r.path == "/20160918/bootVolumeAttachments"]
    assert len(listed) == len({(i["compartment_id"], i["availability_domain"]) for i in instances})
    assert "core.BootVolumeAttachment" in snapshot.collected
    # when the instances themselves could not be collected, neither could their attachments
    with OciEmulator(tenancy_doc, faults=[Fault("/20160918/instances/", status=500, times=None)]) as emu:
        snapshot = _collect(emu, oci_config, tenancy_doc)
    assert "core.Instance" not in snapshot.collected and "core.BootVolumeAttachment" not in snapshot.collected
