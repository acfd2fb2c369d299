"""Data Guard declared beside a database (OCI-HA-006): associations, DATAGUARD databases, ADB peers."""

from __future__ import annotations

from scanner.checks.dataguard import autonomous_database_has_standby_peer, db_system_protected_by_data_guard
from scanner.engine.registry import ResourceIndex
from scanner.model import Provenance, Resource, Unknown


def res(kind: str, label: str, scope: str = "envs/prod", **attrs) -> Resource:
    return Resource(kind, f"{kind}.{label}", attrs, Provenance("terraform"), {"scope": scope})


def id_of(r: Resource) -> Unknown:
    return Unknown("after apply", nonnull=True, ref=r.address, symbol=f"{r.address}.id")


def test_association_peer_and_primary_both_pass():
    primary = res("oci_database_db_system", "a")
    standby = res("oci_database_db_system", "b")
    home = res("oci_database_db_home", "a", db_system_id=id_of(primary))
    db = res("oci_database_database", "a", db_home_id=id_of(home))
    assoc = res(
        "oci_database_data_guard_association", "a", database_id=id_of(db), peer_db_system_id=id_of(standby)
    )
    index = ResourceIndex([primary, standby, home, db, assoc])
    assert db_system_protected_by_data_guard(primary, index, {}).result is True
    assert db_system_protected_by_data_guard(standby, index, {}).result is True


def test_unresolvable_association_is_unknown_and_none_is_a_failure():
    system = res("oci_database_db_system", "a")
    assoc = res("oci_database_data_guard_association", "a", database_id=Unknown("data source"))
    assert db_system_protected_by_data_guard(system, ResourceIndex([system, assoc]), {}).result is None
    assert db_system_protected_by_data_guard(system, ResourceIndex([system]), {}).result is False
    # an association in another root says nothing about this one
    other = res("oci_database_data_guard_association", "a", scope="envs/dev", database_id=Unknown("x"))
    assert db_system_protected_by_data_guard(system, ResourceIndex([system, other]), {}).result is False


def test_dataguard_database_protects_the_system_it_lives_in():
    system = res("oci_database_db_system", "sb")
    home = res("oci_database_db_home", "sb", db_system_id=id_of(system))
    standby = res("oci_database_database", "sb", db_home_id=id_of(home), source="DATAGUARD")
    assert (
        db_system_protected_by_data_guard(system, ResourceIndex([system, home, standby]), {}).result is True
    )


def test_autonomous_standby_peer_protects_its_primary():
    primary = res("oci_database_autonomous_database", "p")
    peer = res(
        "oci_database_autonomous_database", "s", source="CROSS_REGION_DATAGUARD", source_id=id_of(primary)
    )
    clone = res("oci_database_autonomous_database", "c", source="DATABASE", source_id=id_of(primary))
    assert autonomous_database_has_standby_peer(primary, ResourceIndex([primary, peer]), {}).result is True
    assert autonomous_database_has_standby_peer(peer, ResourceIndex([primary, peer]), {}).result is True
    assert autonomous_database_has_standby_peer(primary, ResourceIndex([primary, clone]), {}).result is False


def test_standby_system_names_its_primary():
    primary = res("oci_database_db_system", "p")
    standby = res("oci_database_db_system", "s", source="DATAGUARD", primary_db_system_id=id_of(primary))
    assert db_system_protected_by_data_guard(primary, ResourceIndex([primary, standby]), {}).result is True
