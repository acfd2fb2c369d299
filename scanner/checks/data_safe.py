"""Autonomous Databases registered with Data Safe (OCI-DAT-403).

Live, the database says it itself: ``data_safe_status`` (``REGISTERED``, ``NOT_REGISTERED``,
``DEREGISTERED``, ``REGISTERING``, ``FAILED``). In Terraform the attribute is optional and
computed: a database is registered when it sets ``data_safe_status = "REGISTERED"`` or when an
``oci_data_safe_target_database`` of the same root names it in
``database_details.autonomous_database_id``. Registration is often done outside Terraform (the
console's one click), so a database that says nothing is unknown, unless its root registers
other databases with ``oci_data_safe_target_database``: that root manages registrations, and one
it leaves out fails.

Policies that call these checks: OCI-DAT-403.
"""

from __future__ import annotations

from typing import Any

from scanner.engine.registry import Outcome, ResourceIndex, check
from scanner.model import Resource, Unknown, is_unknown

TARGET = "oci_data_safe_target_database"
REGISTERED = "REGISTERED"


def _registering_targets(adb: Resource, index: ResourceIndex) -> tuple[list[Resource], bool]:
    """Target databases of the scope that name ``adb``, and whether some target's database is
    not known statically (it may name it)."""
    named: list[Resource] = []
    unsure = False
    own_id = adb.attributes.get("id")
    for target in index.same_scope(adb, TARGET):
        details = target.attributes.get("database_details")
        if is_unknown(details):
            unsure = True
            continue
        for block in details if isinstance(details, list) else [details]:
            if not isinstance(block, dict):
                continue
            value = block.get("autonomous_database_id")
            if isinstance(value, Unknown):
                if value.ref is None:
                    unsure = True
                elif adb in index.referenced(value, adb):
                    named.append(target)
            elif isinstance(value, str) and isinstance(own_id, str) and value == own_id:
                named.append(target)
    return named, unsure


@check("adb_registered_with_data_safe")
def adb_registered_with_data_safe(
    resource: Resource, index: ResourceIndex, params: dict[str, Any]
) -> Outcome:
    """OCI-DAT-403: the database is registered with Data Safe (see the module docstring)."""
    status = resource.attributes.get("data_safe_status")
    if isinstance(status, str) and status.upper() == REGISTERED:
        return Outcome(True, path="data_safe_status")
    if status is None and resource.provenance.source == "oci":
        # The service always reports it; a snapshot without it cannot tell.
        return Outcome(None, path="data_safe_status", detail="data_safe_status not in the snapshot")
    named, unsure = _registering_targets(resource, index)
    if named:
        return Outcome(True, path="id", detail=f"registered by {named[0].address}")
    if is_unknown(status):
        return Outcome(None, path="data_safe_status", detail="data_safe_status not known statically")
    if isinstance(status, str):
        return Outcome(False, path="data_safe_status", detail=f"data_safe_status is {status}")
    if unsure:
        return Outcome(
            None, path="id", detail="a Data Safe target database's database is not known statically"
        )
    if index.same_scope(resource, TARGET):
        return Outcome(
            False, path="id", detail="this root registers databases with Data Safe, but not this one"
        )
    return Outcome(
        None,
        path="data_safe_status",
        detail="registration with Data Safe is not declared here (it may be done outside Terraform)",
    )
