"""What to collect, as data (in the manner of Cloud Custodian's resource manager specs).

One ``ResourceSpec`` per snapshot type: the SDK client class, how the objects are enumerated
(Resource Search type, or a list call in the home region / per compartment / per region and
compartment / per vault), the GET that returns the full model, the id field, the related
sub-lists to fetch per object, and the IAM permissions the calls need (``iam`` and
``RelatedSpec.permission``, from which ``ocisec audit --print-policy`` writes the auditor's
least-privilege policy: ``auditor_policy``). One collector
(``collector.Collector``) walks this table; nothing in it is specific to a type except what is
written here.

Search type names are spelled as Search itself spells them. OCI's documentation table
"Resource Search: supported resources"
(https://docs.oracle.com/en-us/iaas/Content/Search/Concepts/queryoverview.htm#resourcetypes)
could not be retrieved; each name used here was confirmed against what Search answered to
``ListResourceTypes`` in two real tenancies (committed by the CIS script's authors in
oci-landing-zones/oci-cis-landingzone-quickstart@97582ecd, scripts/*/raw_data_all_resources.json)
and, except ``ClustersCluster``, against public code that queries Search with it (Oracle's
``cis_reports.py``, OKIT's discovery): see ``SEARCH_SOURCES`` in tests/emulator/doc_types.py.
Types Search offered in neither tenancy (OKE node pools, MySQL DB systems, stream pools) are
listed per compartment in every region. Search's offer varies by region (one of the two
tenancies' regions had no ``NetworkLoadBalancer``): a searched type with a ``fallback`` list
call is listed per compartment in a region whose Search does not offer it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RelatedSpec:
    """A sub-list fetched per object: ``call`` on the same client, the object's id passed as
    ``id_arg``; ``field`` picks one field of each item (``group_id`` of a membership)."""

    name: str
    call: str
    id_arg: str
    extra: dict[str, str] = field(default_factory=dict)  # kwarg -> "tenancy" | "compartment"
    field: str | None = None
    model: str | None = None  # SDK model of the items
    permission: tuple[str, str] | None = None  # (verb, IAM resource-type) the call needs


@dataclass(frozen=True)
class ResourceSpec:
    """How one snapshot ``type`` is collected.

    ``scope``: ``search`` (Resource Search per region and type, then ``get`` per object),
    ``tenancy`` (``list_call`` once in the home region on the tenancy), ``compartments``
    (``list_call`` in the home region per compartment of the audited subtree, its root and the
    root's ancestors), ``regional`` (``list_call`` per region and compartment, then ``get`` per
    object when ``get`` is set; ``per_ad``: once per availability domain too; ``follows``: only
    in the compartments and ADs where objects of that type were found), ``vault``
    (``list_call`` per vault and compartment through the vault's management endpoint, then
    ``get``), ``singleton`` (``get`` once in the home region with the tenancy as compartment).

    ``iam`` is the IAM resource-type of the objects: listing needs ``inspect`` on it, the GET
    ``read``. ``fields``: model attributes the rules read, checked against the
    installed SDK at start-up (the SDK drops fields its model does not know).
    """

    type: str
    client: str  # "module.ClassName" under oci
    scope: str
    search_type: str | None = None
    get: str | None = None
    get_id_arg: str | None = None
    list_call: str | None = None
    path: str | None = None  # unused: kept for callers of the old table
    related: tuple[RelatedSpec, ...] = ()
    id_field: str = "id"
    iam: str = ""
    fields: tuple[str, ...] = ()
    per_ad: bool = False
    # Listed only where objects of this type were found (per their compartment and AD): boot
    # volume attachments where instances are, instead of every compartment x AD of the tenancy.
    follows: str | None = None
    # A searched type's list call (compartment_id, and availability_domain when
    # ``fallback_per_ad``), used in a region whose Search does not offer ``search_type``.
    fallback: str | None = None
    fallback_per_ad: bool = False
    # A listed type Search also offers: one search per region finds the compartments holding
    # such objects, and only those are listed (every compartment when Search cannot say).
    located_by: str | None = None

    @property
    def model(self) -> str:
        """The SDK model class name (the part after the dot of ``type``)."""
        return self.type.split(".", 1)[1]

    @property
    def module(self) -> str:
        """The SDK module (``object_storage``)."""
        return self.type.split(".", 1)[0]


def _search(
    type_: str,
    client: str,
    search_type: str,
    get: str,
    id_arg: str,
    iam: str,
    *related: RelatedSpec,
    fields: tuple[str, ...] = (),
    fallback: str | None = None,
    fallback_per_ad: bool = False,
) -> ResourceSpec:
    return ResourceSpec(
        type_,
        client,
        "search",
        search_type,
        get,
        id_arg,
        None,
        None,
        tuple(related),
        iam=iam,
        fields=fields,
        fallback=fallback,
        fallback_per_ad=fallback_per_ad,
    )


def _regional(
    type_: str, client: str, list_call: str, get: str | None, id_arg: str | None, iam: str, **kw: Any
) -> ResourceSpec:
    return ResourceSpec(type_, client, "regional", None, get, id_arg, list_call, None, iam=iam, **kw)


IDENTITY = "identity.IdentityClient"

SPECS: tuple[ResourceSpec, ...] = (
    ResourceSpec(
        "identity.Compartment", IDENTITY, "tenancy", list_call="list_compartments", iam="compartments"
    ),
    ResourceSpec(
        "identity.User",
        IDENTITY,
        "tenancy",
        list_call="list_users",
        iam="users",
        related=(
            RelatedSpec("api_keys", "list_api_keys", "user_id", model="ApiKey"),
            RelatedSpec("auth_tokens", "list_auth_tokens", "user_id", model="AuthToken"),
            RelatedSpec(
                "customer_secret_keys",
                "list_customer_secret_keys",
                "user_id",
                model="CustomerSecretKeySummary",
            ),
            # IAM database passwords (CIS OCI 1.11): their age is judged like the other credentials'.
            RelatedSpec("db_credentials", "list_db_credentials", "user_id", model="DbCredentialSummary"),
            RelatedSpec(
                "group_ids",
                "list_user_group_memberships",
                "user_id",
                extra={"compartment_id": "tenancy"},
                field="group_id",
                model="UserGroupMembership",
                permission=("inspect", "groups"),
            ),
        ),
    ),
    ResourceSpec("identity.Group", IDENTITY, "tenancy", list_call="list_groups", iam="groups"),
    ResourceSpec(
        "identity.DynamicGroup", IDENTITY, "tenancy", list_call="list_dynamic_groups", iam="dynamic-groups"
    ),
    ResourceSpec("identity.Policy", IDENTITY, "compartments", list_call="list_policies", iam="policies"),
    # Identity domains (scanner.sources.oci.domains): list_domains per compartment, then per
    # ACTIVE domain one SCIM listing per kind at the domain's URL (``read domains``).
    ResourceSpec(
        "identity.Domain",
        IDENTITY,
        "domains",
        list_call="list_domains",
        iam="domains",
        related=tuple(
            RelatedSpec(f"identity_domains.{model}", call, "", model=model, permission=("read", "domains"))
            for model, call in (
                ("User", "list_users"),
                ("Group", "list_groups"),
                ("ApiKey", "list_api_keys"),
                ("AuthToken", "list_auth_tokens"),
                ("CustomerSecretKey", "list_customer_secret_keys"),
                ("DynamicResourceGroup", "list_dynamic_resource_groups"),
                ("PasswordPolicy", "list_password_policies"),
            )
        ),
    ),
    ResourceSpec(
        "cloud_guard.Configuration",
        "cloud_guard.CloudGuardClient",
        "singleton",
        get="get_configuration",
        iam="cloud-guard-config",
    ),
    _search(
        "object_storage.Bucket",
        "object_storage.ObjectStorageClient",
        "Bucket",
        "get_bucket",
        "bucket_name",
        "buckets",
        fields=("kms_key_id", "public_access_type", "versioning", "object_events_enabled"),
    ),
    _search(
        "core.Volume",
        "core.BlockstorageClient",
        "Volume",
        "get_volume",
        "volume_id",
        "volumes",
        fields=("kms_key_id",),
        fallback="list_volumes",
    ),
    _search(
        "core.BootVolume",
        "core.BlockstorageClient",
        "BootVolume",
        "get_boot_volume",
        "boot_volume_id",
        "volumes",  # boot volumes are governed by the volume permissions
        fields=("kms_key_id",),
        fallback="list_boot_volumes",
    ),
    ResourceSpec(
        "core.BootVolumeAttachment",
        "core.ComputeClient",
        "regional",
        list_call="list_boot_volume_attachments",
        iam="instances",
        per_ad=True,
        follows="core.Instance",
        fields=("boot_volume_id", "instance_id"),
    ),
    _search(
        "file_storage.FileSystem",
        "file_storage.FileStorageClient",
        "FileSystem",
        "get_file_system",
        "file_system_id",
        "file-systems",
        fields=("kms_key_id",),
        fallback="list_file_systems",
        fallback_per_ad=True,
    ),
    _regional(
        "file_storage.Export",
        "file_storage.FileStorageClient",
        "list_exports",
        "get_export",
        "export_id",
        "export-sets",
        fields=("export_options",),
    ),
    _search(
        "database.AutonomousDatabase",
        "database.DatabaseClient",
        "AutonomousDatabase",
        "get_autonomous_database",
        "autonomous_database_id",
        "autonomous-databases",
        fields=(
            "kms_key_id",
            "encryption_key",
            "is_local_data_guard_enabled",
            "is_remote_data_guard_enabled",
            "peer_db_ids",
            "standby_db",
            "data_safe_status",
        ),
        fallback="list_autonomous_databases",
    ),
    _search(
        "database.DbSystem",
        "database.DatabaseClient",
        "DbSystem",
        "get_db_system",
        "db_system_id",
        "db-systems",
        fields=("node_count", "shape", "kms_key_id"),
        fallback="list_db_systems",
    ),
    _search(
        "database.Database",
        "database.DatabaseClient",
        "Database",
        "get_database",
        "database_id",
        "databases",
        RelatedSpec(
            "data_guard_associations",
            "list_data_guard_associations",
            "database_id",
            model="DataGuardAssociationSummary",
            permission=("read", "databases"),
        ),
        fields=("kms_key_id", "db_system_id"),
    ),
    _regional(
        "mysql.DbSystem",
        "mysql.DbSystemClient",
        "list_db_systems",
        "get_db_system",
        "db_system_id",
        "mysql-instances",
        fields=("is_highly_available",),
    ),
    _regional(
        "streaming.StreamPool",
        "streaming.StreamAdminClient",
        "list_stream_pools",
        "get_stream_pool",
        "stream_pool_id",
        "stream-pools",
        fields=("custom_encryption_key",),
    ),
    _search(
        "streaming.Stream",
        "streaming.StreamAdminClient",
        "Stream",
        "get_stream",
        "stream_id",
        "streams",
        fields=("retention_in_hours",),
        fallback="list_streams",
    ),
    _search(
        "container_engine.Cluster",
        "container_engine.ContainerEngineClient",
        "ClustersCluster",
        "get_cluster",
        "cluster_id",
        "clusters",
        fields=("kms_key_id",),
        fallback="list_clusters",
    ),
    _regional(
        "container_engine.NodePool",
        "container_engine.ContainerEngineClient",
        "list_node_pools",
        "get_node_pool",
        "node_pool_id",
        "cluster-node-pools",
        fields=("node_config_details",),
    ),
    _search(
        "core.Instance",
        "core.ComputeClient",
        "Instance",
        "get_instance",
        "instance_id",
        "instances",
        fallback="list_instances",
    ),
    _search(
        "core.InstancePool",
        "core.ComputeManagementClient",
        "InstancePool",
        "get_instance_pool",
        "instance_pool_id",
        "instance-pools",
        fallback="list_instance_pools",
    ),
    _search(
        "core.Subnet",
        "core.VirtualNetworkClient",
        "Subnet",
        "get_subnet",
        "subnet_id",
        "subnets",
        fallback="list_subnets",
    ),
    _search(
        "load_balancer.LoadBalancer",
        "load_balancer.LoadBalancerClient",
        "LoadBalancer",
        "get_load_balancer",
        "load_balancer_id",
        "load-balancers",
        fallback="list_load_balancers",
    ),
    _search(
        "network_load_balancer.NetworkLoadBalancer",
        "network_load_balancer.NetworkLoadBalancerClient",
        "NetworkLoadBalancer",
        "get_network_load_balancer",
        "network_load_balancer_id",
        "network-load-balancers",
        fallback="list_network_load_balancers",
    ),
    _search(
        "key_management.Vault",
        "key_management.KmsVaultClient",
        "Vault",
        "get_vault",
        "vault_id",
        "vaults",
        fields=("vault_type",),
    ),
    ResourceSpec(
        "key_management.Key",
        "key_management.KmsManagementClient",
        "vault",
        search_type="Key",
        get="get_key",
        get_id_arg="key_id",
        list_call="list_keys",
        related=(
            RelatedSpec(
                "key_versions",
                "list_key_versions",
                "key_id",
                model="KeyVersionSummary",
                permission=("inspect", "keys"),
            ),
        ),
        iam="keys",
        fields=("is_auto_rotation_enabled", "auto_key_rotation_details", "protection_mode"),
    ),
    _search(
        "vault.Secret",
        "vault.VaultsClient",
        "VaultSecret",
        "get_secret",
        "secret_id",
        "secrets",
        RelatedSpec(
            "secret_versions",
            "list_secret_versions",
            "secret_id",
            model="SecretVersionSummary",
            permission=("inspect", "secrets"),
        ),
        fields=("rotation_config", "rotation_status", "next_rotation_time", "last_rotation_time"),
        fallback="list_secrets",
    ),
    _search(
        "devops.DeployPipeline",
        "devops.DevopsClient",
        "DevOpsDeployPipeline",
        "get_deploy_pipeline",
        "deploy_pipeline_id",
        "devops-deploy-pipeline",
        fallback="list_deploy_pipelines",
    ),
    _search(
        "devops.DeployStage",
        "devops.DevopsClient",
        "DevOpsDeployStage",
        "get_deploy_stage",
        "deploy_stage_id",
        "devops-deploy-stage",
        fields=("deploy_stage_predecessor_collection",),
        fallback="list_deploy_stages",
    ),
    # CIS OCI v3.0: networks (2.1-2.5), notifications (4.2-4.18), tag defaults (4.1), OIC and OAC
    # (2.6, 2.7). Listed per region and compartment: the list models are the full ones, except
    # event rules, whose GET adds the actions.
    _regional(
        "core.Vcn",
        "core.VirtualNetworkClient",
        "list_vcns",
        None,
        None,
        "vcns",
        fields=("default_security_list_id", "cidr_blocks"),
        located_by="Vcn",
    ),
    _regional(
        "core.SecurityList",
        "core.VirtualNetworkClient",
        "list_security_lists",
        None,
        None,
        "security-lists",
        fields=("ingress_security_rules", "egress_security_rules"),
        located_by="SecurityList",
    ),
    _regional(
        "core.NetworkSecurityGroup",
        "core.VirtualNetworkClient",
        "list_network_security_groups",
        None,
        None,
        "network-security-groups",
        related=(
            RelatedSpec(
                "security_rules",
                "list_network_security_group_security_rules",
                "network_security_group_id",
                model="SecurityRule",
                permission=("read", "network-security-groups"),
            ),
        ),
        located_by="NetworkSecurityGroup",
    ),
    _regional(
        "events.Rule",
        "events.EventsClient",
        "list_rules",
        "get_rule",
        "rule_id",
        "cloudevents-rules",
        fields=("condition", "actions", "is_enabled"),
        located_by="EventRule",
    ),
    _regional(
        "ons.NotificationTopic",
        "ons.NotificationControlPlaneClient",
        "list_topics",
        None,
        None,
        "ons-topics",
        id_field="topic_id",
        located_by="OnsTopic",
    ),
    _regional(
        "ons.Subscription",
        "ons.NotificationDataPlaneClient",
        "list_subscriptions",
        None,
        None,
        "ons-subscriptions",
        fields=("topic_id",),
        located_by="OnsSubscription",
    ),
    ResourceSpec(
        "identity.TagDefault", IDENTITY, "compartments", list_call="list_tag_defaults", iam="tag-defaults"
    ),
    # The tenancy's (legacy) password policy: one per tenancy (CIS 1.4 without identity domains).
    ResourceSpec(
        "identity.AuthenticationPolicy",
        IDENTITY,
        "singleton",
        get="get_authentication_policy",
        iam="authentication-policies",
        fields=("password_policy",),
    ),
    # Logs are listed per log group (flow logs of subnets 4.13, write logs of buckets 4.17).
    _regional(
        "logging.LogGroup",
        "logging.LoggingManagementClient",
        "list_log_groups",
        None,
        None,
        "log-groups",
        related=(
            RelatedSpec(
                "logs", "list_logs", "log_group_id", model="LogSummary", permission=("inspect", "log-groups")
            ),
        ),
        located_by="LogGroup",
    ),
    _regional(
        "integration.IntegrationInstance",
        "integration.IntegrationInstanceClient",
        "list_integration_instances",
        "get_integration_instance",
        "integration_instance_id",
        "integration-instances",
        fields=("network_endpoint_details",),
        located_by="IntegrationInstance",
    ),
    _regional(
        "analytics.AnalyticsInstance",
        "analytics.AnalyticsClient",
        "list_analytics_instances",
        "get_analytics_instance",
        "analytics_instance_id",
        "analytics-instances",
        fields=("network_endpoint_details",),
        located_by="AnalyticsInstance",
    ),
    # The platform's logs (issue 18): the tenancy's audit retention (one configuration, read with
    # the tenancy as compartment), its Logging Analytics namespace (``list_namespaces`` on the
    # tenancy answers whether it is onboarded) and the service connectors that carry logs there
    # (listed per region and compartment, then read: the list items lack source and target).
    ResourceSpec(
        "audit.Configuration",
        "audit.AuditClient",
        "singleton",
        get="get_configuration",
        iam="audit-events",
        fields=("retention_period_days",),
    ),
    ResourceSpec(
        "log_analytics.Namespace",
        "log_analytics.LogAnalyticsClient",
        "tenancy",
        list_call="list_namespaces",
        iam="loganalytics-features-family",
        fields=("is_onboarded", "namespace_name"),
    ),
    _regional(
        "sch.ServiceConnector",
        "sch.ServiceConnectorClient",
        "list_service_connectors",
        "get_service_connector",
        "service_connector_id",
        "serviceconnectors",
        fields=("source", "target", "lifecycle_state"),
        located_by="ServiceConnector",
    ),
    # Web app firewalls (WAF API 20210930; IAM resource-type web-app-firewall of waf-family):
    # the GET returns the LOAD_BALANCER subtype, whose load_balancer_id OCI-NET-405 joins on.
    _regional(
        "waf.WebAppFirewall",
        "waf.WafClient",
        "list_web_app_firewalls",
        "get_web_app_firewall",
        "web_app_firewall_id",
        "web-app-firewall",
        fields=("backend_type", "web_app_firewall_policy_id"),
    ),
)

SPEC_BY_TYPE = {spec.type: spec for spec in SPECS}
SEARCH_SPECS = {spec.search_type: spec for spec in SPECS if spec.search_type}
