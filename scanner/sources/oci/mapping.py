"""Live objects onto the shared ``Resource`` model, with the Terraform provider's attribute names.

The SDK's ``to_dict`` already uses snake_case names that mostly equal the provider's
(``kms_key_id``, ``versioning``, ``node_config_details.placement_configs``); this module renames
the few that differ (``public_access_type`` -> ``access_type``, ``lifecycle_state`` -> ``state``
where the provider says ``state``), splits objects the provider models as separate resources
(load balancer listeners and rule sets, a user's API keys, auth tokens, customer secret keys and
group memberships), and attaches the version lists the rotation-age rules read.

Completeness: an attribute that joins to another type (an API key's ``user_id`` -> memberships,
groups, policies; a load balancer's ``subnet_ids``) becomes ``Unknown`` when a type it needs is
missing from the snapshot's ``collected`` list, so a partial collection never passes or fails a
rule silently; a related list that was not collected (``secret_versions``) is ``Unknown`` too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scanner.model import Location, Provenance, Resource, Unknown
from scanner.model.timestamps import format_time
from scanner.sources.oci.domains import legacy_view
from scanner.sources.oci.snapshot import InventorySnapshot, SnapshotResource

TENANCY_KIND = "oci_identity_tenancy"
# Objects that no longer exist: rules about them are noise.
GONE_STATES = {"DELETED", "TERMINATED", "DELETING", "TERMINATING"}


@dataclass(frozen=True)
class TypeMapping:
    """How one SDK model type becomes a ``Resource``: the provider resource type, attribute
    renames (SDK name -> provider name), and joins (provider attribute -> SDK types it needs)."""

    kind: str
    renames: dict[str, str] = field(default_factory=dict)
    needs: dict[str, tuple[str, ...]] = field(default_factory=dict)


STATE = {"lifecycle_state": "state"}
IAM_JOIN = ("identity.User", "identity.Group", "identity.Policy")

TYPES: dict[str, TypeMapping] = {
    "identity.Compartment": TypeMapping("oci_identity_compartment", STATE),
    "object_storage.Bucket": TypeMapping("oci_objectstorage_bucket", {"public_access_type": "access_type"}),
    "core.Volume": TypeMapping("oci_core_volume", STATE),
    "core.BootVolume": TypeMapping("oci_core_boot_volume", STATE),
    "file_storage.FileSystem": TypeMapping("oci_file_storage_file_system", STATE),
    "database.AutonomousDatabase": TypeMapping("oci_database_autonomous_database", STATE),
    "database.DbSystem": TypeMapping("oci_database_db_system", STATE),
    "mysql.DbSystem": TypeMapping("oci_mysql_mysql_db_system", STATE),
    "streaming.StreamPool": TypeMapping("oci_streaming_stream_pool", STATE),
    "streaming.Stream": TypeMapping("oci_streaming_stream", STATE),
    "container_engine.Cluster": TypeMapping("oci_containerengine_cluster", STATE),
    "container_engine.NodePool": TypeMapping("oci_containerengine_node_pool", STATE),
    "core.Instance": TypeMapping("oci_core_instance", STATE),
    "core.InstancePool": TypeMapping("oci_core_instance_pool", STATE),
    "core.Subnet": TypeMapping("oci_core_subnet", STATE),
    "load_balancer.LoadBalancer": TypeMapping(
        "oci_load_balancer_load_balancer", STATE, {"subnet_ids": ("core.Subnet",)}
    ),
    "key_management.Vault": TypeMapping("oci_kms_vault", STATE),
    "key_management.Key": TypeMapping("oci_kms_key", STATE),
    "vault.Secret": TypeMapping("oci_vault_secret", STATE),
    "identity.User": TypeMapping(
        "oci_identity_user", STATE, {"group_ids": ("identity.Group", "identity.Policy")}
    ),
    "identity.Group": TypeMapping("oci_identity_group", STATE),
    "identity.DynamicGroup": TypeMapping("oci_identity_dynamic_group", STATE, {"name": ("identity.Policy",)}),
    "identity.Policy": TypeMapping("oci_identity_policy", STATE),
    "devops.DeployPipeline": TypeMapping("oci_devops_deploy_pipeline", STATE),
    "devops.DeployStage": TypeMapping(
        "oci_devops_deploy_stage",
        STATE,
        {"deploy_stage_predecessor_collection": ("devops.DeployStage", "devops.DeployPipeline")},
    ),
    "cloud_guard.Configuration": TypeMapping("oci_cloud_guard_cloud_guard_configuration"),
    # Identity domains (scanner.sources.oci.domains): users, groups, credentials and dynamic
    # groups arrive through legacy_view as the identity.* types above.
    "identity.Domain": TypeMapping("oci_identity_domain", STATE),
    "identity_domains.PasswordPolicy": TypeMapping("oci_identity_domains_password_policy"),
}
# The provider's attributes of a password policy that rules read: unknown when no password
# policy could be collected, so that the CIS 1.4-1.6 rules say "unknown" instead of nothing.
PASSWORD_POLICY_ATTRIBUTES = (
    "min_length",
    "password_expires_after",
    "num_passwords_in_history",
    "max_incorrect_attempts",
    "lockout_duration",
    "min_lower_case",
    "min_upper_case",
    "min_numerals",
    "min_special_chars",
    "password_strength",
    "priority",
)

# Sub-objects of a user, as the provider's separate resources.
USER_CREDENTIALS = {
    "api_keys": "oci_identity_api_key",
    "auth_tokens": "oci_identity_auth_token",
    "customer_secret_keys": "oci_identity_customer_secret_key",
}


def scope_of(snapshot: InventorySnapshot) -> str:
    """The scope every resource of one snapshot shares (cross-resource joins stay inside it)."""
    return f"oci:{snapshot.tenancy_id}@{format_time(snapshot.collected_at)}"


def snapshot_resources(snapshot: InventorySnapshot, location_file: str | None = None) -> list[Resource]:
    """Every ``Resource`` of a snapshot (``location_file``: the snapshot's path relative to the
    report root, so findings point at the resource's line), plus one ``oci_identity_tenancy``."""
    collected = set(snapshot.collected)
    base_context = {
        "scope": scope_of(snapshot),
        "reference_time": format_time(snapshot.collected_at),
        "tenancy_id": snapshot.tenancy_id,
        "missing_types": sorted(set(TYPES) - collected),
    }
    tenancy_location = (
        Location(location_file, snapshot.tenancy_line, snapshot.tenancy_line)
        if location_file and snapshot.tenancy_line
        else None
    )
    out: list[Resource] = [_tenancy(snapshot, base_context, tenancy_location)]
    seen: set[str] = set()
    # Identity-domain objects are seen through their legacy shapes (domains.legacy_view).
    items = [r for r in snapshot.resources if not r.type.startswith("identity_domains.")]
    for item in items + legacy_view(snapshot):
        mapping = TYPES.get(item.type)
        if mapping is None or str(item.data.get("lifecycle_state", "")).upper() in GONE_STATES:
            continue
        for res in _map(item, mapping, snapshot, collected, base_context, location_file):
            if res.address in seen:  # the same object seen twice (e.g. by two listings) counts once
                continue
            seen.add(res.address)
            out.append(res)
    if "identity_domains.PasswordPolicy" not in collected:
        out.append(_unknown_password_policy(snapshot, base_context, tenancy_location))
    if "cloud_guard.Configuration" not in collected:
        # Not collected: the one configuration the root compartment has is unknown, so the
        # Cloud Guard rule says "unknown" instead of finding nothing.
        out.append(
            Resource(
                "oci_cloud_guard_cloud_guard_configuration",
                f"{snapshot.tenancy_id}/cloud-guard-configuration",
                {
                    "compartment_id": snapshot.tenancy_id,
                    "status": Unknown("cloud_guard.Configuration not collected"),
                },
                Provenance(
                    "oci",
                    location=tenancy_location,
                    region=snapshot.home_region,
                    compartment_id=snapshot.tenancy_id,
                ),
                dict(base_context, region=snapshot.home_region),
            )
        )
    return out


def _unknown_password_policy(
    snapshot: InventorySnapshot, context: dict[str, Any], location: Location | None
) -> Resource:
    """The identity domains' password policies, not collected: every attribute unknown."""
    reason = "identity_domains.PasswordPolicy not collected"
    attrs: dict[str, Any] = {name: Unknown(reason) for name in PASSWORD_POLICY_ATTRIBUTES}
    attrs["compartment_id"] = snapshot.tenancy_id
    return Resource(
        "oci_identity_domains_password_policy",
        f"{snapshot.tenancy_id}/password-policies",
        attrs,
        Provenance("oci", location=location, region=snapshot.home_region, compartment_id=snapshot.tenancy_id),
        dict(context, region=snapshot.home_region),
    )


def _tenancy(snapshot: InventorySnapshot, context: dict[str, Any], location: Location | None) -> Resource:
    return Resource(
        TENANCY_KIND,
        snapshot.tenancy_id,
        {"id": snapshot.tenancy_id, "home_region": snapshot.home_region, "regions": sorted(snapshot.regions)},
        Provenance(
            "oci",
            location=location,
            ocid=snapshot.tenancy_id,
            region=snapshot.home_region,
            compartment_id=snapshot.tenancy_id,
        ),
        dict(context, region=snapshot.home_region),
    )


def _normalize(value: Any) -> Any:
    """Oracle-managed encryption shows as a marker string on some services: the same as unset."""
    if isinstance(value, str) and value.upper().startswith("ORACLE_MANAGED"):
        return None
    return value


# Attributes that are maps (free keys) in the provider, not nested blocks.
MAP_ATTRIBUTES = {
    "freeform_tags",
    "defined_tags",
    "system_tags",
    "metadata",
    "extended_metadata",
    "listeners",
    "rule_sets",
    "backend_sets",
    "certificates",
    "hostnames",
    "path_route_sets",
    "routing_policies",
    "ssl_cipher_suites",
    "additional_details",
}


def blocks(value: Any, name: str = "") -> Any:
    """Nested SDK objects as the provider's nested blocks: a list of one object (as in plan
    JSON), recursively; maps (tags, metadata, listeners by name) stay maps."""
    if isinstance(value, dict):
        if name in MAP_ATTRIBUTES:
            return value
        return [{k: blocks(v, k) for k, v in value.items()}]
    if isinstance(value, list):
        return [
            {k: blocks(v, k) for k, v in item.items()} if isinstance(item, dict) else item for item in value
        ]
    return value


def _attributes(data: dict[str, Any], mapping: TypeMapping) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    for key, value in data.items():
        attrs[mapping.renames.get(key, key)] = blocks(value, key)
    for key in ("kms_key_id", "vault_id"):
        if key in attrs:
            attrs[key] = _normalize(attrs[key])
    return attrs


def _map(
    item: SnapshotResource,
    mapping: TypeMapping,
    snapshot: InventorySnapshot,
    collected: set[str],
    base_context: dict[str, Any],
    location_file: str | None,
) -> list[Resource]:
    data = item.data
    region = item.region or snapshot.home_region
    compartment = data.get("compartment_id") if isinstance(data.get("compartment_id"), str) else None
    location = Location(location_file, item.line, item.line) if location_file and item.line else None
    context = dict(base_context, region=region, sdk_type=item.type)
    ads = snapshot.regions.get(region, {}).get("availability_domains")
    if ads:
        context["region_ad_count"] = len(ads)

    def make(kind: str, address: str, attrs: dict[str, Any], ocid: str | None) -> Resource:
        return Resource(
            kind,
            address,
            attrs,
            Provenance("oci", location=location, ocid=ocid, region=region, compartment_id=compartment),
            context,
        )

    attrs = _attributes(data, mapping)
    for attr, needs in mapping.needs.items():
        missing = [t for t in needs if t not in collected]
        if missing and attr in attrs:
            attrs[attr] = Unknown(f"{', '.join(missing)} not collected", nonnull=True)
    address = item.ocid or _display_address(item, snapshot)
    if item.type == "key_management.Key":
        attrs["key_versions"] = _related(item, "key_versions")
        if isinstance(attrs["key_versions"], list):
            current = data.get("current_key_version")
            attrs["key_versions"] = [
                dict(v, is_current=v.get("id") == current) for v in attrs["key_versions"]
            ]
    elif item.type == "vault.Secret":
        attrs["secret_versions"] = _related(item, "secret_versions")
    elif item.type == "cloud_guard.Configuration":
        attrs.setdefault("compartment_id", snapshot.tenancy_id)
        compartment = snapshot.tenancy_id
    out = [make(mapping.kind, address, attrs, item.ocid)]
    if item.type == "load_balancer.LoadBalancer":
        out += _load_balancer_parts(item, make)
    elif item.type == "identity.User":
        out += _user_parts(item, attrs, collected, make)
    return out


def _display_address(item: SnapshotResource, snapshot: InventorySnapshot) -> str:
    if item.type == "cloud_guard.Configuration":
        return f"{snapshot.tenancy_id}/cloud-guard-configuration"
    name = item.data.get("name") or item.data.get("display_name") or "?"
    return f"{item.type}/{item.region}/{name}"


def _related(item: SnapshotResource, name: str) -> Any:
    value = item.related.get(name)
    if value is None:
        return Unknown(f"{name} of {item.ocid or item.type} not collected")
    return value


def _load_balancer_parts(item: SnapshotResource, make: Any) -> list[Resource]:
    """Listeners and rule sets: separate resources in the provider, dicts by name in the SDK."""
    lb_id = item.ocid
    out: list[Resource] = []
    for name, rule_set in sorted((item.data.get("rule_sets") or {}).items()):
        attrs = {k: blocks(v, k) for k, v in dict(rule_set or {}, name=name, load_balancer_id=lb_id).items()}
        out.append(make("oci_load_balancer_rule_set", f"{lb_id}/ruleSets/{name}", attrs, None))
    for name, listener in sorted((item.data.get("listeners") or {}).items()):
        attrs = {k: blocks(v, k) for k, v in dict(listener or {}, name=name, load_balancer_id=lb_id).items()}
        # The SDK omits an absent ssl_configuration as null; the provider has no block.
        if attrs.get("ssl_configuration") is None:
            attrs.pop("ssl_configuration", None)
        out.append(make("oci_load_balancer_listener", f"{lb_id}/listeners/{name}", attrs, None))
    return out


def _user_parts(
    item: SnapshotResource, user_attrs: dict[str, Any], collected: set[str], make: Any
) -> list[Resource]:
    """API keys, auth tokens, customer secret keys and group memberships of a user."""
    user_id = item.ocid
    out: list[Resource] = []
    group_ids = item.related.get("group_ids")
    user_attrs["group_ids"] = (
        group_ids if isinstance(group_ids, list) else Unknown(f"group memberships of {user_id} not collected")
    )
    iam_missing = [t for t in IAM_JOIN if t not in collected]
    if isinstance(group_ids, list) and iam_missing:
        user_attrs["group_ids"] = Unknown(f"{', '.join(iam_missing)} not collected", nonnull=True)
    if isinstance(group_ids, list):
        for gid in group_ids:
            out.append(
                make(
                    "oci_identity_user_group_membership",
                    f"{user_id}/memberships/{gid}",
                    {"user_id": user_id, "group_id": gid},
                    None,
                )
            )
    for related, kind in USER_CREDENTIALS.items():
        creds = item.related.get(related)
        user_attrs[related] = (
            creds if isinstance(creds, list) else Unknown(f"{related} of {user_id} not collected")
        )
        for cred in creds or []:
            attrs = {("state" if k == "lifecycle_state" else k): v for k, v in cred.items()}
            attrs.setdefault("user_id", user_id)
            if kind == "oci_identity_api_key" and iam_missing:
                attrs["user_id"] = Unknown(f"{', '.join(iam_missing)} not collected", nonnull=True)
            cred_id = cred.get("id") or cred.get("fingerprint") or cred.get("key_id")
            if str(attrs.get("state", "")).upper() in GONE_STATES:
                continue
            out.append(make(kind, f"{user_id}/{related}/{cred_id}", attrs, cred.get("id")))
    return out
