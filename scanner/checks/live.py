"""Named checks that need facts only a live inventory has (OCI-ROT-202, OCI-IAM-201/202).

Live resources carry ``context["reference_time"]`` (the snapshot's ``collected_at``) and
``context["missing_types"]`` (SDK types whose listing did not complete). A check whose answer
depends on a missing type is unknown, never passed or failed.

Policies that call these checks: OCI-IAM-201, OCI-IAM-202, OCI-ROT-202.

Policies that call these checks: OCI-IAM-201, OCI-IAM-202, OCI-ROT-202.
"""

from __future__ import annotations

from typing import Any

from scanner.checks.iam import (
    AdminGroups,
    GroupIdentity,
    _dynamic_group_subject_matches,
    admin_groups,
    grant_index,
    grants_tenancy_admin,
    group_identity,
    is_admin_group,
    principal_domain,
    subject_matches_group,
)
from scanner.engine.conditions import duration_days
from scanner.engine.registry import Outcome, ResourceIndex, check
from scanner.model import Resource, is_unknown
from scanner.model.timestamps import age_days

Params = dict[str, Any]
ACTIVE_EXCLUDED = {"INACTIVE", "DELETING", "DELETED"}


def _missing(resource: Resource, *types: str) -> list[str]:
    gone = set(resource.context.get("missing_types") or ())
    return [t for t in types if t in gone]


@check("secret_rotation_on_schedule")
def secret_rotation_on_schedule(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-ROT-202: a secret with scheduled rotation really rotates.

    False when the rotation status or lifecycle state is a failure (``failed_states``), when
    rotation is enabled but the service reports it not enabled, when ``next_rotation_time`` lies
    more than ``grace_days`` before the snapshot, or when the last rotation (the creation time if
    it never rotated) is older than the interval plus ``grace_days``.
    """
    reference = resource.context.get("reference_time")
    if reference is None:
        return Outcome(None, path="last_rotation_time", detail="rotation history is known only live")
    attrs = resource.attributes
    failed = {str(s).upper() for s in params.get("failed_states", ["FAILED"])}
    grace = float(params.get("grace_days", 1))
    for key in ("rotation_status", "state"):
        value = attrs.get(key)
        if isinstance(value, str) and value.upper() in failed:
            return Outcome(False, path=key, detail=f"{key} is {value}")
    status = attrs.get("rotation_status")
    if isinstance(status, str) and status.upper() == "NOT_ENABLED":
        return Outcome(
            False, path="rotation_status", detail="rotation is configured but the service has not enabled it"
        )
    next_time = attrs.get("next_rotation_time")
    overdue = age_days(next_time, reference)
    if overdue is not None and overdue > grace:
        return Outcome(
            False, path="next_rotation_time", detail=f"the rotation due {next_time} has not happened"
        )
    config = attrs.get("rotation_config")
    config = config[0] if isinstance(config, list) and config else config
    interval = duration_days(config.get("rotation_interval") if isinstance(config, dict) else None)
    last_key = "last_rotation_time" if attrs.get("last_rotation_time") else "time_created"
    last = attrs.get(last_key)
    age = age_days(last, reference)
    if interval is None or age is None or is_unknown(last):
        return Outcome(None, path=last_key, detail="rotation interval or last rotation time not known")
    if age > interval + grace:
        return Outcome(
            False,
            path=last_key,
            detail=f"last rotation {int(age)} day(s) before the snapshot, interval {int(interval)} day(s)",
        )
    return Outcome(True, path=last_key)


def _admin_names(params: Params) -> AdminGroups:
    return admin_groups(params)


def _groups_of(user: Resource, index: ResourceIndex) -> list[GroupIdentity] | None:
    ids = user.attributes.get("group_ids")
    if not isinstance(ids, list):
        return None
    groups: list[GroupIdentity] = []
    for gid in ids:
        found = [g for g in index.referenced(gid) if g.kind == "oci_identity_group"]
        groups.append(group_identity(found[0], gid) if found else GroupIdentity(None, gid, gid, None))
    return groups


@check("admin_user_has_no_api_key")
def admin_user_has_no_api_key(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-IAM-202: a user with an active API key is not a tenancy administrator — neither a
    member of ``admin_groups`` nor of a group granted ``manage all-resources in tenancy``."""
    keys = resource.attributes.get("api_keys")
    if is_unknown(keys):
        return Outcome(None, path="api_keys", detail=keys.reason)
    active = [k for k in keys or [] if str(k.get("lifecycle_state", "ACTIVE")).upper() not in ACTIVE_EXCLUDED]
    if not active:
        return Outcome(True, path="api_keys", detail="no active API key")
    groups = _groups_of(resource, index)
    if groups is None:
        reason = resource.attributes.get("group_ids")
        return Outcome(None, path="group_ids", detail=getattr(reason, "reason", "group memberships unknown"))
    admins = _admin_names(params)
    for group in groups:
        if is_admin_group(group.name, group.domain, admins):
            return Outcome(
                False, path="api_keys", detail=f"{len(active)} active API key(s); member of {group.label}"
            )
    admins = grant_index(resource, index).select("tenancy-admin", grants_tenancy_admin)
    for entry in admins.candidates_of("group", [(g.name, g.ocid) for g in groups]):
        stmt = entry.statement
        assert stmt is not None
        for subject in stmt.subjects:
            for group in groups:
                if subject_matches_group(subject, group, stmt):
                    return Outcome(
                        False,
                        path="api_keys",
                        detail=f"member of {group.label}, granted by {entry.policy.address}: {stmt.text!r}",
                    )
    return Outcome(True, path="api_keys")


@check("tenancy_uses_instance_principals")
def tenancy_uses_instance_principals(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-IAM-201: some dynamic group with a workload matching rule (instances, functions, OKE
    workloads...) is granted access by a policy, i.e. workloads authenticate as themselves
    rather than with user API keys."""
    missing = _missing(resource, "identity.DynamicGroup", "identity.Policy")
    if missing:
        return Outcome(None, path="id", detail=f"{', '.join(missing)} not collected")
    groups = index.same_scope(resource, "oci_identity_dynamic_group")
    allows = grant_index(resource, index).select("allow", lambda s: s.action == "allow")
    for group in groups:
        rule = group.attributes.get("matching_rule")
        if not isinstance(rule, str) or not rule.strip():
            continue
        name = group.attributes.get("name")
        ocid = group.attributes.get("id")
        domain = principal_domain(group)
        candidates = allows.candidates(
            "dynamic-group", name if isinstance(name, str) else None, ocid if isinstance(ocid, str) else None
        )
        for entry in candidates:
            assert entry.statement is not None
            if any(_dynamic_group_subject_matches(s, name, domain, ocid) for s in entry.statement.subjects):
                return Outcome(
                    True,
                    path="id",
                    detail=f"{group.attributes.get('name')} is granted by {entry.policy.address}",
                )
    if resource.provenance.source != "oci":
        # A Terraform root may grant its dynamic groups in another root: unknown unless it is the
        # tenancy's baseline (tenancy_root).
        from scanner.checks.tenancy import absent

        return absent(resource, index, ["oci_identity_policy"], "policy granting a dynamic group")
    return Outcome(
        False,
        path="id",
        detail=f"{len(groups)} dynamic group(s), none granted access by a policy",
    )
