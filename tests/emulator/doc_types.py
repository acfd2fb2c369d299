"""What the emulated services offer, written from OCI's documentation — never from the collector.

Each ``ServiceType`` is one kind of object as the documentation describes it:

* ``search``: its name in Resource Search, as Search itself spells it (results carry this
  spelling; queries match it without regard to case). ``None``: Search offers no such type, so
  only its list call finds it. Written from the sources in ``SEARCH_SOURCES`` (``source`` names
  the ones that agree on an entry): OCI's documentation table "Resource Search: supported
  resources" could not be retrieved, so the names come from what Search itself answered in two
  real tenancies and from public code that queries Search with them.
* ``iam``: the IAM resource-type its permissions belong to, from the policy reference of its
  service (https://docs.oracle.com/en-us/iaas/Content/Identity/Reference/policyreference.htm).
* ``get`` / ``list``: the REST paths of the service API reference (version prefix included), as
  ``{id}`` templates; ``summary`` is the SDK model of the list items; ``collection``: the list
  answers a ``...Collection`` object (``{"items": [...]}``) rather than a bare array.

To add a type: add one entry here (and, when it is listed per compartment or has sub-lists,
nothing else: the generic routes serve it). The collector's own table lives in
``scanner/sources/oci/specs.py``; the two are compared only by tests, through the wire.
"""

from __future__ import annotations

from dataclasses import dataclass

SEARCH_TYPES_SOURCE = (
    "https://docs.oracle.com/en-us/iaas/Content/Search/Concepts/queryoverview.htm#resourcetypes"
)

# Where each Search type name was confirmed (``ServiceType.source`` lists the keys that agree).
SEARCH_SOURCES: dict[str, str] = {
    # Search's own answer to ListResourceTypes, in two real tenancies (us-ashburn-1, 436 types;
    # us-sanjose-1, 366 types, no NetworkLoadBalancer), committed by the CIS script's authors:
    "rt": "oci-landing-zones/oci-cis-landingzone-quickstart@97582ecdd01a44793ad5d06dac6b55f63f4805c5"
    ":scripts/{halimer1-2023-11-01_11-06-22,belowzeroprod-2023-11-01_11-09-04}/raw_data_all_resources.json",
    # Oracle's CIS script, which queries Search with these names:
    "cis": "oci-landing-zones/oci-cis-landingzone-quickstart@752bd3190d2b6f291d1e8d25ce655949722adae1"
    ":scripts/cis_reports.py",
    # OKIT's discovery, which queries Search with the names it has in common with ListResourceTypes:
    "okit": "oracle/oci-designer-toolkit@d633dc6b67a0a9fc2614bf384accc03c4d478e33"
    ":okitclassic/modules/discovery/oci_discovery_client.py",
}


@dataclass(frozen=True)
class ServiceType:
    """One documented object type: its SDK model (``module.Model``, the inventory's ``type``)."""

    model: str
    iam: str
    search: str | None = None
    get: str | None = None
    list: str | None = None
    summary: str | None = None
    source: str = ""  # SEARCH_SOURCES keys confirming ``search`` (or its absence: "rt")
    # The list answers a ``...Collection`` object (``{"items": [...]}``), as newer APIs do,
    # instead of a bare JSON array.
    collection: bool = False

    @property
    def module(self) -> str:
        """``core`` of ``core.Volume``."""
        return self.model.split(".", 1)[0]


SERVICE_TYPES: tuple[ServiceType, ...] = (
    # Object Storage: buckets are read by namespace and name, not by OCID.
    ServiceType(
        "object_storage.Bucket", "buckets", "Bucket", get="/n/{namespace}/b/{name}", source="rt cis okit"
    ),
    # Block Volume: boot volumes are governed by the volume permissions (VOLUME_*).
    ServiceType("core.Volume", "volumes", "Volume", get="/20160918/volumes/{id}", source="rt cis okit"),
    ServiceType(
        "core.BootVolume", "volumes", "BootVolume", get="/20160918/bootVolumes/{id}", source="rt cis okit"
    ),
    ServiceType(
        "core.BootVolumeAttachment",
        "instances",  # listed with the instance permissions
        list="/20160918/bootVolumeAttachments",
        summary="core.BootVolumeAttachment",
        source="rt",  # not among the types Search offers
    ),
    # File Storage: exports belong to export sets (EXPORT_SET_* permissions). Search offers
    # ``Export`` (rt, okit), but the collector lists exports per compartment.
    ServiceType(
        "file_storage.FileSystem",
        "file-systems",
        "FileSystem",
        get="/20171215/fileSystems/{id}",
        source="rt cis okit",
    ),
    ServiceType(
        "file_storage.Export",
        "export-sets",
        "Export",
        get="/20171215/exports/{id}",
        list="/20171215/exports",
        summary="file_storage.ExportSummary",
        source="rt okit",
    ),
    # Database
    ServiceType(
        "database.AutonomousDatabase",
        "autonomous-databases",
        "AutonomousDatabase",
        get="/20160918/autonomousDatabases/{id}",
        list="/20160918/autonomousDatabases",
        summary="database.AutonomousDatabaseSummary",
        source="rt cis okit",
    ),
    ServiceType(
        "database.DbSystem", "db-systems", "DbSystem", get="/20160918/dbSystems/{id}", source="rt cis okit"
    ),
    ServiceType(
        "database.Database", "databases", "Database", get="/20160918/databases/{id}", source="rt cis okit"
    ),
    # MySQL HeatWave: Search offered no MySQL DB system type in either tenancy; listed per compartment.
    ServiceType(
        "mysql.DbSystem",
        "mysql-instances",
        get="/20190415/dbSystems/{id}",
        list="/20190415/dbSystems",
        summary="mysql.DbSystemSummary",
        source="rt",
    ),
    # Streaming: streams are searchable, stream pools are not (rt).
    ServiceType("streaming.Stream", "streams", "Stream", get="/20180418/streams/{id}", source="rt okit"),
    ServiceType(
        "streaming.StreamPool",
        "stream-pools",
        get="/20180418/streampools/{id}",
        list="/20180418/streampools",
        summary="streaming.StreamPoolSummary",
        source="rt",
    ),
    # Kubernetes Engine: clusters are searchable as ClustersCluster (rt only: OKIT and the CIS
    # script list clusters instead); node pools are not searchable (rt).
    ServiceType(
        "container_engine.Cluster",
        "clusters",
        "ClustersCluster",
        get="/20180222/clusters/{id}",
        list="/20180222/clusters",
        summary="container_engine.ClusterSummary",
        source="rt",
    ),
    ServiceType(
        "container_engine.NodePool",
        "cluster-node-pools",
        get="/20180222/nodePools/{id}",
        list="/20180222/nodePools",
        summary="container_engine.NodePoolSummary",
        source="rt",
    ),
    # Compute and networking
    ServiceType(
        "core.Instance",
        "instances",
        "Instance",
        get="/20160918/instances/{id}",
        list="/20160918/instances",
        summary="core.Instance",
        source="rt cis okit",
    ),
    ServiceType(
        "core.InstancePool",
        "instance-pools",
        "InstancePool",
        get="/20160918/instancePools/{id}",
        source="rt okit",
    ),
    ServiceType("core.Subnet", "subnets", "Subnet", get="/20160918/subnets/{id}", source="rt cis okit"),
    ServiceType(
        "core.Vcn",
        "vcns",
        "Vcn",
        get="/20160918/vcns/{id}",
        list="/20160918/vcns",
        summary="core.Vcn",
        source="rt cis okit",
    ),
    # The Search names of capture filters, security lists, NSGs, event rules, ONS subscriptions,
    # log groups, integration and analytics instances are spelled as Oracle's cis_reports.py
    # 3.2.1 sends them to the real service (benchmarks/cis_reports_run.py replays it here), and
    # all but CaptureFilter as Search itself answered in two tenancies (SEARCH_SOURCES "rt", see
    # each ``source``). Capture filters (VTAP and flow-log filters): found through Search only;
    # neither tenancy's list of 2023 offered CaptureFilter, so its name rests on cis_reports.py.
    ServiceType("core.CaptureFilter", "capture-filters", "CaptureFilter", source="cis"),
    # Security lists and NSGs are listed per compartment (the list items are the full models);
    # an NSG's rules are a sub-list of it (/networkSecurityGroups/{id}/securityRules).
    ServiceType(
        "core.SecurityList",
        "security-lists",
        "SecurityList",
        list="/20160918/securityLists",
        summary="core.SecurityList",
        source="rt cis okit",
    ),
    ServiceType(
        "core.NetworkSecurityGroup",
        "network-security-groups",
        "NetworkSecurityGroup",
        list="/20160918/networkSecurityGroups",
        summary="core.NetworkSecurityGroup",
        source="rt cis okit",
    ),
    # Events and Notifications (API 20181201): a rule's actions come with its GET only.
    ServiceType(
        "events.Rule",
        "cloudevents-rules",
        "EventRule",
        get="/20181201/rules/{id}",
        list="/20181201/rules",
        summary="events.RuleSummary",
        source="rt cis okit",
    ),
    ServiceType(
        "ons.NotificationTopic",
        "ons-topics",
        "OnsTopic",
        list="/20181201/topics",
        summary="ons.NotificationTopicSummary",
        source="rt okit",
    ),
    ServiceType(
        "ons.Subscription",
        "ons-subscriptions",
        "OnsSubscription",
        list="/20181201/subscriptions",
        summary="ons.SubscriptionSummary",
        source="rt cis okit",
    ),
    ServiceType(
        "identity.TagDefault",
        "tag-defaults",
        "TagDefault",
        list="/20160918/tagDefaults",
        summary="identity.TagDefaultSummary",
        source="rt okit",
    ),
    # Logging (API 20200531): a log group's logs are a sub-list of it.
    ServiceType(
        "logging.LogGroup",
        "log-groups",
        "LogGroup",
        list="/20200531/logGroups",
        summary="logging.LogGroupSummary",
        source="rt cis okit",
    ),
    ServiceType(
        "integration.IntegrationInstance",
        "integration-instances",
        "IntegrationInstance",
        get="/20190131/integrationInstances/{id}",
        list="/20190131/integrationInstances",
        summary="integration.IntegrationInstanceSummary",
        source="rt cis okit",
    ),
    ServiceType(
        "analytics.AnalyticsInstance",
        "analytics-instances",
        "AnalyticsInstance",
        get="/20190331/analyticsInstances/{id}",
        list="/20190331/analyticsInstances",
        summary="analytics.AnalyticsInstanceSummary",
        source="rt cis okit",
    ),
    # Load balancing. Search does not offer NetworkLoadBalancer in every region (rt: us-sanjose-1
    # had none); there the list call finds them.
    ServiceType(
        "load_balancer.LoadBalancer",
        "load-balancers",
        "LoadBalancer",
        get="/20170115/loadBalancers/{id}",
        source="rt okit",
    ),
    ServiceType(
        "network_load_balancer.NetworkLoadBalancer",
        "network-load-balancers",
        "NetworkLoadBalancer",
        get="/20200501/networkLoadBalancers/{id}",
        list="/20200501/networkLoadBalancers",
        summary="network_load_balancer.NetworkLoadBalancerSummary",
        collection=True,  # NetworkLoadBalancerCollection
        source="rt okit",
    ),
    # Vault: keys are read through their vault's management endpoint (see the emulator's /kms routes).
    ServiceType("key_management.Vault", "vaults", "Vault", get="/20180608/vaults/{id}", source="rt okit"),
    ServiceType("key_management.Key", "keys", "Key", source="rt cis okit"),
    ServiceType(
        "vault.Secret",
        "secrets",
        "VaultSecret",
        get="/20180608/secrets/{id}",
        list="/20180608/secrets",
        summary="vault.SecretSummary",
        source="rt okit",
    ),
    # DevOps: note the capital O of "DevOps" in the Search names.
    ServiceType(
        "devops.DeployPipeline",
        "devops-deploy-pipeline",
        "DevOpsDeployPipeline",
        get="/20210630/deployPipelines/{id}",
        list="/20210630/deployPipelines",
        summary="devops.DeployPipelineSummary",
        collection=True,  # DeployPipelineCollection
        source="rt okit",
    ),
    ServiceType(
        "devops.DeployStage",
        "devops-deploy-stage",
        "DevOpsDeployStage",
        get="/20210630/deployStages/{id}",
        list="/20210630/deployStages",
        summary="devops.DeployStageSummary",
        collection=True,  # DeployStageCollection
        source="rt okit",
    ),
    # IAM (served by the home region's identity endpoint; listed, never searched here). Search
    # calls dynamic groups DynamicResourceGroup (rt, okit), not DynamicGroup.
    ServiceType("identity.Compartment", "compartments", "Compartment", source="rt okit"),
    ServiceType("identity.User", "users", "User", source="rt okit"),
    ServiceType("identity.Group", "groups", "Group", source="rt okit"),
    ServiceType("identity.DynamicGroup", "dynamic-groups", "DynamicResourceGroup", source="rt okit"),
    ServiceType("identity.Policy", "policies", "Policy", source="rt cis okit"),
    ServiceType("cloud_guard.Configuration", "cloud-guard-config"),
    # The tenancy's authentication policy: GET /20160918/authenticationPolicies/{compartmentId}.
    ServiceType("identity.AuthenticationPolicy", "authentication-policies"),
    # Identity domains: listed per compartment by the identity endpoint (IAM resource-type
    # ``domains``); each domain's users, groups, credentials, dynamic groups and password
    # policies are read through the domain's own URL with the Identity Domains (SCIM) API,
    # which ``read domains`` allows (served by ``domains.DomainsWitness``). Search offered no
    # domain type in either tenancy (rt).
    ServiceType(
        "identity.Domain", "domains", list="/20160918/domains", summary="identity.DomainSummary", source="rt"
    ),
    ServiceType("identity_domains.User", "domains"),
    ServiceType("identity_domains.Group", "domains"),
    ServiceType("identity_domains.ApiKey", "domains"),
    ServiceType("identity_domains.AuthToken", "domains"),
    ServiceType("identity_domains.CustomerSecretKey", "domains"),
    ServiceType("identity_domains.DynamicResourceGroup", "domains"),
    ServiceType("identity_domains.PasswordPolicy", "domains"),
    # The platform's logs. Audit (API 20190901): one configuration per tenancy, GET
    # /configuration?compartmentId=<tenancy>; its policy reference documents the resource-type
    # audit-events only. Logging Analytics (API 20200601): ListNamespaces on the tenancy answers
    # the tenancy's namespace and whether it is onboarded ("loganalytics-features-family" covers
    # the tenancy-level kinds such as loganalytics-lifecycle). Connector Hub (API 20200909):
    # serviceconnectors, ListServiceConnectors per compartment (summaries without source and
    # target), GetServiceConnector for the full model.
    ServiceType("audit.Configuration", "audit-events"),
    ServiceType(
        "log_analytics.Namespace",
        "loganalytics-features-family",
        list="/20200601/namespaces",
        summary="log_analytics.NamespaceSummary",
        collection=True,  # NamespaceCollection
    ),
    ServiceType(
        "sch.ServiceConnector",
        "serviceconnectors",
        "ServiceConnector",  # searchable too (rt, cis); the collector lists it where Search finds it
        get="/20200909/serviceConnectors/{id}",
        list="/20200909/serviceConnectors",
        summary="sch.ServiceConnectorSummary",
        collection=True,  # ServiceConnectorCollection
        source="rt cis",
    ),
    # Web Application Firewall (API 20210930, "Policy Details for Web Application Firewall":
    # ListWebAppFirewalls is inspect web-app-firewall, GetWebAppFirewall read). The list returns
    # a WebAppFirewallCollection ({"items": [...]}), not a bare array.
    ServiceType(
        "waf.WebAppFirewall",
        "web-app-firewall",
        get="/20210930/webAppFirewalls/{id}",
        list="/20210930/webAppFirewalls",
        summary="waf.WebAppFirewallSummary",
        collection=True,
    ),
)

BY_MODEL = {t.model: t for t in SERVICE_TYPES}
BY_SEARCH = {t.search.lower(): t for t in SERVICE_TYPES if t.search}

# IAM families (policy reference: "Resource-Types"): a family grants every member type.
FAMILIES: dict[str, frozenset[str]] = {
    "object-family": frozenset({"buckets", "objects"}),
    "volume-family": frozenset({"volumes", "volume-attachments", "volume-backups", "boot-volume-backups"}),
    "instance-family": frozenset({"instances", "instance-images", "volume-attachments", "console-histories"}),
    "virtual-network-family": frozenset(
        {"vcns", "subnets", "route-tables", "security-lists", "vnics", "network-security-groups"}
    ),
    "ons-family": frozenset({"ons-topics", "ons-subscriptions"}),
    "file-family": frozenset({"file-systems", "mount-targets", "export-sets"}),
    "database-family": frozenset({"db-systems", "db-nodes", "db-homes", "databases", "backups"}),
    "autonomous-database-family": frozenset({"autonomous-databases", "autonomous-backups"}),
    "cluster-family": frozenset({"clusters", "cluster-node-pools", "cluster-work-requests"}),
    "stream-family": frozenset({"stream-pools", "streams", "stream-push", "stream-pull"}),
    "mysql-family": frozenset({"mysql-instances", "mysql-backups", "mysql-configurations"}),
    "secret-family": frozenset({"secrets", "secret-bundles"}),
    "devops-family": frozenset({"devops-project", "devops-deploy-pipeline", "devops-deploy-stage"}),
    "cloud-guard-family": frozenset({"cloud-guard-config"}),
    "waf-family": frozenset({"waf-policy", "web-app-firewall", "waf-network-address-list"}),
}
