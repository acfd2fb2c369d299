"""Unit tests for OCI-IAM-401..403: vault access allow-list, workload identity scope, dynamic-group
least privilege."""

from __future__ import annotations

from typing import Any

import pytest

from scanner.checks.iam_access import (
    dynamic_group_least_privilege,
    requires_value,
    vault_access_allow_listed,
    workload_identity_scoped,
)
from scanner.engine.registry import ResourceIndex
from scanner.model import Provenance, Resource, Unknown
from scanner.model.iam_policy import parse_condition


def make(kind: str, label: str, **attrs: Any) -> Resource:
    return Resource(kind, f"{kind}.{label}", attrs, Provenance("terraform"), {"scope": "/repo", "module": ""})


PIPELINES = make(
    "oci_identity_dynamic_group",
    "pipes",
    name="deploy-pipelines",
    matching_rule="ALL {resource.type = 'devopsdeploypipeline', resource.compartment.id = 'ocid1.compartment.oc1..a'}",
)
INSTANCES = make(
    "oci_identity_dynamic_group",
    "hosts",
    name="hosts",
    matching_rule="ANY {instance.compartment.id = 'ocid1.compartment.oc1..a'}",
)
DATABASES = make(
    "oci_identity_dynamic_group", "adb", name="adb", matching_rule="resource.type = 'autonomousdatabase'"
)


def judge(check: Any, *statements: Any, **params: Any) -> Any:
    policy = make("oci_identity_policy", "p", statements=list(statements))
    return check(policy, ResourceIndex([policy, PIPELINES, INSTANCES, DATABASES]), params)


WORKLOAD = (
    "where all {request.principal.type = 'workload', request.principal.namespace = 'pay', "
    "request.principal.service_account = 'api'}"
)


@pytest.mark.parametrize(
    ("statement", "result"),
    [
        ("Allow dynamic-group deploy-pipelines to read secret-bundles in compartment app", True),
        (f"Allow any-user to read secret-family in compartment app {WORKLOAD}", True),
        ("Allow service blockstorage, objectstorage-eu-frankfurt-1 to use keys in compartment app", True),
        ("Allow dynamic-group adb to use keys in compartment app", True),
        ("Allow group Developers to read buckets in tenancy", True),
        ("Allow group Developers to inspect secrets in compartment app", True),
        # metadata of vaults, keys and secrets: an auditor's read-only policy
        ("Allow group Auditors to read vaults in tenancy", True),
        ("Allow group Auditors to read keys in tenancy", True),
        ("Allow group Auditors to read secrets in tenancy", True),
        ("Allow group Auditors to {KEY_READ, VAULT_INSPECT} in tenancy", True),
        ("Allow group Apps to {KEY_ENCRYPT, KEY_DECRYPT} in compartment app", False),
        # people, everyone, broad dynamic groups
        ("Allow group Developers to read secret-family in compartment app", False),
        ("Allow group 'Default'/'Ops' to {SECRET_BUNDLE_READ} in compartment app", False),
        ("Allow any-user to read secret-bundles in compartment app", False),
        (
            "Allow any-user to read secret-bundles in compartment app where request.principal.type = 'workload'",
            False,
        ),
        ("Allow dynamic-group hosts to read secret-bundles in compartment app", False),
        ("Allow group Admins to manage all-resources in compartment app", False),
        # databases may use keys, not read secrets
        ("Allow dynamic-group adb to read secret-bundles in compartment app", False),
        ("Allow dynamic-group adb to manage keys in compartment app", False),
        # a dynamic group not defined here, by name
        ("Allow dynamic-group elsewhere to read secret-bundles in compartment app", False),
        # tenancy-wide: only when narrowed to a vault or secret
        ("Allow dynamic-group deploy-pipelines to read secret-bundles in tenancy", False),
        (
            "Allow dynamic-group deploy-pipelines to read secret-bundles in tenancy "
            "where target.vault.id = 'ocid1.vault.oc1..v'",
            True,
        ),
        # unknowable: a dynamic group by OCID not in the inventory
        ("Allow dynamic-group id ocid1.dynamicgroup.oc1..zz to read secret-bundles in compartment app", None),
    ],
)
def test_vault_access_allow_listed(statement: str, result: bool | None) -> None:
    assert judge(vault_access_allow_listed, statement).result is result


def test_vault_access_allowed_subjects_parameter() -> None:
    stmt = "Allow group SecurityAdmins to manage vaults in compartment security"
    assert judge(vault_access_allow_listed, stmt).result is False
    assert judge(vault_access_allow_listed, stmt, allowed_subjects=["group SecurityAdmins"]).result is True


def test_vault_access_interpolated_subject_is_unknown() -> None:
    text = Unknown("var", symbol="Allow group ${var.g} to read secret-bundles in compartment app")
    assert judge(vault_access_allow_listed, text).result is None


def test_vault_access_failure_names_subject_and_line() -> None:
    outcome = judge(
        vault_access_allow_listed,
        "Allow dynamic-group deploy-pipelines to read secret-bundles in compartment app",
        "Allow group Developers to read secret-family in compartment app",
    )
    assert outcome.result is False and outcome.path == "statements.1" and "group Developers" in outcome.detail


@pytest.mark.parametrize(
    ("rule", "types", "expected"),
    [
        (
            "ALL {resource.type = 'devopsdeploypipeline', resource.compartment.id = 'x'}",
            {"devopsdeploypipeline"},
            True,
        ),
        (
            "ANY {resource.type = 'devopsdeploypipeline', resource.type = 'devopsbuildpipeline'}",
            {"devopsdeploypipeline", "devopsbuildpipeline"},
            True,
        ),
        (
            "ANY {resource.type = 'devopsdeploypipeline', instance.compartment.id = 'x'}",
            {"devopsdeploypipeline"},
            False,
        ),
        ("ALL {resource.type != 'devopsdeploypipeline'}", {"devopsdeploypipeline"}, False),
    ],
)
def test_requires_value(rule: str, types: set[str], expected: bool) -> None:
    assert requires_value(parse_condition(rule), "resource.type", types) is expected


@pytest.mark.parametrize(
    ("statement", "result"),
    [
        (f"Allow any-user to read objects in compartment app {WORKLOAD}", True),
        ("Allow any-user to read objects in compartment app where request.principal.type = 'cluster'", True),
        ("Allow group Ops to read objects in compartment app", True),
        (
            "Allow any-user to read objects in compartment app where request.principal.type = 'workload'",
            False,
        ),
        (
            "Allow any-user to read objects in compartment app where all {request.principal.type = 'workload', "
            "any {request.principal.namespace = 'a', request.principal.service_account = 'b'}}",
            False,
        ),
    ],
)
def test_workload_identity_scoped(statement: str, result: bool) -> None:
    assert judge(workload_identity_scoped, statement).result is result


@pytest.mark.parametrize(
    ("statement", "result"),
    [
        ("Allow dynamic-group hosts to use stream-push in compartment app", True),
        (
            "Allow dynamic-group hosts to manage objects in compartment app where target.bucket.name = 'x'",
            True,
        ),
        ("Allow dynamic-group hosts to {OBJECT_CREATE} in compartment app", True),
        ("Allow group Ops to manage all-resources in compartment app", True),
        ("Allow dynamic-group hosts to manage objects in compartment app", False),
        ("Allow dynamic-group hosts to read object-family in compartment app", False),
        ("Allow dynamic-group hosts to use all-artifacts in compartment app", False),
        ("Allow dynamic-group hosts to use buckets in tenancy", False),
        # reading configuration is not judged; reading data is
        ("Allow dynamic-group hosts to read buckets in tenancy", True),
        ("Allow dynamic-group hosts to read instance-family in tenancy", True),
        ("Allow dynamic-group hosts to read objects in tenancy", False),
    ],
)
def test_dynamic_group_least_privilege(statement: str, result: bool) -> None:
    assert judge(dynamic_group_least_privilege, statement).result is result


def test_dynamic_group_allowed_grants_parameter() -> None:
    stmt = "Allow dynamic-group deploy-pipelines to manage cluster-family in compartment app"
    assert judge(dynamic_group_least_privilege, stmt).result is False
    assert judge(dynamic_group_least_privilege, stmt, allowed_grants=["manage cluster-family"]).result is True
