"""Named checks on who may reach what: vault secrets, dynamic-group grants, workload identity.

Each judges the statements of one ``oci_identity_policy`` (Terraform, plan or live: a live policy
carries the same ``statements`` list) through the statement grammar, joining a ``dynamic-group``
subject to the ``oci_identity_dynamic_group`` of that name in the same scope to read its matching
rule (matching rules share the grammar of ``where`` conditions).

Policies that call these checks: OCI-IAM-401, OCI-IAM-402, OCI-IAM-403, OCI-IAM-405.
"""

from __future__ import annotations

from typing import Any

from scanner.checks.iam import principal_domain, subject_domain_matches
from scanner.checks.iam import statement_findings as _judge_statements
from scanner.engine.registry import Outcome, ResourceIndex, check
from scanner.model import Resource, is_unknown
from scanner.model.iam_policy import (
    RESOURCE_FAMILIES,
    Clause,
    Condition,
    ConditionGroup,
    Statement,
    Subject,
    has_opaque,
    parse_condition,
)

Params = dict[str, Any]
DYNAMIC_GROUP_KIND = "oci_identity_dynamic_group"

# What reaches secret material or key use: reading bundles (the content), using keys (encrypt,
# decrypt, sign), managing any of the vault's objects. Reading vaults, keys or secrets is
# metadata only (an auditor's read-only policy has it) and is not judged.
DEFAULT_JUDGED_GRANTS = [
    "read secret-bundles",
    "use keys",
    "use key-delegate",
    "manage secrets",
    "manage secret-versions",
    "manage vaults",
    "manage keys",
]
SECRET_TYPES = ("secret-family", "secrets", "secret-versions", "secret-bundles")
DEFAULT_PIPELINE_TYPES = ["devopsbuildpipeline", "devopsdeploypipeline", "devopsrepository"]
DEFAULT_KEY_USER_TYPES = ["autonomousdatabase", "dbsystem", "mysqldbsystem"]
DEFAULT_NARROWING = ["target.vault.id", "target.secret.name", "target.secret.id", "target.key.id"]
DEFAULT_WORKLOAD_CLAUSES = ["request.principal.namespace", "request.principal.service_account"]


def _matching_rule(subject: Subject, policy: Resource, index: ResourceIndex) -> Condition | None | bool:
    """The parsed matching rule of the dynamic group a subject names in the policy's scope; None
    when the group or its rule is not known, False when no such group is in the scope."""
    if subject.name is None:
        return None  # ``dynamic-group id ocid1...``: joined by OCID on live inventories
    named = [
        g
        for g in index.same_scope(policy, DYNAMIC_GROUP_KIND)
        if isinstance(g.attributes.get("name"), str)
        and g.attributes["name"].casefold() == subject.name.casefold()
    ]
    # The same name in another identity domain is another group; a group whose domain is not
    # known may be this one.
    groups = [g for g in named if subject_domain_matches(subject, principal_domain(g)) is not False]
    if not groups:
        return False
    if any(subject_domain_matches(subject, principal_domain(g)) is None for g in groups):
        return None
    rule = groups[0].attributes.get("matching_rule")
    text = rule.symbol if is_unknown(rule) else rule
    return parse_condition(text) if isinstance(text, str) else None


def _dynamic_group_by_ocid(subject: Subject, index: ResourceIndex) -> Condition | None:
    if subject.ocid is None:
        return None
    for group in index.referenced(subject.ocid):
        if group.kind == DYNAMIC_GROUP_KIND and isinstance(group.attributes.get("matching_rule"), str):
            return parse_condition(group.attributes["matching_rule"])
    return None


def requires_value(condition: Condition | None, variable: str, allowed: set[str]) -> bool:
    """True when every way to satisfy ``condition`` needs ``variable = v`` with ``v`` in
    ``allowed``: a clause; an ``all`` group with such an item; an ``any`` group whose every item
    is such. Used on matching rules: "this dynamic group holds only DevOps pipelines"."""
    var = variable.lower()
    if isinstance(condition, Clause):
        return (
            condition.variable.lower() == var
            and condition.op == "="
            and not condition.pattern
            and condition.value.lower() in allowed
        )
    if isinstance(condition, ConditionGroup):
        if condition.mode == "all" or len(condition.items) == 1:
            return any(requires_value(i, variable, allowed) for i in condition.items)
        return all(requires_value(i, variable, allowed) for i in condition.items)
    return False


def _lower_set(params: Params, name: str, default: list[str]) -> set[str]:
    return {str(v).lower() for v in params.get(name, default)}


def _is_workload_identity(stmt: Statement, required: list[str]) -> bool:
    """``any-user`` narrowed to OKE workloads of one namespace and service account."""
    return stmt.requires_equal("request.principal.type", "workload") and all(
        stmt.requires_equal(v) for v in required
    )


@check("vault_access_allow_listed")
def vault_access_allow_listed(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-IAM-401: every statement that reaches secret content, key use or vault management
    (``judged_grants``: ``read secret-bundles``, ``use keys``, ``manage vaults``...; through the
    verb, a family, ``all-resources`` or a permission list such as ``{SECRET_BUNDLE_READ}``) names
    only allowed subjects, and is scoped to a compartment or narrowed by a required
    ``target.vault.id`` / ``target.secret.name`` / ... clause.

    Allowed: dynamic groups whose matching rule requires a ``resource.type`` in
    ``pipeline_resource_types`` (DevOps build/deploy pipelines); OKE workload identity
    (``any-user`` with required ``request.principal.type = 'workload'``, namespace and service
    account); services (they encrypt with keys on the tenant's behalf) unless ``allow_services``
    is false; for ``keys``/``vaults`` with ``use`` or less, dynamic groups of
    ``key_user_resource_types`` (databases encrypting with a customer key); and the subjects in
    ``allowed_subjects`` (``"group SecurityAdmins"``, ``"dynamic-group batch-hosts"``).
    """
    judged = [str(g).lower().split() for g in params.get("judged_grants", DEFAULT_JUDGED_GRANTS)]
    pipelines = _lower_set(params, "pipeline_resource_types", DEFAULT_PIPELINE_TYPES)
    key_users = _lower_set(params, "key_user_resource_types", DEFAULT_KEY_USER_TYPES)
    narrowing = [str(v) for v in params.get("narrowing_variables", DEFAULT_NARROWING)]
    allowed = {" ".join(str(s).lower().split()) for s in params.get("allowed_subjects", [])}
    allow_services = bool(params.get("allow_services", True))
    workload_clauses = [str(v) for v in params.get("workload_clauses", DEFAULT_WORKLOAD_CLAUSES)]

    def judge(stmt: Statement) -> str | None | bool:
        reached = sorted(f"{verb} {rtype}" for verb, rtype in judged if stmt.reaches(rtype, verb))
        if not reached:
            return True
        secrets = any(g.split()[1] in SECRET_TYPES for g in reached)
        key_use_only = not secrets and not any(g.startswith("manage") for g in reached)
        unsure = False
        for subject in stmt.subjects:
            verdict = _subject_allowed(subject, stmt, key_use_only)
            if verdict is None:
                unsure = True
            elif verdict is not True:
                return f"{verdict} can {_grant_text(stmt)} ({', '.join(reached)}): {stmt.text!r}"
        # Services act for the tenant (Cloud Guard reads all-resources in the tenancy by design).
        services_only = all(s.kind == "service" for s in stmt.subjects)
        if services_only or not stmt.in_tenancy or stmt.narrowed_by(*narrowing):
            return None if unsure else True
        return (
            f"{_grant_text(stmt)} on {', '.join(reached)} in the whole tenancy, "
            "not narrowed to a vault or secret"
        )

    def _subject_allowed(subject: Subject, stmt: Statement, key_use_only: bool) -> bool | str | None:
        label = str(subject)
        if " ".join(label.lower().split()) in allowed:
            return True
        if subject.kind == "service":
            return True if allow_services else label
        if subject.is_anyone:
            return True if _is_workload_identity(stmt, workload_clauses) else label
        if subject.kind != "dynamic-group":
            return label
        rule = (
            _dynamic_group_by_ocid(subject, index)
            if subject.ocid
            else _matching_rule(subject, resource, index)
        )
        if rule is None:
            return None
        if rule is False:
            return f"{label} (not defined in this configuration)"
        assert not isinstance(rule, bool)
        if has_opaque(rule):
            return None
        if requires_value(rule, "resource.type", pipelines):
            return True
        if key_use_only and requires_value(rule, "resource.type", key_users):
            return True
        return f"{label} (matching rule selects neither DevOps pipelines nor OKE workloads)"

    return _judge_statements(resource, judge)


def _grant_text(stmt: Statement) -> str:
    if stmt.verb:
        return f"{stmt.verb} {stmt.resource_type}"
    return "{" + ", ".join(stmt.permissions) + "}"


DEFAULT_DATA_TYPES = ["objects", "secret-bundles", "log-content"]


def is_aggregate(resource_type: str) -> bool:
    """``all-resources``, a ``*-family`` or another aggregate type (``all-artifacts``)."""
    rtype = resource_type.lower()
    return rtype in RESOURCE_FAMILIES or rtype.endswith("-family") or rtype.startswith("all-")


@check("dynamic_group_least_privilege")
def dynamic_group_least_privilege(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-IAM-403: a statement for a dynamic group grants no ``manage``, no aggregate type
    (``all-resources``, ``*-family``) and nothing ``in tenancy`` -- unless a required ``target.*``
    clause pins it to named resources (``where target.bucket.name = 'audit'``) or the grant
    (``"<verb> <resource-type>"``) is listed in ``allowed_grants``. ``inspect`` and ``read`` are
    judged only when they reach ``data_types`` (object content, secret bundles, log content)."""
    allowed = {" ".join(str(g).lower().split()) for g in params.get("allowed_grants", [])}
    data_types = [str(t).lower() for t in params.get("data_types", DEFAULT_DATA_TYPES)]

    def judge(stmt: Statement) -> str | None | bool:
        dynamic = [s for s in stmt.subjects if s.kind == "dynamic-group"]
        if not dynamic or stmt.verb is None or stmt.resource_type is None:
            return True  # permission lists are already granular
        if f"{stmt.verb} {stmt.resource_type}" in allowed or stmt.narrowed_by("target."):
            return True
        # Reading is judged only where it reaches data (objects, secret content, logs): reading
        # configuration across the tenancy is what an auditor's dynamic group does.
        if not stmt.verb_at_least("use") and not any(stmt.reaches(t, "read") for t in data_types):
            return True
        why = []
        if stmt.verb == "manage":
            why.append("manage")
        if is_aggregate(stmt.resource_type):
            why.append(f"the aggregate type {stmt.resource_type}")
        if stmt.in_tenancy:
            why.append("the whole tenancy")
        if not why:
            return True
        who = ", ".join(str(s) for s in dynamic)
        return f"{who} gets {' and '.join(why)}: {stmt.text!r}"

    return _judge_statements(resource, judge)


@check("workload_identity_scoped")
def workload_identity_scoped(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-IAM-402: a statement for OKE workloads (``request.principal.type = 'workload'``)
    requires each of ``workload_clauses`` (namespace and service account by default) with ``=``:
    otherwise every pod of the cluster, or of the tenancy, gets the grant."""
    clauses = [str(v) for v in params.get("workload_clauses", DEFAULT_WORKLOAD_CLAUSES)]

    def judge(stmt: Statement) -> str | None | bool:
        if not any(s.is_anyone for s in stmt.subjects):
            return True
        if has_opaque(stmt.condition):
            return None
        if not stmt.requires_equal("request.principal.type", "workload"):
            return True
        missing = [c for c in clauses if not stmt.requires_equal(c)]
        if not missing:
            return True
        return f"the workload grant does not require {', '.join(missing)}: {stmt.text!r}"

    return _judge_statements(resource, judge)


INACTIVE_STATES = {"INACTIVE", "DELETING", "DELETED"}


@check("long_lived_credential_absent")
def long_lived_credential_absent(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-IAM-405: a declared (Terraform) or active (live) customer secret key is a finding: the
    S3-compatible access key of a user never expires. A live key in an inactive state passes."""
    state = resource.attributes.get("state", resource.attributes.get("lifecycle_state"))
    if isinstance(state, str) and state.upper() in INACTIVE_STATES:
        return Outcome(True, path="state", detail=f"the key is {state}")
    return Outcome(
        False,
        path="user_id",
        detail="an S3-compatible access key of a user: a long-lived credential outside any workload identity",
    )
