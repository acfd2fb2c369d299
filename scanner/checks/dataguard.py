"""Named checks that find Data Guard protection declared outside the database resource itself
(OCI-HA-006): a ``oci_database_data_guard_association``, a database created with
``source = "DATAGUARD"``, or an Autonomous Database standby / disaster-recovery peer in another
region or tenancy whose ``source_id`` points back at the primary.

Joins stay inside the resource's scope (its Terraform root or plan).

Policies that call these checks: OCI-HA-006.
"""

from __future__ import annotations

from typing import Any

from scanner.engine.registry import Outcome, ResourceIndex, check
from scanner.model import Resource, is_unknown

ASSOCIATION_KIND = "oci_database_data_guard_association"
DATABASE_KIND = "oci_database_database"
DB_HOME_KIND = "oci_database_db_home"
ADB_KIND = "oci_database_autonomous_database"

# `source` values of an Autonomous Database that make it the standby / DR peer of another one.
ADB_PEER_SOURCES = {
    "CROSS_REGION_DATAGUARD",
    "CROSS_REGION_DISASTER_RECOVERY",
    "CROSS_TENANCY_DISASTER_RECOVERY",
}


def _refs(value: Any, resource: Resource, index: ResourceIndex) -> list[Resource]:
    return index.referenced(value, within=resource)


def _db_system_of(database: Resource, index: ResourceIndex) -> list[Resource]:
    """The DB systems a database resource lives in: through its DB home, or directly (a live
    database names its ``db_system_id``; the provider's resource does not)."""
    out = list(_refs(database.attributes.get("db_system_id"), database, index))
    for home in _refs(database.attributes.get("db_home_id"), database, index):
        if home.kind == DB_HOME_KIND:
            out.extend(r for r in _refs(home.attributes.get("db_system_id"), home, index))
    return out


def _is(resource: Resource, candidates: list[Resource]) -> bool:
    return any(c is resource for c in candidates)


@check("db_system_protected_by_data_guard")
def db_system_protected_by_data_guard(
    resource: Resource, index: ResourceIndex, params: dict[str, Any]
) -> Outcome:
    """True when a DB system is a member of a Data Guard pair declared elsewhere in its scope:
    the primary or peer of a Data Guard association, the ``primary_db_system_id`` of a standby
    system, or the home of a ``source = "DATAGUARD"`` database (or of its primary). None when
    an association exists whose database cannot be resolved statically (it may well be this
    system's); False otherwise."""
    unresolved = False
    for assoc in index.same_scope(resource, ASSOCIATION_KIND):
        if _is(resource, _refs(assoc.attributes.get("peer_db_system_id"), assoc, index)):
            return Outcome(True, detail=f"standby of {assoc.address}")
        primaries = _refs(assoc.attributes.get("database_id"), assoc, index)
        if not primaries:
            unresolved = True
            continue
        for db in primaries:
            if db is resource or (db.kind == DATABASE_KIND and _is(resource, _db_system_of(db, index))):
                return Outcome(True, detail=f"primary of {assoc.address}")
    for system in index.same_scope(resource, resource.kind):
        # a standby DB system (`source = "DATAGUARD"`) names its primary system
        if str(system.attributes.get("source", "")).upper() != "DATAGUARD" or system is resource:
            continue
        if _is(resource, _refs(system.attributes.get("primary_db_system_id"), system, index)):
            return Outcome(True, detail=f"primary of the standby system {system.address}")
    for db in index.same_scope(resource, DATABASE_KIND):
        if str(db.attributes.get("source", "")).upper() != "DATAGUARD":
            continue
        if _is(resource, _db_system_of(db, index)):
            return Outcome(True, detail=f"hosts the standby {db.address}")
        for spec in db.attributes.get("database") or []:
            source_db = spec.get("source_database_id") if isinstance(spec, dict) else None
            for primary in _refs(source_db, db, index):
                if _is(resource, _db_system_of(primary, index)):
                    return Outcome(True, detail=f"primary of the standby {db.address}")
            if is_unknown(source_db) and not getattr(source_db, "ref", None):
                unresolved = True
    if unresolved:
        return Outcome(
            None, detail="a Data Guard association or standby whose primary cannot be resolved statically"
        )
    return Outcome(False)


@check("autonomous_database_has_standby_peer")
def autonomous_database_has_standby_peer(
    resource: Resource, index: ResourceIndex, params: dict[str, Any]
) -> Outcome:
    """True when an Autonomous Database is itself a cross-region / cross-tenancy standby or DR peer,
    or another Autonomous Database in its scope is one with ``source_id`` pointing at it."""
    source = resource.attributes.get("source")
    if isinstance(source, str) and source.upper() in ADB_PEER_SOURCES:
        return Outcome(True, path="source")
    # What the service reports (live, or known in a plan): a remote Data Guard peer or a standby.
    # Only a concrete yes counts: an unknown value leaves the declared configuration to decide.
    if resource.attributes.get("is_remote_data_guard_enabled") is True:
        return Outcome(True, path="is_remote_data_guard_enabled")
    peers = resource.attributes.get("peer_db_ids")
    if isinstance(peers, list) and any(isinstance(p, str) and p for p in peers):
        return Outcome(True, path="peer_db_ids", detail=f"{len(peers)} Data Guard peer(s)")
    for peer in index.same_scope(resource, ADB_KIND):
        peer_source = peer.attributes.get("source")
        if not (isinstance(peer_source, str) and peer_source.upper() in ADB_PEER_SOURCES):
            continue
        if _is(resource, _refs(peer.attributes.get("source_id"), peer, index)):
            return Outcome(True, detail=f"standby peer {peer.address}")
    return Outcome(False)
