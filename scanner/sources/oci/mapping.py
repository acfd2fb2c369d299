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

import re
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
    "network_load_balancer.NetworkLoadBalancer": TypeMapping(
        "oci_network_load_balancer_network_load_balancer", STATE, {"subnet_id": ("core.Subnet",)}
    ),
    "file_storage.Export": TypeMapping("oci_file_storage_export", STATE),
    "database.Database": TypeMapping("oci_database_database", STATE),
    "core.BootVolumeAttachment": TypeMapping("oci_core_boot_volume_attachment", STATE),
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
    # CIS OCI v3.0: networks, notifications, logs, tag defaults, password policies, PaaS endpoints.
    "core.Vcn": TypeMapping("oci_core_vcn", STATE),
    "core.SecurityList": TypeMapping("oci_core_security_list", STATE),
    "core.NetworkSecurityGroup": TypeMapping("oci_core_network_security_group", STATE),
    "events.Rule": TypeMapping("oci_events_rule", STATE),
    "ons.NotificationTopic": TypeMapping("oci_ons_notification_topic", STATE),
    "ons.Subscription": TypeMapping("oci_ons_subscription", STATE),
    "logging.LogGroup": TypeMapping("oci_logging_log_group", STATE),
    "logging.Log": TypeMapping("oci_logging_log", STATE),
    "waf.WebAppFirewall": TypeMapping("oci_waf_web_app_firewall", STATE),
    "identity.TagDefault": TypeMapping("oci_identity_tag_default", STATE),
    "identity.AuthenticationPolicy": TypeMapping("oci_identity_authentication_policy"),
    "identity_domains.PasswordPolicy": TypeMapping("oci_identity_domains_password_policy"),
    "integration.IntegrationInstance": TypeMapping("oci_integration_integration_instance", STATE),
    "analytics.AnalyticsInstance": TypeMapping("oci_analytics_analytics_instance", STATE),
    # Identity domains (scanner.sources.oci.domains): users, groups, credentials and dynamic
    # groups arrive through legacy_view as the identity.* types above.
    "identity.Domain": TypeMapping("oci_identity_domain", STATE),
    # The platform's logs (issue 18).
    "audit.Configuration": TypeMapping("oci_audit_configuration"),
    "log_analytics.Namespace": TypeMapping(
        "oci_log_analytics_namespace", {"namespace_name": "namespace", "lifecycle_state": "state"}
    ),
    "sch.ServiceConnector": TypeMapping("oci_sch_service_connector", STATE),
}

# A VCN's default security list is its own resource type in the provider.
DEFAULT_SECURITY_LIST = "oci_core_default_security_list"
# Kinds made from one SDK type beside its own (not collected with it: unknown with it).
PART_KINDS = {
    "load_balancer.LoadBalancer": ("oci_load_balancer_listener", "oci_load_balancer_rule_set"),
    "identity.User": (
        "oci_identity_api_key",
        "oci_identity_auth_token",
        "oci_identity_customer_secret_key",
        "oci_identity_db_credential",
        "oci_identity_user_group_membership",
    ),
    "database.Database": ("oci_database_data_guard_association",),
    "core.NetworkSecurityGroup": ("oci_core_network_security_group_security_rule",),
    "core.SecurityList": (DEFAULT_SECURITY_LIST,),
    "logging.LogGroup": ("oci_logging_log",),
}
# The kind of the Database fields the provider nests in its ``database`` block.
DATABASE_BLOCK = ("kms_key_id", "vault_id", "key_store_id", "encryption_key_location_details", "db_name")

# Sub-objects of a user, as the provider's separate resources.
USER_CREDENTIALS = {
    "api_keys": "oci_identity_api_key",
    "auth_tokens": "oci_identity_auth_token",
    "customer_secret_keys": "oci_identity_customer_secret_key",
    "db_credentials": "oci_identity_db_credential",
}


def live_kinds(types: set[str] | None = None) -> set[str]:
    """Every resource kind a snapshot of ``types`` (default: every type mapped) can give:
    ``ocisec rules --benchmark`` says which recommendations a live audit can judge."""
    chosen = set(TYPES) if types is None else set(types) & set(TYPES)
    kinds = {TYPES[t].kind for t in chosen} | {TENANCY_KIND}
    return kinds | {k for t, parts in PART_KINDS.items() if t in chosen for k in parts}


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
        # The same by resource kind, for checks that look for "some object of this kind".
        "missing_kinds": sorted(
            {TYPES[t].kind for t in set(TYPES) - collected}
            | {k for t, kinds in PART_KINDS.items() if t not in collected for k in kinds}
        ),
    }
    tenancy_location = (
        Location(location_file, snapshot.tenancy_line, snapshot.tenancy_line)
        if location_file and snapshot.tenancy_line
        else None
    )
    out: list[Resource] = [_tenancy(snapshot, base_context, tenancy_location)]
    paths = compartment_paths(snapshot)
    attachments = _boot_attachments(snapshot) if "core.BootVolumeAttachment" in collected else None
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
            _name(res, item, paths, snapshot)
            if item.type == "core.Instance":
                _boot_volume_of(res, attachments)
            out.append(res)
    out += _not_collected(snapshot, collected, base_context, tenancy_location)
    _mark_default_security_lists(out)
    return out


def compartment_paths(snapshot: InventorySnapshot) -> dict[str, str]:
    """Compartment OCID -> path of names from the tenancy (``prod/apps``); the tenancy itself is
    ``(root)``. Compartments whose parents were not collected keep the names that are known."""
    names = {}
    parents = {}
    for item in snapshot.resources:
        if item.type == "identity.Compartment" and isinstance(item.data.get("id"), str):
            names[item.data["id"]] = str(item.data.get("name") or item.data["id"])
            parents[item.data["id"]] = item.data.get("compartment_id")
    out = {snapshot.tenancy_id: "(root)"}
    for ident in names:
        parts = []
        node = ident
        while node in names and len(parts) < 64:
            parts.append(names[node])
            node = parents.get(node)
        out[ident] = "/".join(reversed(parts))
    return out


# What a reader calls each kind in a finding (``prod/apps · bucket marketing-assets``).
_NOUNS = {
    "oci_objectstorage_bucket": "bucket",
    "oci_core_boot_volume": "boot volume",
    "oci_core_volume": "volume",
    "oci_core_instance": "instance",
    "oci_core_instance_pool": "instance pool",
    "oci_core_subnet": "subnet",
    "oci_identity_user": "user",
    "oci_identity_group": "group",
    "oci_identity_dynamic_group": "dynamic group",
    "oci_identity_policy": "policy",
    "oci_identity_compartment": "compartment",
    "oci_containerengine_cluster": "OKE cluster",
    "oci_containerengine_node_pool": "node pool",
    "oci_database_autonomous_database": "autonomous database",
    "oci_database_db_system": "DB system",
    "oci_database_database": "database",
    "oci_mysql_mysql_db_system": "MySQL DB system",
    "oci_kms_vault": "vault",
    "oci_kms_key": "key",
    "oci_vault_secret": "secret",
    "oci_load_balancer_load_balancer": "load balancer",
    "oci_network_load_balancer_network_load_balancer": "network load balancer",
    "oci_file_storage_file_system": "file system",
    "oci_file_storage_export": "export",
    "oci_streaming_stream": "stream",
    "oci_streaming_stream_pool": "stream pool",
    "oci_devops_deploy_pipeline": "deploy pipeline",
    "oci_devops_deploy_stage": "deploy stage",
    "oci_identity_domain": "identity domain",
    "oci_identity_domains_password_policy": "password policy",
    "oci_audit_configuration": "audit configuration",
    "oci_log_analytics_namespace": "Logging Analytics namespace",
    "oci_sch_service_connector": "service connector",
}


def _name(res: Resource, item: SnapshotResource, paths: dict[str, str], snapshot: InventorySnapshot) -> None:
    """Give a live resource the names a person reads: ``compartment_path`` and ``label``
    (``prod/apps · bucket marketing-assets``); the OCID stays its address."""
    compartment = res.provenance.compartment_id
    path = paths.get(compartment or "", compartment) if compartment else None
    data = item.data if res.provenance.ocid == item.ocid else res.attributes
    name = None
    for key in ("display_name", "name", "secret_name", "db_name", "path", "fingerprint"):
        value = data.get(key) if isinstance(data, dict) else None
        if isinstance(value, str) and value:
            name = value
            break
    noun = _NOUNS.get(res.kind, res.kind.removeprefix("oci_").replace("_", " "))
    what = f"{noun} {name}" if name else noun
    # Names come from the tenancy: control and bidi characters are escaped before any message
    # or report carries them.
    if path:
        res.context["compartment_path"] = _escape(path)
    res.context["label"] = _escape(f"{path} · {what}" if path else what)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(text: str) -> str:
    return _CONTROL.sub(
        lambda m: f"\\u{ord(m.group()):04x}" if ord(m.group()) > 0xFF else f"\\x{ord(m.group()):02x}", text
    )


def _boot_attachments(snapshot: InventorySnapshot) -> dict[str, dict[str, Any]]:
    return {
        str(r.data.get("instance_id")): r.data
        for r in snapshot.resources
        if r.type == "core.BootVolumeAttachment"
        and str(r.data.get("lifecycle_state", "")).upper() != "DETACHED"
    }


def _boot_volume_of(instance: Resource, attachments: dict[str, dict[str, Any]] | None) -> None:
    """A running instance boots from a boot volume, which is collected and judged on its own:
    the instance is described as attached to it (``source_type = bootVolume``), as the provider
    describes an instance launched from an existing boot volume, so encryption is judged once.
    In-transit encryption is what the attachment says."""
    details = instance.attributes.get("source_details")
    block = details[0] if isinstance(details, list) and details and isinstance(details[0], dict) else {}
    if attachments is None:
        block = dict(block, source_type=Unknown("core.BootVolumeAttachment not collected"))
    else:
        attachment = attachments.get(str(instance.provenance.ocid))
        block = dict(block, source_type="bootVolume")
        if attachment:
            block["boot_volume_id"] = attachment.get("boot_volume_id")
            if attachment.get("is_pv_encryption_in_transit_enabled") is not None:
                instance.attributes["is_pv_encryption_in_transit_enabled"] = attachment[
                    "is_pv_encryption_in_transit_enabled"
                ]
    instance.attributes["source_details"] = [block]


def _not_collected(
    snapshot: InventorySnapshot, collected: set[str], context: dict[str, Any], location: Location | None
) -> list[Resource]:
    """One stand-in per kind whose type was not collected: every rule about that kind is unknown
    ("not collected") instead of finding nothing, which would read as a pass."""
    out = []
    for type_, mapping in sorted(TYPES.items()):
        if type_ in collected:
            continue
        for kind in (mapping.kind, *PART_KINDS.get(type_, ())):
            out.append(
                Resource(
                    kind,
                    f"{snapshot.tenancy_id}/{kind}",
                    {"compartment_id": snapshot.tenancy_id},
                    Provenance(
                        "oci",
                        location=location,
                        region=snapshot.home_region,
                        compartment_id=snapshot.tenancy_id,
                    ),
                    dict(
                        context,
                        region=snapshot.home_region,
                        not_collected=f"{type_} not collected",
                        label=f"every {_NOUNS.get(kind, kind)} (not collected)",
                    ),
                )
            )
    return out


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

    if item.unreadable:
        context["not_collected"] = item.unreadable

    def make(kind: str, address: str, attrs: dict[str, Any], ocid: str | None) -> Resource:
        return Resource(
            kind,
            address,
            attrs,
            Provenance("oci", location=location, ocid=ocid, region=region, compartment_id=compartment),
            dict(context),
        )

    if item.unreadable:
        # Listed but not readable: only the listing's fields are known, so every rule is unknown.
        return [make(mapping.kind, item.ocid or _display_address(item, snapshot), dict(data), item.ocid)]
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
    elif item.type == "container_engine.NodePool":
        # The API echoes the subnets of the placement configurations in ``subnet_ids``; the
        # provider sets one or the other, and a rule reading both would judge the pool twice.
        config = attrs.get("node_config_details")
        if isinstance(config, list) and config and config[0].get("placement_configs"):
            attrs.pop("subnet_ids", None)
    elif item.type == "database.Database":
        # The provider nests the database's own settings in a ``database`` block.
        attrs["database"] = [{k: attrs[k] for k in DATABASE_BLOCK if k in attrs}]
    elif item.type in ("cloud_guard.Configuration", "audit.Configuration"):
        attrs.setdefault("compartment_id", snapshot.tenancy_id)
        compartment = snapshot.tenancy_id
    elif item.type == "ons.NotificationTopic" and isinstance(data.get("topic_id"), str):
        # A topic's OCID is its topic_id; subscriptions and event actions refer to it.
        address = attrs["id"] = data["topic_id"]
    out = [make(mapping.kind, address, attrs, item.ocid or attrs.get("id"))]
    if item.type == "load_balancer.LoadBalancer":
        out += _load_balancer_parts(item, make)
    elif item.type == "identity.User":
        out += _user_parts(item, attrs, collected, make)
    elif item.type == "core.NetworkSecurityGroup":
        out += _nsg_rules(item, make)
    elif item.type == "logging.LogGroup":
        out += _logs(item, make)
    elif item.type == "database.Database":
        for assoc in item.related.get("data_guard_associations") or []:
            if isinstance(assoc, dict) and str(assoc.get("lifecycle_state", "")).upper() not in GONE_STATES:
                out.append(
                    make(
                        "oci_database_data_guard_association",
                        str(assoc.get("id") or f"{item.ocid}/dataGuardAssociations"),
                        {k: blocks(v, k) for k, v in assoc.items()},
                        assoc.get("id"),
                    )
                )
    return out


def _nsg_rules(item: SnapshotResource, make: Any) -> list[Resource]:
    """A network security group's rules: separate resources in the provider, a sub-list (from
    ``list_network_security_group_security_rules``) in the snapshot."""
    rules = item.related.get("security_rules")
    out: list[Resource] = []
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        if not isinstance(rule, dict):
            continue
        attrs = {("stateless" if k == "is_stateless" else k): blocks(v, k) for k, v in rule.items()}
        attrs["network_security_group_id"] = item.ocid
        rule_id = rule.get("id") if isinstance(rule.get("id"), str) else str(i)
        address = f"{item.ocid}/rules/{rule_id}"
        out.append(make("oci_core_network_security_group_security_rule", address, attrs, None))
    return out


def _logs(item: SnapshotResource, make: Any) -> list[Resource]:
    """A log group's logs (``list_logs``): separate ``oci_logging_log`` resources in the provider."""
    logs = item.related.get("logs")
    out: list[Resource] = []
    for log in logs if isinstance(logs, list) else []:
        if not isinstance(log, dict) or str(log.get("lifecycle_state", "")).upper() in GONE_STATES:
            continue
        attrs = {("state" if k == "lifecycle_state" else k): blocks(v, k) for k, v in log.items()}
        attrs.setdefault("log_group_id", item.ocid)
        out.append(make("oci_logging_log", str(log.get("id") or f"{item.ocid}/logs"), attrs, log.get("id")))
    return out


def _mark_default_security_lists(resources: list[Resource]) -> None:
    """The security list a VCN names as ``default_security_list_id`` is, in the provider, an
    ``oci_core_default_security_list`` managing it: rules about default lists see it as one."""
    defaults = {
        r.attributes.get("default_security_list_id") for r in resources if r.kind == "oci_core_vcn"
    }
    for res in resources:
        if res.kind == "oci_core_security_list" and res.address in defaults:
            res.kind = DEFAULT_SECURITY_LIST
            res.attributes["manage_default_resource_id"] = res.address


def _display_address(item: SnapshotResource, snapshot: InventorySnapshot) -> str:
    if item.type == "cloud_guard.Configuration":
        return f"{snapshot.tenancy_id}/cloud-guard-configuration"
    if item.type == "audit.Configuration":
        return f"{snapshot.tenancy_id}/audit-configuration"
    if item.type == "log_analytics.Namespace":
        return f"{snapshot.tenancy_id}/log-analytics-namespace/{item.region}"
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
