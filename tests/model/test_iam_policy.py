"""The IAM policy statement grammar, against the forms of Oracle's "Policy Syntax" reference
(subjects, verbs, permission lists, resource types and families, locations, conditions)."""

from __future__ import annotations

import pytest

from scanner.model.iam_policy import (
    Clause,
    ConditionGroup,
    Opaque,
    StatementSyntaxError,
    covers_type,
    parse_condition,
    parse_statement,
    parse_statement_strict,
    required_clauses,
)


def subjects(text: str) -> list[tuple[str, str | None, str | None, str | None]]:
    stmt = parse_statement(text)
    assert stmt is not None, text
    return [(s.kind, s.name, s.ocid, s.domain) for s in stmt.subjects]


# ---------------------------------------------------------------------------- subjects


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Allow group A-Admins to manage all-resources in compartment Project-A",
            [("group", "A-Admins", None, None)],
        ),
        (
            "Allow group A-Admins, B-Admins to manage all-resources in compartment Projects-A-and-B",
            [("group", "A-Admins", None, None), ("group", "B-Admins", None, None)],
        ),
        (
            "Allow group id ocid1.group.oc1..aaaa1, id ocid1.group.oc1..aaaa2 to manage all-resources in tenancy",
            [
                ("group", None, "ocid1.group.oc1..aaaa1", None),
                ("group", None, "ocid1.group.oc1..aaaa2", None),
            ],
        ),
        ("Allow any-group to inspect users in tenancy", [("any-group", None, None, None)]),
        ("Allow any-user to inspect users in tenancy", [("any-user", None, None, None)]),
        (
            "Allow group 'Default'/'Network Admins' to manage vcns in tenancy",
            [("group", "Network Admins", None, "Default")],
        ),
        (
            "Allow group OracleIdentityCloudService/Ops to read buckets in tenancy",
            [("group", "Ops", None, "OracleIdentityCloudService")],
        ),
        (
            "Allow dynamic-group Builders, dynamic-group id ocid1.dynamicgroup.oc1..x to read repos in tenancy",
            [
                ("dynamic-group", "Builders", None, None),
                ("dynamic-group", None, "ocid1.dynamicgroup.oc1..x", None),
            ],
        ),
        (
            "Allow service blockstorage, objectstorage-eu-frankfurt-1 to use keys in tenancy",
            [
                ("service", "blockstorage", None, None),
                ("service", "objectstorage-eu-frankfurt-1", None, None),
            ],
        ),
    ],
)
def test_subjects(text: str, expected: list) -> None:
    assert subjects(text) == expected


def test_interpolated_subject_is_not_known() -> None:
    stmt = parse_statement("Allow group ${var.admins} to manage all-resources in tenancy")
    assert stmt is not None and not stmt.subjects[0].known
    assert parse_statement("Allow group Ops to read buckets in tenancy").subjects[0].known


# ---------------------------------------------------------------------------- verbs, types, permissions


def test_verb_is_case_insensitive_and_ranked() -> None:
    stmt = parse_statement("Allow dynamic-group Workers to USE key-delegates in compartment App")
    assert stmt is not None and (stmt.verb, stmt.resource_type) == ("use", "key-delegates")
    assert stmt.verb_at_least("read") and not stmt.verb_at_least("manage")


def test_permission_list() -> None:
    stmt = parse_statement("Allow group IAMAdmins to {GROUP_UPDATE, user_update} in tenancy")
    assert stmt is not None and stmt.permissions == ("GROUP_UPDATE", "USER_UPDATE") and stmt.verb is None


@pytest.mark.parametrize(
    ("text", "rtype", "verb", "reaches"),
    [
        ("Allow group G to read secret-family in tenancy", "secret-bundles", "read", True),
        ("Allow group G to read secret-family in tenancy", "keys", "read", False),
        ("Allow group G to inspect secret-family in tenancy", "secret-bundles", "read", False),
        ("Allow group G to manage all-resources in tenancy", "vaults", "manage", True),
        ("Allow group G to read secret-bundles in tenancy", "secret-family", "read", True),
        ("Allow group G to {SECRET_BUNDLE_READ} in tenancy", "secret-family", "read", True),
        ("Allow group G to {SECRET_BUNDLE_READ} in tenancy", "secret-bundles", "read", True),
        ("Allow group G to {SECRET_INSPECT} in tenancy", "secrets", "read", False),
        ("Allow group G to {KEY_READ} in tenancy", "keys", "use", False),
        ("Allow group G to {KEY_ENCRYPT} in tenancy", "keys", "use", True),
        ("Allow group G to {VAULT_CREATE} in tenancy", "vaults", "manage", True),
        ("Allow group G to {OBJECT_READ} in tenancy", "object-family", "read", True),
        ("Allow group G to use stream-family in tenancy", "stream-push", "use", True),
    ],
)
def test_reaches_through_families_and_permissions(text: str, rtype: str, verb: str, reaches: bool) -> None:
    stmt = parse_statement(text)
    assert stmt is not None and stmt.reaches(rtype, verb) is reaches


def test_covers_type() -> None:
    assert covers_type("all-resources", "secrets")
    assert covers_type("object-family", "objects") and not covers_type("objects", "buckets")


# ---------------------------------------------------------------------------- locations


@pytest.mark.parametrize(
    ("text", "kind", "path", "ocid", "tenancy"),
    [
        ("Allow group G to read buckets in tenancy", "tenancy", (), None, True),
        (
            "Allow group G to read buckets in compartment Project-A",
            "compartment",
            ("Project-A",),
            None,
            False,
        ),
        (
            "Allow group G to manage instance-family in compartment Project-A:Project-A2",
            "compartment",
            ("Project-A", "Project-A2"),
            None,
            False,
        ),
        (
            "Allow group G to read buckets in compartment id ocid1.compartment.oc1..abc",
            "compartment",
            (),
            "ocid1.compartment.oc1..abc",
            False,
        ),
        (
            "Allow group G to read buckets in compartment id ocid1.tenancy.oc1..abc",
            "compartment",
            (),
            "ocid1.tenancy.oc1..abc",
            True,
        ),
        ("Endorse group G to manage objects in any-tenancy", "any-tenancy", (), None, True),
    ],
)
def test_locations(text: str, kind: str, path: tuple, ocid: str | None, tenancy: bool) -> None:
    stmt = parse_statement(text)
    assert stmt is not None
    assert (stmt.location.kind, stmt.location.path, stmt.location.ocid, stmt.in_tenancy) == (
        kind,
        path,
        ocid,
        tenancy,
    )


def test_endorse_names_the_tenancy_alias_and_define_admit_grant_nothing() -> None:
    stmt = parse_statement("Endorse group NetworkAdmins to manage virtual-network-family in tenancy Acceptor")
    assert stmt is not None and stmt.action == "endorse" and stmt.location.alias == "Acceptor"
    assert parse_statement("Define tenancy Acceptor as ocid1.tenancy.oc1..aaa") is None
    assert parse_statement("Admit group Ops of tenancy Requestor to manage objects in tenancy") is None


# ---------------------------------------------------------------------------- conditions


def test_workload_identity_condition() -> None:
    stmt = parse_statement(
        "Allow any-user to read secret-bundles in compartment app where all {"
        " request.principal.type = 'workload', request.principal.namespace = 'payments',"
        " request.principal.service_account = 'api', request.principal.cluster_id = 'ocid1.cluster.oc1..c'}"
    )
    assert stmt is not None and isinstance(stmt.condition, ConditionGroup)
    assert stmt.requires_equal("request.principal.type", "workload")
    assert stmt.requires_equal("request.principal.namespace")
    assert stmt.narrowed_by("request.principal.service_account")


def test_any_makes_clauses_optional() -> None:
    stmt = parse_statement(
        "Allow group IAMAdmins to use groups in tenancy where any {target.group.name != 'Administrators',"
        " request.permission = 'GROUP_INSPECT'}"
    )
    assert stmt is not None and list(required_clauses(stmt.condition)) == []
    nested = parse_statement(
        "Allow group G to use groups in tenancy where all {target.group.name != 'Administrators',"
        " any {request.permission = 'USER_UPDATE', request.permission = 'GROUP_UPDATE'}}"
    )
    assert nested is not None
    assert [c.variable for c in required_clauses(nested.condition)] == ["target.group.name"]


def test_clause_forms() -> None:
    cond = parse_condition("target.bucket.name=/prod-*/")
    assert cond == Clause("target.bucket.name", "=", "prod-*", pattern=True)
    cond = parse_condition("request.utc-timestamp before '2026-01-01T00:00Z'")
    assert cond == Clause("request.utc-timestamp", "before", "2026-01-01T00:00Z")
    cond = parse_condition("request.permission != 'OBJECT_DELETE'")
    assert isinstance(cond, Clause) and cond.op == "!="


def test_unreadable_condition_is_opaque_not_dropped() -> None:
    stmt = parse_statement("Allow group G to read buckets in tenancy where all {target.bucket.name = }")
    assert stmt is not None and isinstance(stmt.condition, Opaque)


def test_placeholders_stay_in_their_part() -> None:
    stmt = parse_statement(
        "allow dynamic-group ${local.dg} to use keys in compartment id ${var.c} where target.key.id = '${var.k}'"
    )
    assert stmt is not None
    assert not stmt.subjects[0].known and not stmt.location.known
    assert stmt.location.kind == "compartment"
    assert stmt.required("target.key.id")[0].known is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("garbage", "starts with Allow"),
        ("Allow group G", "no 'to'"),
        ("Allow group G to read buckets", "expected 'in <location>'"),
        ("Allow group G to frobnicate buckets in tenancy", "expected a verb"),
        ("Allow to read buckets in tenancy", "no subject"),
    ],
)
def test_syntax_errors_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(StatementSyntaxError, match=message):
        parse_statement_strict(text)
    assert parse_statement(text) is None
