"""What the emulated services offer, written from OCI's documentation — never from the collector.

Each ``ServiceType`` is one kind of object as the documentation describes it:

* ``search``: its name in Resource Search, from the documentation table "Resource Search:
  supported resources" (https://docs.oracle.com/en-us/iaas/Content/Search/Concepts/queryoverview.htm#resourcetypes),
  spelled as the table spells it (results carry this spelling; queries match it without regard
  to case). ``None``: the table has no entry, so Search cannot find it and only its list call can.
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


@dataclass(frozen=True)
class ServiceType:
    """One documented object type: its SDK model (``module.Model``, the inventory's ``type``)."""

    model: str
    iam: str
    search: str | None = None
    get: str | None = None
    list: str | None = None
    summary: str | None = None
    # The list answers a ``...Collection`` object (``{"items": [...]}``), as newer APIs do,
    # instead of a bare JSON array.
    collection: bool = False

    @property
    def module(self) -> str:
        """``core`` of ``core.Volume``."""
        return self.model.split(".", 1)[0]


SERVICE_TYPES: tuple[ServiceType, ...] = (
    # Object Storage: buckets are read by namespace and name, not by OCID.
    ServiceType("object_storage.Bucket", "buckets", "Bucket", get="/n/{namespace}/b/{name}"),
    # Block Volume: boot volumes are governed by the volume permissions (VOLUME_*).
    ServiceType("core.Volume", "volumes", "Volume", get="/20160918/volumes/{id}"),
    ServiceType("core.BootVolume", "volumes", "BootVolume", get="/20160918/bootVolumes/{id}"),
    ServiceType(
        "core.BootVolumeAttachment",
        "instances",  # listed with the instance permissions
        list="/20160918/bootVolumeAttachments",
        summary="core.BootVolumeAttachment",
    ),
    # File Storage: exports belong to export sets (EXPORT_SET_* permissions); Search has no entry.
    ServiceType("file_storage.FileSystem", "file-systems", "FileSystem", get="/20171215/fileSystems/{id}"),
    ServiceType(
        "file_storage.Export",
        "export-sets",
        get="/20171215/exports/{id}",
        list="/20171215/exports",
        summary="file_storage.ExportSummary",
    ),
    # Database
    ServiceType(
        "database.AutonomousDatabase",
        "autonomous-databases",
        "AutonomousDatabase",
        get="/20160918/autonomousDatabases/{id}",
        list="/20160918/autonomousDatabases",
        summary="database.AutonomousDatabaseSummary",
    ),
    ServiceType("database.DbSystem", "db-systems", "DbSystem", get="/20160918/dbSystems/{id}"),
    ServiceType("database.Database", "databases", "Database", get="/20160918/databases/{id}"),
    # MySQL HeatWave: not in the Search table; listed per compartment.
    ServiceType(
        "mysql.DbSystem",
        "mysql-instances",
        get="/20190415/dbSystems/{id}",
        list="/20190415/dbSystems",
        summary="mysql.DbSystemSummary",
    ),
    # Streaming: streams are searchable, stream pools are not in the table.
    ServiceType("streaming.Stream", "streams", "Stream", get="/20180418/streams/{id}"),
    ServiceType(
        "streaming.StreamPool",
        "stream-pools",
        get="/20180418/streampools/{id}",
        list="/20180418/streampools",
        summary="streaming.StreamPoolSummary",
    ),
    # Kubernetes Engine: clusters are searchable (ClustersCluster), node pools are not in the table.
    ServiceType("container_engine.Cluster", "clusters", "ClustersCluster", get="/20180222/clusters/{id}"),
    ServiceType(
        "container_engine.NodePool",
        "cluster-node-pools",
        get="/20180222/nodePools/{id}",
        list="/20180222/nodePools",
        summary="container_engine.NodePoolSummary",
    ),
    # Compute and networking
    ServiceType("core.Instance", "instances", "Instance", get="/20160918/instances/{id}"),
    ServiceType("core.InstancePool", "instance-pools", "InstancePool", get="/20160918/instancePools/{id}"),
    ServiceType("core.Subnet", "subnets", "Subnet", get="/20160918/subnets/{id}"),
    ServiceType(
        "core.Vcn", "vcns", "Vcn", get="/20160918/vcns/{id}", list="/20160918/vcns", summary="core.Vcn"
    ),
    # The Search names of capture filters, security lists, NSGs, event rules, ONS subscriptions,
    # log groups, integration and analytics instances are spelled as Oracle's cis_reports.py
    # 3.2.1 sends them to the real service (benchmarks/cis_reports_run.py replays it here); they
    # still want checking against the documentation's table.
    # Capture filters (VTAP and flow-log filters): found through Search only.
    ServiceType("core.CaptureFilter", "capture-filters", "CaptureFilter"),
    # Security lists and NSGs are listed per compartment (the list items are the full models);
    # an NSG's rules are a sub-list of it (/networkSecurityGroups/{id}/securityRules).
    ServiceType(
        "core.SecurityList",
        "security-lists",
        "SecurityList",
        list="/20160918/securityLists",
        summary="core.SecurityList",
    ),
    ServiceType(
        "core.NetworkSecurityGroup",
        "network-security-groups",
        "NetworkSecurityGroup",
        list="/20160918/networkSecurityGroups",
        summary="core.NetworkSecurityGroup",
    ),
    # Events and Notifications (API 20181201): a rule's actions come with its GET only.
    ServiceType(
        "events.Rule",
        "cloudevents-rules",
        "EventRule",
        get="/20181201/rules/{id}",
        list="/20181201/rules",
        summary="events.RuleSummary",
    ),
    ServiceType(
        "ons.NotificationTopic", "ons-topics", list="/20181201/topics", summary="ons.NotificationTopicSummary"
    ),
    ServiceType(
        "ons.Subscription",
        "ons-subscriptions",
        "OnsSubscription",
        list="/20181201/subscriptions",
        summary="ons.SubscriptionSummary",
    ),
    ServiceType(
        "identity.TagDefault",
        "tag-defaults",
        list="/20160918/tagDefaults",
        summary="identity.TagDefaultSummary",
    ),
    # Logging (API 20200531): a log group's logs are a sub-list of it.
    ServiceType(
        "logging.LogGroup",
        "log-groups",
        "LogGroup",
        list="/20200531/logGroups",
        summary="logging.LogGroupSummary",
    ),
    ServiceType(
        "integration.IntegrationInstance",
        "integration-instances",
        "IntegrationInstance",
        get="/20190131/integrationInstances/{id}",
        list="/20190131/integrationInstances",
        summary="integration.IntegrationInstanceSummary",
    ),
    ServiceType(
        "analytics.AnalyticsInstance",
        "analytics-instances",
        "AnalyticsInstance",
        get="/20190331/analyticsInstances/{id}",
        list="/20190331/analyticsInstances",
        summary="analytics.AnalyticsInstanceSummary",
    ),
    # Load balancing
    ServiceType(
        "load_balancer.LoadBalancer", "load-balancers", "LoadBalancer", get="/20170115/loadBalancers/{id}"
    ),
    ServiceType(
        "network_load_balancer.NetworkLoadBalancer",
        "network-load-balancers",
        "NetworkLoadBalancer",
        get="/20200501/networkLoadBalancers/{id}",
    ),
    # Vault: keys are read through their vault's management endpoint (see the emulator's /kms routes).
    ServiceType("key_management.Vault", "vaults", "Vault", get="/20180608/vaults/{id}"),
    ServiceType("key_management.Key", "keys", "Key"),
    ServiceType("vault.Secret", "secrets", "VaultSecret", get="/20180608/secrets/{id}"),
    # DevOps: note the capital O of "DevOps" in the Search names.
    ServiceType(
        "devops.DeployPipeline",
        "devops-deploy-pipeline",
        "DevOpsDeployPipeline",
        get="/20210630/deployPipelines/{id}",
    ),
    ServiceType(
        "devops.DeployStage", "devops-deploy-stage", "DevOpsDeployStage", get="/20210630/deployStages/{id}"
    ),
    # IAM (served by the home region's identity endpoint; listed, never searched here).
    ServiceType("identity.Compartment", "compartments", "Compartment"),
    ServiceType("identity.User", "users", "User"),
    ServiceType("identity.Group", "groups", "Group"),
    ServiceType("identity.DynamicGroup", "dynamic-groups", "DynamicGroup"),
    ServiceType("identity.Policy", "policies", "Policy"),
    ServiceType("cloud_guard.Configuration", "cloud-guard-config"),
    # The tenancy's authentication policy: GET /20160918/authenticationPolicies/{compartmentId}.
    ServiceType("identity.AuthenticationPolicy", "authentication-policies"),
    # Identity domains: listed per compartment by the identity endpoint (IAM resource-type
    # ``domains``); each domain's users, groups, credentials, dynamic groups and password
    # policies are read through the domain's own URL with the Identity Domains (SCIM) API,
    # which ``read domains`` allows (served by ``domains.DomainsWitness``).
    ServiceType("identity.Domain", "domains", list="/20160918/domains", summary="identity.DomainSummary"),
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
        get="/20200909/serviceConnectors/{id}",
        list="/20200909/serviceConnectors",
        summary="sch.ServiceConnectorSummary",
        collection=True,  # ServiceConnectorCollection
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
