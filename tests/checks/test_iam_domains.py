"""Domain-qualified subjects (``Allow group 'ops'/'Admins' ...``) in the IAM checks, on
Terraform-shaped resources: an unqualified name means the Default identity domain, a name in
another domain is another group, and OCID subjects match by id. Legacy ``oci_identity_group`` /
``oci_identity_dynamic_group`` blocks are the Default domain's (the legacy IAM API serves that
domain only)."""

from __future__ import annotations

from typing import Any

import pytest

from scanner.checks.iam import (
    DEFAULT_DOMAIN,
    admin_groups,
    api_key_user_not_tenancy_admin,
    api_key_user_without_data_access,
    dynamic_group_granted_and_narrow,
    is_admin_group,
    policy_protects_admin_group,
    principal_domain,
)
from scanner.checks.iam_cis import no_group_manages_everything, storage_admins_cannot_delete
from tests.checks.test_iam import ci_user_world, make, policy, run

MANAGE_ALL = "to manage all-resources in tenancy"


@pytest.mark.parametrize(
    ("subject", "granted"),
    [
        ("group CiDeployers", True),  # unqualified: the Default domain, where the legacy group is
        ("group 'Default'/'CiDeployers'", True),
        ("group default/cideployers", True),  # names compare without regard to case, as OCI's
        ("group 'ops'/'CiDeployers'", False),  # the same name in another domain: another group
        ("group ops/CiDeployers", False),
    ],
)
def test_a_group_in_another_domain_is_another_group(subject: str, granted: bool) -> None:
    world = ci_user_world(f"Allow {subject} {MANAGE_ALL}")
    assert run(api_key_user_not_tenancy_admin, "oci_identity_api_key", world).result is (not granted)
    data = ci_user_world(f"Allow {subject} to read objects in tenancy")
    assert run(api_key_user_without_data_access, "oci_identity_api_key", data).result is (not granted)


def test_a_live_group_of_a_secondary_domain_is_matched_with_its_domain() -> None:
    # A live group read from domain "ops" carries domain_name; statements must name that domain.
    world = ci_user_world(f"Allow group 'ops'/'CiDeployers' {MANAGE_ALL}")
    group = next(r for r in world if r.kind == "oci_identity_group")
    group.attributes.update(domain_name="ops", domain_ocid="ocid1.domain.oc1..ops")
    assert principal_domain(group) == "ops"
    assert run(api_key_user_not_tenancy_admin, "oci_identity_api_key", world).result is False
    unqualified = ci_user_world(f"Allow group CiDeployers {MANAGE_ALL}")
    group = next(r for r in unqualified if r.kind == "oci_identity_group")
    group.attributes.update(domain_name="ops", domain_ocid="ocid1.domain.oc1..ops")
    assert run(api_key_user_not_tenancy_admin, "oci_identity_api_key", unqualified).result is True
    # A domain whose name is not known cannot be told apart: unknown, never a silent pass.
    group.attributes.pop("domain_name")
    assert principal_domain(group) is None
    assert run(api_key_user_not_tenancy_admin, "oci_identity_api_key", unqualified).result is None


def test_administrators_are_the_default_domains_unless_qualified() -> None:
    admins = admin_groups({})
    assert is_admin_group("Administrators", DEFAULT_DOMAIN, admins)
    assert not is_admin_group("Administrators", "ops", admins)
    assert is_admin_group("Administrators", None, admins)  # domain unknown: judged by name
    assert is_admin_group("Admins", "ops", admin_groups({"admin_groups": ["Administrators", "ops/Admins"]}))
    # Membership of another domain's "Administrators" group is no tenancy administration.
    world = ci_user_world(group="Administrators")
    group = next(r for r in world if r.kind == "oci_identity_group")
    assert run(api_key_user_not_tenancy_admin, "oci_identity_api_key", world).result is False
    group.attributes.update(domain_name="ops", domain_ocid="ocid1.domain.oc1..ops")
    assert run(api_key_user_not_tenancy_admin, "oci_identity_api_key", world).result is True


@pytest.mark.parametrize(
    ("subject", "passed"),
    [
        ("group Administrators", True),
        ("group 'Default'/'Administrators'", True),
        ("group 'ops'/'Administrators'", False),  # not the tenancy's administrators
    ],
)
def test_statement_checks_tell_the_administrators_by_domain(subject: str, passed: bool) -> None:
    p = policy(f"Allow {subject} {MANAGE_ALL}")
    assert no_group_manages_everything(p, None, {}).result is passed  # type: ignore[arg-type]
    delete = policy(f"Allow {subject} to manage buckets in tenancy")
    params = {"delete_permissions": {"buckets": ["BUCKET_DELETE"]}}
    assert storage_admins_cannot_delete(delete, None, params).result is passed  # type: ignore[arg-type]
    users = policy(f"Allow {subject} to manage groups in tenancy")
    assert run(policy_protects_admin_group, "oci_identity_policy", [users]).result is passed


def dynamic_group(name: str = "app-fns", **attrs: Any) -> Any:
    rule = "ALL {resource.type = 'fnfunc', resource.compartment.id = 'ocid1.compartment.oc1..apps'}"
    return make("oci_identity_dynamic_group", "dg", name=name, matching_rule=rule, **attrs)


@pytest.mark.parametrize(
    ("subject", "granted"),
    [
        ("dynamic-group app-fns", True),
        ("dynamic-group 'Default'/'app-fns'", True),
        ("dynamic-group 'ops'/'app-fns'", False),
    ],
)
def test_a_dynamic_group_is_granted_only_in_its_domain(subject: str, granted: bool) -> None:
    world = [dynamic_group(), policy(f"Allow {subject} to read buckets in compartment apps")]
    assert run(dynamic_group_granted_and_narrow, "oci_identity_dynamic_group", world).result is granted
    live = [
        dynamic_group(domain_name="ops", domain_ocid="ocid1.domain.oc1..ops"),
        policy(f"Allow {subject} to read buckets in compartment apps"),
    ]
    outcome = run(dynamic_group_granted_and_narrow, "oci_identity_dynamic_group", live)
    assert outcome.result is ("'ops'" in subject)


def test_ocid_subjects_match_by_id() -> None:
    dg = dynamic_group(id="ocid1.dynamicgroup.oc1..appfns", domain_name="ops", domain_ocid="ocid1.domain.oc1..ops")
    world = [dg, policy("Allow dynamic-group id ocid1.dynamicgroup.oc1..appfns to read buckets in tenancy")]
    assert run(dynamic_group_granted_and_narrow, "oci_identity_dynamic_group", world).result is True
    other = [dg, policy("Allow dynamic-group id ocid1.dynamicgroup.oc1..other to read buckets in tenancy")]
    assert run(dynamic_group_granted_and_narrow, "oci_identity_dynamic_group", other).result is False


def test_a_dynamic_group_rule_is_read_from_the_group_of_the_named_domain() -> None:
    # OCI-IAM-401: deploy pipelines may read secrets; a namesake in another domain selecting
    # instances may not, and the statement's domain says which group it is.
    from scanner.checks.iam_access import vault_access_allow_listed
    from scanner.engine.registry import ResourceIndex

    pipes = make(
        "oci_identity_dynamic_group",
        "pipes",
        name="deploy",
        matching_rule="ALL {resource.type = 'devopsdeploypipeline', resource.compartment.id = 'ocid1.c'}",
    )
    hosts = make(
        "oci_identity_dynamic_group",
        "hosts",
        name="deploy",
        matching_rule="ANY {instance.compartment.id = 'ocid1.c'}",
        domain_name="ops",
        domain_ocid="ocid1.domain.oc1..ops",
    )

    def verdict(subject: str) -> bool | None:
        p = policy(f"Allow dynamic-group {subject} to read secret-bundles in compartment app")
        return vault_access_allow_listed(p, ResourceIndex([pipes, hosts, p]), {}).result

    assert verdict("deploy") is True  # the Default domain's: pipelines
    assert verdict("'Default'/'deploy'") is True
    assert verdict("'ops'/'deploy'") is False  # the ops domain's: instances
    assert verdict("'other'/'deploy'") is False  # no such group in that domain
