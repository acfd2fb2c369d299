"""What the emulator serves for readers other than ocisec's collector (Oracle's cis_reports.py,
run side by side in benchmarks/cis_reports_run.py): Search's ``return allAdditionalFields`` and
``where compartmentId`` clause, GetTenancy, GetKeyVersion, memberships by group, lists filtered
by lifecycle state, and a tenancy without identity domains. Exercised through the real SDK."""

from __future__ import annotations

import json
from pathlib import Path

import oci
import pytest
from live_helpers import ROOT

from scanner.sources.oci.auth import make_session
from tests.emulator import OciEmulator

CIS = json.loads((ROOT / "fixtures" / "live" / "cis-insecure.json").read_text())


def _client(emu: OciEmulator, config: Path, class_path: str):
    session = make_session("api_key", config, None, emu.endpoint)
    session.timeout = (5.0, 10.0)
    return session.client(class_path, "eu-frankfurt-1")


def _search(emu: OciEmulator, config: Path, query: str) -> list:
    client = _client(emu, config, "resource_search.ResourceSearchClient")
    details = oci.resource_search.models.StructuredSearchDetails(type="Structured", query=query)
    return oci.pagination.list_call_get_all_results(client.search_resources, search_details=details).data


def test_all_additional_fields_name_every_field_of_the_model(oci_config):
    with OciEmulator(CIS) as emu:
        plain = _search(emu, oci_config, "query SecurityList resources")
        rich = _search(emu, oci_config, "query SecurityList resources return allAdditionalFields")
    assert plain and all(r.additional_details is None for r in plain)
    for result in rich:
        rules = result.additional_details["ingressSecurityRules"]
        # Nested rules name every field of IngressSecurityRule, null where the object has none.
        assert all("icmpOptions" in rule and "tcpOptions" in rule for rule in rules)
        assert result.additional_details["vcnId"]


def test_event_rules_carry_their_actions_as_search_names_them(oci_config):
    with OciEmulator(CIS) as emu:
        rules = _search(emu, oci_config, "query EventRule resources return allAdditionalFields")
    actions = [a for r in rules for a in r.additional_details["actionsDetails"]]
    assert actions and all(a["actionType"] == "ONS" and a["topicId"] for a in actions)


def test_where_compartment_id_selects_and_excludes(oci_config):
    tenancy = CIS["tenancy_id"]
    with OciEmulator(CIS) as emu:
        everything = _search(emu, oci_config, "query all resources")
        in_root = _search(emu, oci_config, f"query all resources where compartmentId = '{tenancy}'")
        elsewhere = _search(emu, oci_config, f"query all resources where compartmentId != '{tenancy}'")
        with pytest.raises(oci.exceptions.ServiceError) as refused:
            _search(emu, oci_config, "query all resources where displayName = 'x'")
    assert in_root and all(r.compartment_id == tenancy for r in in_root)
    assert {r.identifier for r in in_root} | {r.identifier for r in elsewhere} == {r.identifier for r in everything}
    assert refused.value.status == 400  # a condition it cannot evaluate is refused, not ignored


def test_tenancy_memberships_and_lifecycle_filter(oci_config):
    with OciEmulator(CIS) as emu:
        identity = _client(emu, oci_config, "identity.IdentityClient")
        tenancy = identity.get_tenancy(CIS["tenancy_id"]).data
        admins = "ocid1.group.oc1..aaaaaaaaadministrators"
        members = identity.list_user_group_memberships(CIS["tenancy_id"], group_id=admins).data
        active = identity.list_compartments(CIS["tenancy_id"], lifecycle_state="ACTIVE").data
        every = identity.list_compartments(CIS["tenancy_id"]).data
        with pytest.raises(oci.exceptions.ServiceError) as other:
            identity.get_tenancy("ocid1.tenancy.oc1..someoneelse")
    assert tenancy.id == CIS["tenancy_id"] and tenancy.home_region_key == "FRA"
    assert {m.user_id for m in members} == {"ocid1.user.oc1..aaaaaaaaalice"}
    assert any(c.lifecycle_state == "DELETED" for c in every)
    assert all(c.lifecycle_state == "ACTIVE" for c in active)
    assert other.value.status == 404


def test_a_tenancy_without_identity_domains_answers_404_to_list_domains(oci_config):
    with OciEmulator(CIS, identity_domains=False) as emu:
        identity = _client(emu, oci_config, "identity.IdentityClient")
        with pytest.raises(oci.exceptions.ServiceError) as legacy:
            identity.list_domains(CIS["tenancy_id"])
    with OciEmulator(CIS) as emu:
        assert _client(emu, oci_config, "identity.IdentityClient").list_domains(CIS["tenancy_id"]).data == []
    assert legacy.value.status == 404


def test_get_key_version_serves_one_version_of_the_key(oci_config):
    key = next(r for r in CIS["resources"] if r["type"] == "key_management.Key")
    version = key["related"]["key_versions"][-1]
    with OciEmulator(CIS) as emu:
        vaults = _client(emu, oci_config, "key_management.KmsVaultClient")
        vault = vaults.get_vault(key["data"]["vault_id"]).data
        session = make_session("api_key", oci_config, None, emu.endpoint)
        kms = oci.key_management.KmsManagementClient(session.config, signer=session.signer,
                                                     service_endpoint=vault.management_endpoint)
        got = kms.get_key_version(key["data"]["id"], version["id"]).data
    assert got.id == version["id"] and got.key_id == key["data"]["id"]
