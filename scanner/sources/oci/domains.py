"""Identity domains: every domain's users, groups, credentials, dynamic groups and password
policies, read with the Identity Domains (SCIM) API and seen as the legacy IAM kinds.

Tenancies created since 2023 keep their users in identity domains, often more than one. The
legacy IAM API lists only the Default domain's users, so users of a secondary domain, with
their API keys, auth tokens, customer secret keys, groups and dynamic groups, would be
invisible. Collection: ``list_domains`` in every audited compartment (home region), then per
ACTIVE domain one SCIM listing per kind through ``IdentityDomainsClient`` at the domain's URL,
paged the SCIM way (``startIndex``/``count``, ``totalResults``).

``legacy_view`` turns a snapshot's domain objects into the shapes the legacy API gives
(``identity.User`` with its ``api_keys``/``auth_tokens``/``customer_secret_keys``/``group_ids``,
``identity.Group``, ``identity.DynamicGroup``), so one set of rules serves both; an object the
legacy API also listed (same OCID: the Default domain) counts once. Password policies keep
their own type and become ``oci_identity_domains_password_policy`` with the provider's names
(which equal the SDK's: ``min_length``, ``password_expires_after``, ``num_passwords_in_history``).
"""

from __future__ import annotations

from typing import Any

from scanner.sources.oci.snapshot import InventorySnapshot, SnapshotResource

DOMAIN_TYPE = "identity.Domain"
DOMAINS_CLIENT = "identity_domains.IdentityDomainsClient"
# SCIM query arguments per listing: a user's group memberships are returned only on request.
SCIM_QUERY: dict[str, dict[str, Any]] = {"identity_domains.User": {"attribute_sets": ["all"]}}
SCIM_PAGE = 1000  # the largest ``count`` the service accepts
MAX_PAGES = 10_000  # a service that never ends its listing must not hold the audit forever
# Never written to a snapshot (credential values the SCIM objects may carry).
DOMAIN_SECRETS = {"password", "token", "secret_key", "key"}
ACTIVE = {"ACTIVE"}


def collect_domains(collector: Any, spec: Any, region: str) -> None:
    """List the domains of every audited compartment (``spec``: the ``identity.Domain`` spec of
    ``specs.SPECS``, whose related lists are the SCIM listings), then read each ACTIVE domain.
    Tasks run on the collector's pool; failures are recorded by the collector's plumbing."""
    collector.attempted_types.add(spec.type)
    collector.attempted_types.update(rel.name for rel in spec.related)
    for compartment in sorted(collector.compartments | {collector.tenancy_id}):
        collector._spawn(_domains_of, collector, spec, region, compartment)


def _domains_of(collector: Any, spec: Any, region: str, compartment: str) -> None:
    import oci

    domains = collector._call(
        spec.type, spec.client, spec.list_call, region, compartment, compartment_id=compartment
    )
    if domains is None:
        # Without the domain list no domain object is known: every domain type is incomplete.
        with collector._lock:
            collector.failed_types.update(rel.name for rel in spec.related)
        return
    if compartment == collector.tenancy_id and not any(
        str(d.type or "").upper() == "DEFAULT" for d in domains
    ):
        # Every tenancy on identity domains has its Default domain in the root compartment. A
        # tenancy without one still signs in through the legacy IAM, whose password rules are the
        # authentication policy (identity.AuthenticationPolicy): the domains' password-policy type
        # does not count as collected, so rules on it say "unknown" (nothing was lost: no error).
        with collector._lock:
            collector.failed_types.add("identity_domains.PasswordPolicy")
    for domain in domains:
        if str(domain.lifecycle_state or "ACTIVE").upper() not in ACTIVE:
            continue
        _append(collector, spec.type, region, oci.util.to_dict(domain))
        for rel in spec.related:
            collector._spawn(_scim_list, collector, region, domain, rel.name, rel.call)


def _scim_list(collector: Any, region: str, domain: Any, type_: str, operation: str) -> None:
    """Every page of one SCIM listing of one domain (``startIndex`` is 1-based; the service may
    return fewer than ``count`` per page, so the next start follows what came)."""
    import oci

    start, found = 1, []
    for _ in range(MAX_PAGES):
        page = collector._call(
            type_,
            DOMAINS_CLIENT,
            operation,
            region,
            domain.compartment_id,
            domain.url,
            start_index=start,
            count=SCIM_PAGE,
            **SCIM_QUERY.get(type_, {}),
        )
        if page is None:
            return  # recorded: the type is incomplete, nothing half-listed is kept
        items = list(page.resources or [])
        found.extend(items)
        start += len(items)
        if not items or start > (page.total_results or 0):
            break
    for item in found:
        data = oci.util.to_dict(item)
        data.setdefault("domain_ocid", domain.id)
        _append(collector, type_, region, data)


def _clean(value: Any) -> Any:
    """``to_dict`` output without nulls (absent and null mean the same to the rules)."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _append(collector: Any, type_: str, region: str, data: dict[str, Any]) -> None:
    data = {k: v for k, v in _clean(data).items() if k not in DOMAIN_SECRETS}
    with collector._lock:
        collector.resources.append(SnapshotResource(type_, region, data, {}))


# --- the legacy view -------------------------------------------------------------------------

USER_CREDENTIAL_TYPES = {
    "identity_domains.ApiKey": "api_keys",
    "identity_domains.AuthToken": "auth_tokens",
    "identity_domains.CustomerSecretKey": "customer_secret_keys",
}
MFA = "urn_ietf_params_scim_schemas_oracle_idcs_extension_mfa_user"
CAPABILITIES = "urn_ietf_params_scim_schemas_oracle_idcs_extension_capabilities_user"
GROUP_EXTENSION = "urn_ietf_params_scim_schemas_oracle_idcs_extension_group_group"


def legacy_view(snapshot: InventorySnapshot) -> list[SnapshotResource]:
    """The snapshot's domain objects in the legacy IAM shapes (see the module), plus its
    password policies with the domain's URL (``idcs_endpoint``); nothing for old snapshots."""
    by_type: dict[str, list[SnapshotResource]] = {}
    for item in snapshot.resources:
        by_type.setdefault(item.type, []).append(item)
    if not any(t.startswith("identity_domains.") for t in by_type):
        return []
    collected = set(snapshot.collected)
    domains = {d.data.get("id"): d.data for d in by_type.get(DOMAIN_TYPE, [])}
    legacy_ids = {
        r.data.get("id")
        for t in ("identity.User", "identity.Group", "identity.DynamicGroup")
        for r in by_type.get(t, [])
    }
    out: list[SnapshotResource] = []
    credentials = _credentials(by_type)
    groups_known = "identity_domains.Group" in collected and "identity_domains.User" in collected
    for item in by_type.get("identity_domains.User", []):
        data = item.data
        if data.get("ocid") in legacy_ids or not data.get("ocid"):
            continue
        related: dict[str, list[Any]] = {}
        for type_, name in USER_CREDENTIAL_TYPES.items():
            if type_ in collected:
                related[name] = credentials.get((type_, data["ocid"]), [])
        if groups_known:
            related["group_ids"] = sorted(
                {g.get("ocid") for g in data.get("groups") or [] if isinstance(g, dict) and g.get("ocid")}
            )
        out.append(_like(item, "identity.User", _user(data, snapshot, domains), related))
    for item in by_type.get("identity_domains.Group", []):
        data = item.data
        if data.get("ocid") in legacy_ids or not data.get("ocid"):
            continue
        extension = data.get(GROUP_EXTENSION) or {}
        out.append(
            _like(
                item,
                "identity.Group",
                _common(data, snapshot, domains)
                | {"name": data.get("display_name"), "description": extension.get("description")},
            )
        )
    for item in by_type.get("identity_domains.DynamicResourceGroup", []):
        data = item.data
        if data.get("ocid") in legacy_ids or not data.get("ocid"):
            continue
        out.append(
            _like(
                item,
                "identity.DynamicGroup",
                _common(data, snapshot, domains)
                | {
                    "name": data.get("display_name"),
                    "description": data.get("description"),
                    "matching_rule": data.get("matching_rule"),
                },
            )
        )
    for item in by_type.get("identity_domains.PasswordPolicy", []):
        domain = domains.get(item.data.get("domain_ocid")) or {}
        # ``id`` is the OCID, as for every live object (the SCIM id stays in ``scim_id``).
        data = dict(item.data, id=item.data.get("ocid") or item.data.get("id"), scim_id=item.data.get("id"))
        data["idcs_endpoint"] = domain.get("url")
        data.setdefault("compartment_id", item.data.get("compartment_ocid") or domain.get("compartment_id"))
        out.append(_like(item, item.type, _no_none(data)))
    return out


def _like(item: SnapshotResource, type_: str, data: dict[str, Any], related: dict[str, Any] | None = None):
    return SnapshotResource(type_, item.region, _no_none(data), related or {}, item.line)


def _no_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def _common(data: dict[str, Any], snapshot: InventorySnapshot, domains: dict[Any, Any]) -> dict[str, Any]:
    """Fields every legacy IAM object has: OCID, compartment, state, creation time, domain."""
    domain = domains.get(data.get("domain_ocid")) or {}
    meta = data.get("meta") or {}
    return {
        "id": data.get("ocid"),
        "compartment_id": data.get("compartment_ocid") or domain.get("compartment_id") or snapshot.tenancy_id,
        "lifecycle_state": "INACTIVE" if data.get("delete_in_progress") else "ACTIVE",
        "time_created": meta.get("created"),
        "domain_ocid": data.get("domain_ocid"),
        "domain_name": domain.get("display_name"),
    }


def _user(data: dict[str, Any], snapshot: InventorySnapshot, domains: dict[Any, Any]) -> dict[str, Any]:
    emails = [e for e in data.get("emails") or [] if isinstance(e, dict)]
    primary = next((e for e in emails if e.get("primary")), emails[0] if emails else {})
    mfa = data.get(MFA) or {}
    capabilities = data.get(CAPABILITIES)
    out = _common(data, snapshot, domains) | {
        "name": data.get("user_name"),
        "description": data.get("description") or data.get("display_name"),
        "email": primary.get("value"),
        "is_mfa_activated": str(mfa.get("mfa_status", "")).upper() == "ENROLLED",
        "external_identifier": data.get("external_id"),
    }
    if data.get("active") is False:
        out["lifecycle_state"] = "INACTIVE"
    if isinstance(capabilities, dict):
        out["capabilities"] = {
            k: v for k, v in capabilities.items() if k.startswith("can_use_") and v is not None
        }
    return out


def _credentials(by_type: dict[str, list[SnapshotResource]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Each user's API keys, auth tokens and customer secret keys in the legacy list shapes."""
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for type_ in USER_CREDENTIAL_TYPES:
        for item in by_type.get(type_, []):
            data = item.data
            user = data.get("user") or {}
            owner = user.get("ocid")
            if not owner:
                continue
            meta = data.get("meta") or {}
            status = str(data.get("status") or "ACTIVE").upper()
            entry = {
                "id": data.get("ocid") or data.get("id"),
                "user_id": owner,
                "lifecycle_state": "ACTIVE" if status == "ACTIVE" else "INACTIVE",
                "time_created": meta.get("created"),
                "time_expires": data.get("expires_on"),
                "description": data.get("description"),
                "display_name": data.get("display_name"),
                "fingerprint": data.get("fingerprint"),
            }
            out.setdefault((type_, owner), []).append(_no_none(entry))
    return out
