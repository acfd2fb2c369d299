"""Identity domains through the real SDK against the emulator's SCIM witness: users of every
domain are audited with the legacy rules, and password policies are collected."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from live_helpers import ROOT

from scanner.model import Status, Unknown
from scanner.sources.oci.auditor_policy import auditor_statements
from scanner.sources.oci.auth import make_session
from scanner.sources.oci.collector import Collector
from scanner.sources.oci.mapping import snapshot_resources
from scanner.workflow.audit import AuditOptions, audit_snapshot
from tests.emulator import OciEmulator

DOMAINS_FIXTURE = ROOT / "fixtures" / "live" / "identity-domains.json"
FAST_RETRY = {"max_attempts": 3, "base_sleep": 0.01, "max_wait": 0.05, "max_elapsed": 10}
CAROL = "ocid1.user.oc1..aaaaaaaacarolcontractor"
DAVE = "ocid1.user.oc1..aaaaaaaadavecontractor"
ALICE = "ocid1.user.oc1..aaaaaaaaalice.admin"
CONTRACTORS = "ocid1.domain.oc1..aaaaaaaacontractors"


@pytest.fixture
def domains_doc(tenancy_doc: dict) -> dict:
    """The example tenancy with a Default and a secondary identity domain."""
    doc = dict(tenancy_doc)
    doc["resources"] = tenancy_doc["resources"] + json.loads(DOMAINS_FIXTURE.read_text())["resources"]
    return doc


def collect(emu: OciEmulator, config, **kwargs):  # noqa: ANN001
    at = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
    session = make_session("api_key", config, None, emu.endpoint)
    session.timeout = (5.0, 10.0)
    return Collector(session, concurrency=4, retry=FAST_RETRY, clock=lambda: at, **kwargs).collect()


def by_address(snapshot) -> dict:  # noqa: ANN001
    return {(r.kind, r.address): r for r in snapshot_resources(snapshot)}


def test_users_of_a_secondary_domain_are_audited_with_the_legacy_rules(domains_doc, oci_config):
    with OciEmulator(domains_doc, page_size=2) as emu:
        emu.domains.max_count = 1  # one object per SCIM page: paging is exercised
        snapshot = collect(emu, oci_config)
        scim = [r for r in emu.requests if "/admin/v1/" in r.path]
    assert snapshot.errors == []
    assert {"identity.Domain", "identity_domains.User", "identity_domains.PasswordPolicy"} <= set(
        snapshot.collected
    )
    # SCIM paging: two contractor users, one per page, then the end of the listing
    users = [r for r in scim if r.path.endswith("/Users") and CONTRACTORS in r.path]
    assert [r.query.get("startIndex") for r in users] == [["1"], ["2"]]
    assert all(r.query.get("attributeSets") == ["all"] for r in users)  # groups come on request only

    resources = by_address(snapshot)
    carol = resources[("oci_identity_user", CAROL)]
    assert carol.attributes["name"] == "carol.contractor"
    assert carol.attributes["group_ids"] == ["ocid1.group.oc1..aaaaaaaacontractoradmins"]
    assert carol.attributes["is_mfa_activated"] is False
    assert carol.provenance.compartment_id == "ocid1.compartment.oc1..aaaaaaaaapps"
    assert resources[("oci_identity_group", "ocid1.group.oc1..aaaaaaaacontractoradmins")].attributes[
        "name"
    ] == ("ContractorAdmins")
    dynamic = resources[("oci_identity_dynamic_group", "ocid1.dynamicgroup.oc1..aaaaaaaacontractorfns")]
    assert dynamic.attributes["matching_rule"].startswith("ALL {resource.type = 'fnfunc'")
    assert ("oci_identity_user", DAVE) in resources
    # The Default domain's user is the legacy API's user: counted once
    assert [k for k in resources if k[1] == ALICE] == [("oci_identity_user", ALICE)]
    # Credential values never reach the snapshot
    text = json.dumps(snapshot.to_dict())
    assert "c0ffee0accesskey" in text and '"secret_key"' not in text and '"password"' not in text

    result = audit_snapshot(snapshot, AuditOptions())
    outcome = {(f.rule_id, f.resource.address): f.status for f in result.findings}
    key = f"{CAROL}/api_keys/ocid1.apikey.oc1..aaaaaaaacarolkey1"
    assert outcome[("OCI-ROT-204", key)] == Status.FAILED  # a key from June 2025
    assert outcome[("OCI-IAM-005", key)] == Status.FAILED  # her group administers the tenancy
    assert outcome[("OCI-IAM-202", CAROL)] == Status.FAILED
    assert (
        outcome[("OCI-ROT-205", f"{CAROL}/auth_tokens/ocid1.credential.oc1..aaaaaaaacaroltoken1")]
        == Status.PASSED
    )
    assert outcome[
        ("OCI-ROT-206", f"{CAROL}/customer_secret_keys/ocid1.credential.oc1..aaaaaaaacarolcsk1")
    ] == (Status.FAILED)
    assert outcome[("OCI-IAM-202", DAVE)] == Status.PASSED


def test_password_policies_are_collected_with_the_providers_names(domains_doc, oci_config):
    with OciEmulator(domains_doc) as emu:
        snapshot = collect(emu, oci_config)
        url = emu.domain_urls[CONTRACTORS]
    policies = {
        r.attributes["name"]: r
        for r in snapshot_resources(snapshot)
        if r.kind == "oci_identity_domains_password_policy"
    }
    assert set(policies) == {"StandardPasswordPolicy", "ContractorPasswordPolicy"}
    contractors = policies["ContractorPasswordPolicy"].attributes
    assert (
        contractors["min_length"],
        contractors["password_expires_after"],
        contractors["num_passwords_in_history"],
    ) == (
        14,
        365,
        24,
    )
    assert contractors["idcs_endpoint"] == url  # the domain's own host
    assert policies["StandardPasswordPolicy"].attributes["min_length"] == 8
    assert (
        policies["ContractorPasswordPolicy"].provenance.ocid
        == "ocid1.passwordpolicy.oc1..aaaaaaaacontractorspp"
    )


def test_the_auditor_policy_reads_every_domain_and_without_read_domains_the_loss_is_named(
    domains_doc, oci_config
):
    statements = auditor_statements("group Auditors")
    assert "Allow group Auditors to read domains in tenancy" in statements
    with OciEmulator(domains_doc, policy=statements) as emu:
        full = collect(emu, oci_config)
    assert full.errors == []
    without = [s for s in statements if s != "Allow group Auditors to read domains in tenancy"]
    with OciEmulator(domains_doc, policy=without) as emu:
        partial = collect(emu, oci_config)
    failed = {(e.operation, e.status) for e in partial.errors}
    assert failed == {
        ("ListUsers", 404),
        ("ListGroups", 404),
        ("ListApiKeys", 404),
        ("ListAuthTokens", 404),
        ("ListCustomerSecretKeys", 404),
        ("ListDynamicResourceGroups", 404),
        ("ListPasswordPolicies", 404),
    }
    assert "identity.Domain" in partial.collected
    assert not [t for t in partial.collected if t.startswith("identity_domains.")]
    # Nothing passes silently: the rules on password policies are unknown, "not collected"
    stand_in = [r for r in snapshot_resources(partial) if r.kind == "oci_identity_domains_password_policy"]
    assert len(stand_in) == 1 and "not collected" in stand_in[0].context["not_collected"]


def test_a_snapshot_from_before_identity_domains_keeps_its_users():
    doc = json.loads((ROOT / "fixtures" / "live" / "example-snapshot.json").read_text())
    doc["resources"] = [
        r for r in doc["resources"] if not r["type"].startswith(("identity_domains.", "identity.Domain"))
    ]
    doc["collected"] = [
        t for t in doc["collected"] if not t.startswith(("identity_domains.", "identity.Domain"))
    ]
    from scanner.sources.oci.snapshot import snapshot_from_dict

    resources = snapshot_resources(snapshot_from_dict(doc))
    users = [r for r in resources if r.kind == "oci_identity_user" and not r.context.get("not_collected")]
    assert users and all(not isinstance(r.attributes.get("group_ids"), Unknown) for r in users)


def test_a_documented_users_page_maps_onto_legacy_users():
    """A page shaped like the documented ListResponse, through the SDK's own deserializer."""
    import oci
    from cryptography.hazmat.primitives.asymmetric import rsa
    from oci.identity_domains.models import identity_domains_type_mapping

    from scanner.sources.oci.domains import _clean, legacy_view
    from scanner.sources.oci.snapshot import InventorySnapshot, SnapshotResource

    signer = oci.auth.signers.SecurityTokenSigner(
        "t", rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    client = oci.base_client.BaseClient(
        "identity_domains",
        {"region": "eu-frankfurt-1"},
        signer=signer,
        type_mapping=identity_domains_type_mapping,
        service_endpoint="https://idcs-0001.identity.oraclecloud.com",
    )
    page = client.deserialize_response_data(
        (ROOT / "tests" / "data" / "identity-domains-users-page.json").read_bytes(), "Users"
    )
    assert (page.total_results, page.items_per_page, len(page.resources)) == (3, 50, 3)
    resources = [
        SnapshotResource("identity_domains.User", "eu-frankfurt-1", _clean(oci.util.to_dict(u)))
        for u in page.resources
    ]
    snapshot = InventorySnapshot(
        tenancy_id="ocid1.tenancy.oc1..aaaaaaaabankexample",
        home_region="eu-frankfurt-1",
        collected_at=datetime(2026, 11, 20, tzinfo=UTC),
        regions={"eu-frankfurt-1": {}},
        collected=["identity_domains.User", "identity_domains.ApiKey"],
        resources=resources,
    )
    users = {r.data["name"]: r for r in legacy_view(snapshot)}
    assert set(users) == {"erin@bank.example", "frank@bank.example", "grace@bank.example"}
    frank = users["frank@bank.example"]
    assert frank.type == "identity.User" and frank.ocid == "ocid1.user.oc1..aaaaaaaafrank"
    assert frank.data["email"] == "frank@bank.example"  # the primary email, not the recovery one
    assert (
        frank.data["is_mfa_activated"] is True
        and users["erin@bank.example"].data["is_mfa_activated"] is False
    )
    assert frank.data["time_created"] == "2023-07-19T18:23:28.381Z"
    assert frank.data["capabilities"]["can_use_api_keys"] is True
    assert frank.related == {"api_keys": []}  # API keys were listed (none); groups were not


def test_the_domain_benchmark_reads_the_same_users_with_fewer_calls():
    """benchmarks/bench_domains.py on a small tenancy: same legacy view, far fewer calls."""
    import subprocess
    import sys

    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_domains.py"),
            "--users",
            "30",
            "--latency",
            "0",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout)
    assert result["same_users_credentials_memberships"] is True
    assert result["legacy"]["calls"] > 4 * 30 and result["domains"]["calls"] < 20
