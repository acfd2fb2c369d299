"""Logging Analytics through Connector Hub (OCI-LOG-404/405), Data Safe registration (OCI-DAT-403)
and keys in private vaults (OCI-ENC-401's vault_types), checked on their own."""

from __future__ import annotations

from scanner.checks.data_safe import adb_registered_with_data_safe
from scanner.checks.log_analytics import (
    audit_log_to_logging_analytics,
    log_group_holds_platform_logs,
    log_group_to_logging_analytics,
)
from scanner.checks.vault_keys import key_in_accepted_vault
from scanner.engine.registry import ResourceIndex
from scanner.model import Provenance, Resource, Unknown

SERVICES = {"services": ["loadbalancer", "flowlogs", "oke-k8s-cp-prod"]}


def res(kind: str, label: str, scope: str = "root", baseline: bool = False, **attrs) -> Resource:
    context = {"scope": scope, "tenancy_root": baseline}
    return Resource(kind, f"{kind}.{label}", attrs, Provenance("terraform"), context)


def ref(r: Resource, attr: str = "id") -> Unknown:
    return Unknown("after apply", nonnull=True, ref=r.address, symbol=f"{r.address}.{attr}")


def var(name: str) -> Unknown:
    return Unknown(f"var.{name} has no value", symbol=f"var.{name}")


def connector(label: str, groups: list, target: str = "loggingAnalytics", **attrs) -> Resource:
    sources = [{"compartment_id": c, "log_group_id": g} for c, g in groups]
    return res(
        "oci_sch_service_connector",
        label,
        source=[{"kind": "logging", "log_sources": sources}],
        target=[{"kind": target}],
        **attrs,
    )


def tenancy(baseline: bool = False) -> Resource:
    return res("oci_identity_tenancy", "t", baseline=baseline)


# --- OCI-LOG-404 ---------------------------------------------------------------------------------


def test_the_audit_log_reaches_logging_analytics_only_through_an_active_connector():
    t = tenancy(baseline=True)
    good = connector("a", [(var("tenancy_ocid"), "_Audit_Include_Subcompartment")])
    assert audit_log_to_logging_analytics(t, ResourceIndex([t, good]), {}).result is True
    spelled = connector("e", [(var("tenancy_ocid"), "_Audit")], target="LoggingAnalytics")
    assert audit_log_to_logging_analytics(t, ResourceIndex([t, spelled]), {}).result is True
    off = connector("b", [(var("tenancy_ocid"), "_Audit")], state="INACTIVE")
    bucket = connector("c", [(var("tenancy_ocid"), "_Audit")], target="objectStorage")
    other_log = connector("d", [(var("c"), ref(res("oci_logging_log_group", "x")))])
    for wrong in (off, bucket, other_log):
        assert audit_log_to_logging_analytics(t, ResourceIndex([t, wrong]), {}).result is False, wrong.address


def test_an_absent_connector_is_unknown_outside_the_baseline_and_an_unknown_one_stays_unknown():
    t = tenancy()
    assert audit_log_to_logging_analytics(t, ResourceIndex([t]), {}).result is None
    t = tenancy(baseline=True)
    assert audit_log_to_logging_analytics(t, ResourceIndex([t]), {}).result is False
    unsure = connector("a", [(var("tenancy_ocid"), var("audit_group"))])
    assert audit_log_to_logging_analytics(t, ResourceIndex([t, unsure]), {}).result is None
    state = connector("b", [(var("tenancy_ocid"), "_Audit")], state=var("connector_state"))
    assert audit_log_to_logging_analytics(t, ResourceIndex([t, state]), {}).result is None


# --- OCI-LOG-405 ---------------------------------------------------------------------------------


def _log(label: str, group: Resource, service: str, **attrs) -> Resource:
    source = {"service": service, "category": "access", "resource": var("lb")}
    return res(
        "oci_logging_log", label, log_group_id=ref(group), configuration=[{"source": [source]}], **attrs
    )


def test_only_groups_holding_platform_service_logs_are_judged():
    platform = res("oci_logging_log_group", "platform", compartment_id=var("compartment_ocid"))
    apps = res("oci_logging_log_group", "apps", compartment_id=var("compartment_ocid"))
    lb = _log("lb", platform, "loadbalancer")
    custom = _log("custom", apps, "objectstorage")
    index = ResourceIndex([platform, apps, lb, custom])
    assert log_group_holds_platform_logs(platform, index, SERVICES).result is True
    assert log_group_holds_platform_logs(apps, index, SERVICES).result is False
    disabled = _log("lb", apps, "flowlogs", is_enabled=False)
    assert log_group_holds_platform_logs(apps, ResourceIndex([apps, disabled]), SERVICES).result is False


def test_a_group_is_carried_by_name_or_through_its_compartment():
    platform = res("oci_logging_log_group", "platform", compartment_id=var("compartment_ocid"))
    by_name = connector("a", [(var("compartment_ocid"), ref(platform))])
    by_compartment = connector("b", [(var("compartment_ocid"), None)])
    elsewhere = connector("c", [(var("network_compartment_ocid"), None)])
    other = connector("d", [(var("compartment_ocid"), ref(res("oci_logging_log_group", "network")))])
    assert log_group_to_logging_analytics(platform, ResourceIndex([platform, by_name]), {}).result is True
    assert (
        log_group_to_logging_analytics(platform, ResourceIndex([platform, by_compartment]), {}).result is True
    )
    # another variable may hold the same compartment: not known statically
    assert log_group_to_logging_analytics(platform, ResourceIndex([platform, elsewhere]), {}).result is None
    # a connector naming another group of this root never carries this one
    assert log_group_to_logging_analytics(platform, ResourceIndex([platform, other]), {}).result is None
    baseline_group = res("oci_logging_log_group", "p", baseline=True, compartment_id=var("compartment_ocid"))
    t = tenancy(baseline=True)
    assert (
        log_group_to_logging_analytics(baseline_group, ResourceIndex([t, baseline_group, other]), {}).result
        is False
    )


def test_live_groups_and_connectors_join_by_ocid():
    def live(kind: str, ident: str, **attrs) -> Resource:
        return Resource(
            kind, ident, {"id": ident, **attrs}, Provenance("oci", ocid=ident), {"scope": "oci:t"}
        )

    group = live("oci_logging_log_group", "ocid1.loggroup.a", compartment_id="ocid1.compartment.app")
    log = Resource(
        "oci_logging_log",
        "ocid1.log.a",
        {"log_group_id": "ocid1.loggroup.a", "configuration": [{"source": [{"service": "flowlogs"}]}]},
        Provenance("oci"),
        {"scope": "oci:t"},
    )
    carried = live(
        "oci_sch_service_connector",
        "ocid1.serviceconnector.a",
        state="ACTIVE",
        source=[
            {"kind": "logging", "log_sources": [{"compartment_id": "x", "log_group_id": "ocid1.loggroup.a"}]}
        ],
        target=[{"kind": "loggingAnalytics"}],
    )
    unrelated = live(
        "oci_sch_service_connector",
        "ocid1.serviceconnector.b",
        state="ACTIVE",
        source=[
            {"kind": "logging", "log_sources": [{"compartment_id": "x", "log_group_id": "ocid1.loggroup.b"}]}
        ],
        target=[{"kind": "loggingAnalytics"}],
    )
    assert log_group_holds_platform_logs(group, ResourceIndex([group, log]), SERVICES).result is True
    assert log_group_to_logging_analytics(group, ResourceIndex([group, carried]), {}).result is True
    assert log_group_to_logging_analytics(group, ResourceIndex([group, unrelated]), {}).result is False


# --- OCI-DAT-403 ---------------------------------------------------------------------------------


def test_data_safe_registration_by_status_or_target_database():
    adb = res("oci_database_autonomous_database", "core", data_safe_status="REGISTERED")
    assert adb_registered_with_data_safe(adb, ResourceIndex([adb]), {}).result is True
    off = res("oci_database_autonomous_database", "core", data_safe_status="NOT_REGISTERED")
    assert adb_registered_with_data_safe(off, ResourceIndex([off]), {}).result is False
    silent = res("oci_database_autonomous_database", "core")
    assert adb_registered_with_data_safe(silent, ResourceIndex([silent]), {}).result is None
    target = res(
        "oci_data_safe_target_database", "core", database_details=[{"autonomous_database_id": ref(silent)}]
    )
    assert adb_registered_with_data_safe(silent, ResourceIndex([silent, target]), {}).result is True
    # the root registers another database, not this one
    other = res("oci_database_autonomous_database", "reporting")
    target = res(
        "oci_data_safe_target_database", "r", database_details=[{"autonomous_database_id": ref(other)}]
    )
    assert adb_registered_with_data_safe(silent, ResourceIndex([silent, other, target]), {}).result is False
    # a target whose database is a variable may be this one
    loose = res(
        "oci_data_safe_target_database", "v", database_details=[{"autonomous_database_id": var("adb")}]
    )
    assert adb_registered_with_data_safe(silent, ResourceIndex([silent, loose]), {}).result is None
    unknown = res("oci_database_autonomous_database", "core", data_safe_status=var("status"))
    assert adb_registered_with_data_safe(unknown, ResourceIndex([unknown]), {}).result is None


# --- OCI-ENC-401 ---------------------------------------------------------------------------------

PRIVATE = {"vault_types": ["VIRTUAL_PRIVATE"]}


def test_a_key_passes_in_an_accepted_vault_only_when_the_parameter_accepts_it():
    private = res("oci_kms_vault", "private", vault_type="VIRTUAL_PRIVATE")
    shared = res("oci_kms_vault", "shared", vault_type="DEFAULT")
    in_private = res(
        "oci_kms_key",
        "a",
        protection_mode="SOFTWARE",
        management_endpoint=ref(private, "management_endpoint"),
    )
    in_shared = res(
        "oci_kms_key", "b", protection_mode="SOFTWARE", management_endpoint=ref(shared, "management_endpoint")
    )
    index = ResourceIndex([private, shared, in_private, in_shared])
    assert key_in_accepted_vault(in_private, index, PRIVATE).result is True
    assert key_in_accepted_vault(in_shared, index, PRIVATE).result is False
    assert key_in_accepted_vault(in_private, index, {"vault_types": []}).result is False


def test_a_key_whose_vault_cannot_be_resolved_is_unknown():
    loose = res("oci_kms_key", "a", protection_mode="SOFTWARE", management_endpoint=var("vault_endpoint"))
    assert key_in_accepted_vault(loose, ResourceIndex([loose]), PRIVATE).result is None
    literal = res(
        "oci_kms_key", "b", protection_mode="SOFTWARE", management_endpoint="https://x-management.kms"
    )
    assert key_in_accepted_vault(literal, ResourceIndex([literal]), PRIVATE).result is None


def test_live_keys_find_their_vault_by_vault_id():
    def live(kind: str, ident: str, **attrs) -> Resource:
        return Resource(
            kind, ident, {"id": ident, **attrs}, Provenance("oci", ocid=ident), {"scope": "oci:t"}
        )

    vault = live("oci_kms_vault", "ocid1.vault.p", vault_type="VIRTUAL_PRIVATE")
    key = live("oci_kms_key", "ocid1.key.k", protection_mode="SOFTWARE", vault_id="ocid1.vault.p")
    orphan = live("oci_kms_key", "ocid1.key.o", protection_mode="SOFTWARE", vault_id="ocid1.vault.gone")
    index = ResourceIndex([vault, key, orphan])
    assert key_in_accepted_vault(key, index, PRIVATE).result is True
    assert key_in_accepted_vault(orphan, index, PRIVATE).result is None


# --- hostile shapes ------------------------------------------------------------------------------

WEIRD = [
    None,
    "x",
    1,
    [],
    [None],
    [{"kind": ["logging"]}],
    {"kind": "logging", "log_sources": "x"},
    [{"kind": "logging", "log_sources": [None, 1, {"log_group_id": ["_Audit"]}, {"log_group_id": {"a": 1}}]}],
    Unknown("u"),
]


def test_malformed_blocks_give_an_answer_never_an_exception():
    """Attributes of the wrong shape (a plan or snapshot written by hand, a hostile pull request)
    are judged or left unknown; none of the checks raises."""
    t = tenancy(baseline=True)
    group = res("oci_logging_log_group", "g", baseline=True, compartment_id=["x"])
    for shape in WEIRD:
        for state in (None, 1, ["ACTIVE"], Unknown("s")):
            conn = res(
                "oci_sch_service_connector", "c", baseline=True, source=shape, target=shape, state=state
            )
            log = res("oci_logging_log", "l", baseline=True, log_group_id=shape, configuration=shape)
            index = ResourceIndex([t, group, conn, log])
            assert audit_log_to_logging_analytics(t, index, {}).result in (True, False, None)
            assert log_group_holds_platform_logs(group, index, SERVICES).result in (True, False, None)
            assert log_group_to_logging_analytics(group, index, {}).result in (True, False, None)
        adb = res("oci_database_autonomous_database", "a", data_safe_status=shape)
        target = res("oci_data_safe_target_database", "t", database_details=shape)
        assert adb_registered_with_data_safe(adb, ResourceIndex([adb, target]), {}).result in (
            True,
            False,
            None,
        )
        vault = res("oci_kms_vault", "v", vault_type=shape)
        key = res("oci_kms_key", "k", management_endpoint=shape, vault_id=shape)
        assert key_in_accepted_vault(key, ResourceIndex([vault, key]), PRIVATE).result in (True, False, None)
