"""Unit tests for the IAM checks: statement parsing and OCI-IAM-002..006."""

from __future__ import annotations

from typing import Any

import pytest

from scanner.checks.iam import (
    api_key_user_not_tenancy_admin,
    api_key_user_without_data_access,
    dynamic_group_granted_and_narrow,
    matching_rule_breadth,
    parse_statement,
    policy_not_overbroad,
    policy_protects_admin_group,
)
from scanner.engine.registry import ResourceIndex
from scanner.model import Provenance, Resource, Unknown


def make(kind: str, label: str, scope: str = "/repo", **attrs: Any) -> Resource:
    return Resource(
        kind=kind,
        address=f"{kind}.{label}",
        attributes=attrs,
        provenance=Provenance(source="terraform"),
        context={"scope": scope, "module": ""},
    )


def ref(kind: str, name: str, attr: str = "id") -> Unknown:
    return Unknown("known after apply", nonnull=True, ref=f"{kind}.{name}", symbol=f"{kind}.{name}.{attr}")


def policy(*statements: Any, scope: str = "/repo") -> Resource:
    return make("oci_identity_policy", "p", scope=scope, name="app-policy", statements=list(statements))


def ci_user_world(*statements: Any, group: str = "CiDeployers", scope: str = "/repo") -> list[Resource]:
    """A service user with an API key, member of one group, plus the given policy statements."""
    return [
        make("oci_identity_user", "ci", name="ci-bot"),
        make("oci_identity_api_key", "ci", user_id=ref("oci_identity_user", "ci"), key_value="-----BEGIN..."),
        make("oci_identity_group", "ci", name=group),
        make(
            "oci_identity_user_group_membership",
            "ci",
            user_id=ref("oci_identity_user", "ci"),
            group_id=ref("oci_identity_group", "ci"),
        ),
        policy(*statements, scope=scope),
    ]


def run(check: Any, kind: str, world: list[Resource], **params: Any) -> Any:
    target = next(r for r in world if r.kind == kind)
    return check(target, ResourceIndex(world), params)


# ---------------------------------------------------------------------------- parsing


def test_parse_statement_with_domain_group_and_condition() -> None:
    stmt = parse_statement(
        "Allow group 'Default'/'Ops', group id ocid1.group.oc1..aaa to manage objects in "
        "compartment App where target.bucket.name = 'logs'"
    )
    assert stmt is not None
    assert [(s.kind, s.name, s.ocid) for s in stmt.subjects] == [
        ("group", "Ops", None),
        ("group", None, "ocid1.group.oc1..aaa"),
    ]
    assert (stmt.verb, stmt.resource_type, stmt.location.path) == ("manage", "objects", ("App",))
    assert stmt.condition_text == "target.bucket.name = 'logs'"
    assert stmt.requires_equal("target.bucket.name", "logs")
    assert not stmt.in_tenancy


def test_parse_statement_permissions_and_non_grants() -> None:
    stmt = parse_statement("allow dynamic-group Fn to {OBJECT_READ, OBJECT_INSPECT} in tenancy")
    assert stmt is not None and stmt.permissions == ("OBJECT_READ", "OBJECT_INSPECT") and stmt.in_tenancy
    assert parse_statement("Define tenancy Acme as ocid1.tenancy.oc1..aaa") is None


@pytest.mark.parametrize(
    ("rule", "broad"),
    [
        ("ALL {resource.type = 'instance'}", True),
        ("ANY {instance.compartment.id = 'ocid1.compartment.oc1..a', instance.id != 'ocid1.i.oc1..b'}", True),
        ("instance.id != 'ocid1.instance.oc1..b'", True),
        ("ALL {instance.compartment.id = '${var.compartment_ocid}'}", False),
        ("ALL {resource.type = 'fnfunc', resource.compartment.id = 'ocid1.compartment.oc1..a'}", False),
        ("tag.Ops.role.value = 'batch'", False),
    ],
)
def test_matching_rule_breadth(rule: str, broad: bool) -> None:
    assert (matching_rule_breadth(rule) is not None) is broad


# ---------------------------------------------------------------------------- OCI-IAM-002


def test_service_user_with_object_read_fails() -> None:
    world = ci_user_world("Allow group CiDeployers to read objects in compartment App")
    outcome = run(api_key_user_without_data_access, "oci_identity_api_key", world)
    assert outcome.result is False and outcome.path == "user_id"
    assert "CiDeployers" in outcome.detail


def test_service_user_with_control_plane_only_passes() -> None:
    world = ci_user_world(
        "Allow group CiDeployers to inspect all-resources in tenancy",
        "Allow group DataReaders to read secret-bundles in tenancy",  # another group
        "Allow dynamic-group AppHosts to read objects in compartment App",
    )
    assert run(api_key_user_without_data_access, "oci_identity_api_key", world).result is True


def test_unconditional_any_user_grant_reaches_the_service_user() -> None:
    world = ci_user_world("Allow any-user to use stream-push in compartment App")
    assert run(api_key_user_without_data_access, "oci_identity_api_key", world).result is False
    scoped = ci_user_world(
        "Allow any-user to read objects in compartment App where request.principal.type = 'workload'"
    )
    assert run(api_key_user_without_data_access, "oci_identity_api_key", scoped).result is True


def test_unknown_statement_makes_data_access_unknown() -> None:
    stmt = Unknown("no value", nonnull=True, symbol="Allow group ${var.group} to read objects in tenancy")
    world = ci_user_world(stmt)
    assert run(api_key_user_without_data_access, "oci_identity_api_key", world).result is None
    # ...unless its literal text shows it is for a dynamic group
    dg = Unknown("no value", nonnull=True, symbol="Allow dynamic-group ${var.dg} to read objects in tenancy")
    assert run(api_key_user_without_data_access, "oci_identity_api_key", ci_user_world(dg)).result is True


def test_policy_in_another_scope_is_ignored() -> None:
    world = ci_user_world("Allow group CiDeployers to manage object-family in tenancy", scope="/other")
    assert run(api_key_user_without_data_access, "oci_identity_api_key", world).result is True


def test_unresolvable_user_is_unknown() -> None:
    key = make("oci_identity_api_key", "k", user_id=Unknown("var.user_ocid has no value"))
    assert api_key_user_without_data_access(key, ResourceIndex([key]), {}).result is None


# ---------------------------------------------------------------------------- OCI-IAM-005


def test_api_key_for_administrators_member_fails() -> None:
    world = ci_user_world(group="Administrators")
    outcome = run(api_key_user_not_tenancy_admin, "oci_identity_api_key", world)
    assert outcome.result is False and "Administrators" in outcome.detail


def test_api_key_for_group_with_manage_all_resources_fails() -> None:
    world = ci_user_world("Allow group CiDeployers to manage all-resources in tenancy")
    assert run(api_key_user_not_tenancy_admin, "oci_identity_api_key", world).result is False
    compartment = ci_user_world("Allow group CiDeployers to manage all-resources in compartment App")
    assert run(api_key_user_not_tenancy_admin, "oci_identity_api_key", compartment).result is True


# ---------------------------------------------------------------------------- OCI-IAM-003


def dynamic_group(
    rule: Any = "ALL {instance.compartment.id = 'ocid1.compartment.oc1..app'}", name: Any = "AppHosts"
) -> Resource:
    return make("oci_identity_dynamic_group", "app", name=name, matching_rule=rule)


def test_dynamic_group_used_and_narrow_passes() -> None:
    world = [dynamic_group(), policy("Allow dynamic-group AppHosts to read secret-family in compartment App")]
    assert run(dynamic_group_granted_and_narrow, "oci_identity_dynamic_group", world).result is True


def test_unused_dynamic_group_fails() -> None:
    world = [dynamic_group(), policy("Allow group AppHosts to read objects in compartment App")]
    outcome = run(dynamic_group_granted_and_narrow, "oci_identity_dynamic_group", world)
    assert outcome.result is False and outcome.path == "name"


def test_tenancy_wide_matching_rule_fails_even_when_used() -> None:
    world = [
        dynamic_group(rule="ALL {resource.type = 'instance'}"),
        policy("Allow dynamic-group AppHosts to read objects in compartment App"),
    ]
    outcome = run(dynamic_group_granted_and_narrow, "oci_identity_dynamic_group", world)
    assert outcome.result is False and outcome.path == "matching_rule"


def test_dynamic_group_granted_by_interpolated_id_passes() -> None:
    stmt = Unknown(
        "id after apply",
        nonnull=True,
        ref="oci_identity_dynamic_group.app",
        symbol="Allow dynamic-group id ${oci_identity_dynamic_group.app.id} to use keys in App",
    )
    world = [dynamic_group(), policy(stmt)]
    assert run(dynamic_group_granted_and_narrow, "oci_identity_dynamic_group", world).result is True


def test_dynamic_group_with_unknown_statement_is_unknown() -> None:
    stmt = Unknown("var", nonnull=True, symbol="${var.statement}")
    world = [dynamic_group(), policy(stmt)]
    assert run(dynamic_group_granted_and_narrow, "oci_identity_dynamic_group", world).result is None


# ---------------------------------------------------------------------------- OCI-IAM-004


@pytest.mark.parametrize(
    ("statement", "result"),
    [
        ("Allow group Administrators to manage all-resources in tenancy", True),
        ("Allow group NetworkAdmins to manage virtual-network-family in tenancy", True),
        ("Allow group Ops to manage all-resources in compartment App", True),
        ("Allow group Ops to manage all-resources in tenancy", False),
        ("Allow dynamic-group Hosts to manage all-resources in tenancy", False),
        ("Allow any-user to read objects in compartment App", False),
        ("Allow any-group to inspect buckets in tenancy", False),
        ("Allow any-user to read objects in compartment App where request.principal.type = 'workload'", True),
        ("Allow group id ocid1.group.oc1..aaa to manage all-resources in tenancy", None),
    ],
)
def test_policy_not_overbroad(statement: str, result: bool | None) -> None:
    p = policy("Allow group Auditors to inspect all-resources in tenancy", statement)
    outcome = policy_not_overbroad(p, ResourceIndex([p]), {"admin_groups": ["Administrators"]})
    assert outcome.result is result
    if result is False:
        assert outcome.path == "statements.1"


def test_policy_not_overbroad_unknown_statement() -> None:
    p = policy(Unknown("var", nonnull=True, symbol="${var.s}"))
    assert policy_not_overbroad(p, ResourceIndex([p]), {}).result is None


# ---------------------------------------------------------------------------- OCI-IAM-006


@pytest.mark.parametrize(
    ("statement", "result"),
    [
        ("Allow group IAMAdmins to use groups in tenancy where target.group.name != 'Administrators'", True),
        ("Allow group IAMAdmins to inspect groups in tenancy", True),
        ("Allow group IAMAdmins to manage users in compartment App", True),
        ("Allow group Administrators to manage groups in tenancy", True),
        ("Allow group IAMAdmins to use groups in tenancy", False),
        ("Allow group IAMAdmins to manage users in tenancy where target.group.name = 'Developers'", False),
        (
            "Allow group IAMAdmins to use groups in tenancy where any {target.group.name != 'Administrators', "
            "request.operation = 'ListGroups'}",
            False,
        ),
        # Permission lists are the same grants written another way (CIS 1.3).
        ("Allow group IAMAdmins to {GROUP_UPDATE, USER_UPDATE} in tenancy", False),
        ("Allow group IAMAdmins to {USER_INSPECT, GROUP_READ} in tenancy", True),
        (
            "Allow group IAMAdmins to {GROUP_UPDATE} in tenancy where target.group.name != 'Administrators'",
            True,
        ),
        # The exclusion holds when it is required by an outer all {...}, even beside an optional any.
        (
            "Allow group IAMAdmins to use groups in tenancy where all {target.group.name != 'Administrators', "
            "any {request.permission = 'GROUP_UPDATE', request.permission = 'GROUP_INSPECT'}}",
            True,
        ),
    ],
)
def test_policy_protects_admin_group(statement: str, result: bool) -> None:
    p = policy(statement)
    assert policy_protects_admin_group(p, ResourceIndex([p]), {}).result is result


def interpolated(symbol: str) -> Unknown:
    return Unknown("var has no value", nonnull=True, symbol=symbol)


def test_interpolated_compartment_keeps_the_statement_meaning() -> None:
    stmt = interpolated("Allow any-user to manage objects in compartment id ${var.compartment_ocid}")
    p = policy(stmt)
    assert policy_not_overbroad(p, ResourceIndex([p]), {}).result is False
    world = [
        dynamic_group(),
        policy(
            interpolated(
                "Allow dynamic-group AppHosts to read secret-bundles in compartment id ${var.compartment_ocid}"
            )
        ),
    ]
    assert run(dynamic_group_granted_and_narrow, "oci_identity_dynamic_group", world).result is True


def test_interpolated_subject_or_tenancy_location_stays_unknown() -> None:
    for symbol in (
        "Allow group ${var.g} to read objects in compartment App",
        "Allow group Ops to manage all-resources in compartment id ${var.tenancy_ocid}",
    ):
        p = policy(interpolated(symbol))
        assert policy_not_overbroad(p, ResourceIndex([p]), {}).result is None
