"""What to collect, as data (in the manner of Cloud Custodian's resource manager specs).

One ``ResourceSpec`` per snapshot type: the SDK client class, how the objects are enumerated
(Resource Search type, or a list call in the home region / per compartment / per vault), the GET
that returns the full model, the id field, and the related sub-lists to fetch per object. One
collector (``collector.Collector``) walks this table; nothing in it is specific to a type except
what is written here. ``path`` is the REST collection the GET reads (the API emulator serves it).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RelatedSpec:
    """A sub-list fetched per object: ``call`` on the same client, the object's id passed as
    ``id_arg``; ``field`` picks one field of each item (``group_id`` of a membership)."""

    name: str
    call: str
    id_arg: str
    extra: dict[str, str] = field(default_factory=dict)  # kwarg -> "tenancy" | "compartment"
    field: str | None = None
    model: str | None = None  # SDK model of the items (for the emulator)


@dataclass(frozen=True)
class ResourceSpec:
    """How one snapshot ``type`` is collected.

    ``scope``: ``search`` (Resource Search per region, then ``get`` per object), ``tenancy``
    (``list_call`` once in the home region on the tenancy), ``compartments`` (``list_call`` in the
    home region per compartment of the audited subtree and the root), ``vault`` (``list_call`` per
    vault and compartment through the vault's management endpoint, then ``get``), ``singleton``
    (``get`` once in the home region with the tenancy as compartment).
    """

    type: str
    client: str  # "module.ClassName" under oci
    scope: str
    search_type: str | None = None
    get: str | None = None
    get_id_arg: str | None = None
    list_call: str | None = None
    path: str | None = None  # REST collection of the GET, e.g. "/20160918/volumes"
    related: tuple[RelatedSpec, ...] = ()
    id_field: str = "id"

    @property
    def model(self) -> str:
        """The SDK model class name (the part after the dot of ``type``)."""
        return self.type.split(".", 1)[1]

    @property
    def module(self) -> str:
        """The SDK module (``object_storage``)."""
        return self.type.split(".", 1)[0]


def _search(
    type_: str, client: str, search_type: str, get: str, id_arg: str, path: str, *related: RelatedSpec
):
    return ResourceSpec(type_, client, "search", search_type, get, id_arg, None, path, tuple(related))


SPECS: tuple[ResourceSpec, ...] = (
    ResourceSpec("identity.Compartment", "identity.IdentityClient", "tenancy", list_call="list_compartments"),
    ResourceSpec(
        "identity.User",
        "identity.IdentityClient",
        "tenancy",
        list_call="list_users",
        related=(
            RelatedSpec("api_keys", "list_api_keys", "user_id", model="ApiKey"),
            RelatedSpec("auth_tokens", "list_auth_tokens", "user_id", model="AuthToken"),
            RelatedSpec(
                "customer_secret_keys",
                "list_customer_secret_keys",
                "user_id",
                model="CustomerSecretKeySummary",
            ),
            RelatedSpec(
                "group_ids",
                "list_user_group_memberships",
                "user_id",
                extra={"compartment_id": "tenancy"},
                field="group_id",
                model="UserGroupMembership",
            ),
        ),
    ),
    ResourceSpec("identity.Group", "identity.IdentityClient", "tenancy", list_call="list_groups"),
    ResourceSpec(
        "identity.DynamicGroup", "identity.IdentityClient", "tenancy", list_call="list_dynamic_groups"
    ),
    ResourceSpec("identity.Policy", "identity.IdentityClient", "compartments", list_call="list_policies"),
    ResourceSpec(
        "cloud_guard.Configuration", "cloud_guard.CloudGuardClient", "singleton", get="get_configuration"
    ),
    _search(
        "object_storage.Bucket",
        "object_storage.ObjectStorageClient",
        "Bucket",
        "get_bucket",
        "bucket_name",
        "/n",
    ),
    _search(
        "core.Volume", "core.BlockstorageClient", "Volume", "get_volume", "volume_id", "/20160918/volumes"
    ),
    _search(
        "core.BootVolume",
        "core.BlockstorageClient",
        "BootVolume",
        "get_boot_volume",
        "boot_volume_id",
        "/20160918/bootVolumes",
    ),
    _search(
        "file_storage.FileSystem",
        "file_storage.FileStorageClient",
        "FileSystem",
        "get_file_system",
        "file_system_id",
        "/20171215/fileSystems",
    ),
    _search(
        "database.AutonomousDatabase",
        "database.DatabaseClient",
        "AutonomousDatabase",
        "get_autonomous_database",
        "autonomous_database_id",
        "/20160918/autonomousDatabases",
    ),
    _search(
        "database.DbSystem",
        "database.DatabaseClient",
        "DbSystem",
        "get_db_system",
        "db_system_id",
        "/20160918/dbSystems",
    ),
    _search(
        "mysql.DbSystem",
        "mysql.DbSystemClient",
        "MysqlDbSystem",
        "get_db_system",
        "db_system_id",
        "/20190415/dbSystems",
    ),
    _search(
        "streaming.StreamPool",
        "streaming.StreamAdminClient",
        "StreamPool",
        "get_stream_pool",
        "stream_pool_id",
        "/20180418/streampools",
    ),
    _search(
        "streaming.Stream",
        "streaming.StreamAdminClient",
        "Stream",
        "get_stream",
        "stream_id",
        "/20180418/streams",
    ),
    _search(
        "container_engine.Cluster",
        "container_engine.ContainerEngineClient",
        "ClustersCluster",
        "get_cluster",
        "cluster_id",
        "/20180222/clusters",
    ),
    _search(
        "container_engine.NodePool",
        "container_engine.ContainerEngineClient",
        "ClustersNodePool",
        "get_node_pool",
        "node_pool_id",
        "/20180222/nodePools",
    ),
    _search(
        "core.Instance",
        "core.ComputeClient",
        "Instance",
        "get_instance",
        "instance_id",
        "/20160918/instances",
    ),
    _search(
        "core.InstancePool",
        "core.ComputeManagementClient",
        "InstancePool",
        "get_instance_pool",
        "instance_pool_id",
        "/20160918/instancePools",
    ),
    _search(
        "core.Subnet", "core.VirtualNetworkClient", "Subnet", "get_subnet", "subnet_id", "/20160918/subnets"
    ),
    _search(
        "load_balancer.LoadBalancer",
        "load_balancer.LoadBalancerClient",
        "LoadBalancer",
        "get_load_balancer",
        "load_balancer_id",
        "/20170115/loadBalancers",
    ),
    _search(
        "key_management.Vault",
        "key_management.KmsVaultClient",
        "Vault",
        "get_vault",
        "vault_id",
        "/20180608/vaults",
    ),
    ResourceSpec(
        "key_management.Key",
        "key_management.KmsManagementClient",
        "vault",
        search_type="Key",
        get="get_key",
        get_id_arg="key_id",
        list_call="list_keys",
        path="/20180608/keys",
        related=(RelatedSpec("key_versions", "list_key_versions", "key_id", model="KeyVersionSummary"),),
    ),
    _search(
        "vault.Secret",
        "vault.VaultsClient",
        "VaultSecret",
        "get_secret",
        "secret_id",
        "/20180608/secrets",
        RelatedSpec("secret_versions", "list_secret_versions", "secret_id", model="SecretVersionSummary"),
    ),
    _search(
        "devops.DeployPipeline",
        "devops.DevopsClient",
        "DevopsDeployPipeline",
        "get_deploy_pipeline",
        "deploy_pipeline_id",
        "/20210630/deployPipelines",
    ),
    _search(
        "devops.DeployStage",
        "devops.DevopsClient",
        "DevopsDeployStage",
        "get_deploy_stage",
        "deploy_stage_id",
        "/20210630/deployStages",
    ),
)

SPEC_BY_TYPE = {spec.type: spec for spec in SPECS}
SEARCH_SPECS = {spec.search_type: spec for spec in SPECS if spec.search_type}
