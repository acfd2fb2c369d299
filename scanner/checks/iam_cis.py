"""IAM recommendations of CIS OCI v3.0 that need more than one attribute: storage administrators
who cannot delete (1.15), one active API key per user (1.17), administration per service rather
than over all resources (1.1, a heuristic). Statements are parsed by ``scanner.checks.iam``.

Policies that call these checks: OCI-IAM-301, OCI-IAM-315, OCI-IAM-317.
"""

from __future__ import annotations

import re
from typing import Any

from scanner.checks.iam import (
    PolicyStatement,
    Undecided,
    admin_groups,
    statement_findings,
    subject_is_admin_group,
)
from scanner.engine.registry import Outcome, ResourceIndex, check
from scanner.model import Resource, Unknown, is_unknown, strip_instance_keys

Params = dict[str, Any]
_EXCLUDED = re.compile(r"request\.permission\s*!=\s*['\"]?(?P<perm>[A-Z_]+)", re.IGNORECASE)
ACTIVE_STATES = {"ACTIVE"}


def _state(item: Any) -> str:
    """An API key's lifecycle state (``lifecycle_state`` in the SDK, ``state`` once mapped)."""
    if not isinstance(item, dict):
        return ""
    return str(item.get("lifecycle_state") or item.get("state") or "").upper()


def _where_text(stmt: PolicyStatement) -> str:
    """The statement's ``where`` clause as written (the parser keeps a structure; the delete
    exclusions are read from the text, and whether they sit inside ``any {...}``)."""
    text = str(getattr(stmt, "text", "") or "")
    parts = re.split(r"\bwhere\b", text, maxsplit=1, flags=re.IGNORECASE)
    return parts[1].strip() if len(parts) == 2 else ""


@check("storage_admins_cannot_delete")
def storage_admins_cannot_delete(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-IAM-315: a statement granting ``manage`` on a storage resource type (the keys of
    ``delete_permissions``) to a group of people other than the administrator groups excludes every delete
    permission of that type in its where clause, and not inside ``any {...}``."""
    table = {
        str(k).lower(): [str(p).upper() for p in v]
        for k, v in (params.get("delete_permissions") or {}).items()
    }
    admins = admin_groups(params)

    def judge(stmt: PolicyStatement) -> str | bool:
        if stmt.action != "allow" or stmt.verb != "manage" or stmt.resource_type not in table:
            return True
        # Administrators people hold (groups): workloads (dynamic groups, services) that manage
        # objects delete them by design (retention, rotation), and the benchmark is about people.
        people = [s for s in stmt.subjects if s.kind in ("group", "any-group", "any-user")]
        if all(s.kind == "group" and subject_is_admin_group(s, admins) for s in people):
            return True
        condition = _where_text(stmt)
        excluded = {m.group("perm").upper() for m in _EXCLUDED.finditer(condition)}
        optional = re.match(r"^\s*any\s*\{", condition, re.IGNORECASE) is not None
        missing = [p for p in table[stmt.resource_type] if p not in excluded]
        if missing or optional:
            shown = ", ".join(missing[:3]) if missing else "the exclusions are inside any {...}"
            return f"manage {stmt.resource_type} without excluding {shown}"
        return True

    return statement_findings(resource, judge)


@check("no_group_manages_everything")
def no_group_manages_everything(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-IAM-301 (heuristic): no statement lets a group other than ``admin_groups`` manage
    ``all-resources``, in the tenancy or in a compartment."""
    admins = admin_groups(params)

    def judge(stmt: PolicyStatement) -> str | Undecided | bool:
        if stmt.action != "allow" or stmt.verb != "manage" or stmt.resource_type != "all-resources":
            return True
        by_ocid = False
        for subject in stmt.subjects:
            if subject.kind != "group":
                continue
            if subject.name is not None and not subject_is_admin_group(subject, admins):
                shown = f"{subject.domain}/{subject.name}" if subject.domain else subject.name
                return f"group {shown} manages all-resources"
            by_ocid = by_ocid or subject.name is None
        return Undecided("a group given by OCID") if by_ocid else True

    return statement_findings(resource, judge)


@check("user_active_api_keys_at_most")
def user_active_api_keys_at_most(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-IAM-317: the user has at most ``max_keys`` active API keys. Live, the user's collected
    keys in state ACTIVE; in code, the ``oci_identity_api_key`` resources of the same root whose
    ``user_id`` refers to this user (a key of unknown owner makes the count unknown)."""
    limit = int(params.get("max_keys", 1))
    if resource.provenance.source == "oci":
        keys = resource.attributes.get("api_keys")
        if is_unknown(keys):
            return Outcome(None, path="api_keys", detail=keys.reason)
        active = [k for k in keys or [] if _state(k) in ACTIVE_STATES]
        ok = len(active) <= limit
        return Outcome(ok, path="api_keys", detail=None if ok else f"{len(active)} active API keys")
    mine, unsure = 0, False
    for key in index.same_scope(resource, "oci_identity_api_key"):
        owner = key.attributes.get("user_id")
        if isinstance(owner, Unknown):
            if owner.ref is None:
                unsure = True  # var.user_ocid: may be this user
            elif strip_instance_keys(owner.ref) == strip_instance_keys(resource.address):
                mine += 1
    if mine > limit:
        return Outcome(False, path="name", detail=f"{mine} API keys declared for this user")
    if unsure:
        return Outcome(None, path="name", detail="an API key's user is not known statically")
    return Outcome(True, path="name")
