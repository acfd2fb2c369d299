"""Live: groups and dynamic groups of two identity domains with the same names, collected
through the real SDK from the emulator's SCIM witness, are told apart by the IAM checks.
``Allow group 'Contractors'/'platform-ops' ...`` grants the Contractors domain's group, not the
Default domain's ``platform-ops``; an unqualified name is the Default domain's."""

from __future__ import annotations

import copy
import json

from test_identity_domains import CONTRACTORS, DOMAINS_FIXTURE, collect

from scanner.model import Status
from scanner.workflow.audit import AuditOptions, audit_snapshot
from tests.emulator import OciEmulator

DAVE = "ocid1.user.oc1..aaaaaaaadavecontractor"
CI_DEPLOYER = "ocid1.user.oc1..aaaaaaaacideployer"  # Default domain, platform-ops, one API key
OPS_THERE = "ocid1.group.oc1..aaaaaaaacontractorplatformops"
DG_THERE = "ocid1.dynamicgroup.oc1..aaaaaaaacontractorokeworkloads"
DG_HERE = "ocid1.dynamicgroup.oc1..aaaaaaaaokeworkloads"
GRANT = "ocid1.policy.oc1..aaaaaaaacontractorplatformops"


def _scim(kind: str, scim_id: str, ocid: str, **data: object) -> dict:
    base = {
        "id": scim_id,
        "ocid": ocid,
        "domain_ocid": CONTRACTORS,
        "compartment_ocid": "ocid1.compartment.oc1..aaaaaaaaapps",
        "tenancy_ocid": "ocid1.tenancy.oc1..aaaaaaaabankexample",
        "meta": {"resource_type": kind, "created": "2025-04-01T09:00:00.000Z"},
    }
    return {"type": f"identity_domains.{kind}", "region": "eu-frankfurt-1", "data": base | data}


def two_domains(tenancy_doc: dict) -> dict:
    """The example tenancy plus a Contractors domain holding a ``platform-ops`` group (Dave, with
    an API key) and a ``payments-oke-workloads`` dynamic group, both named as Default's own."""
    doc = copy.deepcopy(tenancy_doc)
    extra = json.loads(DOMAINS_FIXTURE.read_text())["resources"]
    for item in extra:
        if item["type"] == "identity_domains.User" and item["data"]["ocid"] == DAVE:
            item["data"]["groups"] = [{"value": "c0ffee0ops", "ocid": OPS_THERE, "display": "platform-ops"}]
    extra += [
        _scim("Group", "c0ffee0ops", OPS_THERE, display_name="platform-ops", schemas=[
            "urn:ietf:params:scim:schemas:core:2.0:Group"]),
        _scim("ApiKey", "c0ffee0key2", "ocid1.apikey.oc1..aaaaaaaadavekey1",
              fingerprint="1a:2b:3c:4d:5e:6f:70:81:92:a3:b4:c5:d6:e7:f8:09",
              schemas=["urn:ietf:params:scim:schemas:oracle:idcs:apikey"],
              user={"value": "c0ffee02dave", "ocid": DAVE, "name": "dave.contractor"}),
        _scim("DynamicResourceGroup", "c0ffee0dg2", DG_THERE, display_name="payments-oke-workloads",
              schemas=["urn:ietf:params:scim:schemas:oracle:idcs:DynamicResourceGroup"],
              matching_rule="ALL {resource.type = 'fnfunc', resource.compartment.id = "
                            "'ocid1.compartment.oc1..aaaaaaaaapps'}"),
        {"type": "identity.Policy", "region": "eu-frankfurt-1", "data": {
            "compartment_id": "ocid1.tenancy.oc1..aaaaaaaabankexample", "id": GRANT,
            "name": "contractor-platform-ops", "description": "contractors' ops", "lifecycle_state": "ACTIVE",
            "time_created": "2025-04-01T09:00:00+00:00",
            "statements": ["Allow group 'Contractors'/'platform-ops' to manage all-resources in tenancy"]}},
    ]
    doc["resources"] = doc["resources"] + extra
    return doc


def test_same_named_groups_of_two_domains_are_told_apart_live(tenancy_doc, oci_config):
    with OciEmulator(two_domains(tenancy_doc)) as emu:
        snapshot = collect(emu, oci_config)
    assert [e for e in snapshot.errors if e.level == "error"] == []
    result = audit_snapshot(snapshot, AuditOptions(rule_ids=["OCI-IAM-202", "OCI-IAM-003", "OCI-IAM-301"]))
    status = {(f.rule_id, f.resource.address): f.status for f in result.findings}
    # The grant names the Contractors' platform-ops: Dave (its member, with a key) is an admin...
    assert status[("OCI-IAM-202", DAVE)] == Status.FAILED
    # ...the Default domain's platform-ops member with a key is not.
    assert status[("OCI-IAM-202", CI_DEPLOYER)] == Status.PASSED
    # Dynamic groups: the Default one is granted (payments-workloads), its namesake is not.
    assert status[("OCI-IAM-003", DG_HERE)] == Status.PASSED
    assert status[("OCI-IAM-003", DG_THERE)] == Status.FAILED
    assert status[("OCI-IAM-301", GRANT)] == Status.FAILED  # a non-admin group manages everything
