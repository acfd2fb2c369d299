"""Logs that reach Logging Analytics through Connector Hub (OCI-LOG-404, OCI-LOG-405).

A service connector (``oci_sch_service_connector``; live, ``sch.ServiceConnector`` mapped onto the
provider's names) moves logs when it is ACTIVE, its ``source`` is of kind ``logging`` and its
``target`` of kind ``loggingAnalytics``. Each ``source.log_sources`` item names a compartment and
optionally a log group (and a log): ``_Audit`` / ``_Audit_Include_Subcompartment`` stand for the
audit log, a log source without a log group carries every log group of its compartment.

A root that declares no connector says nothing about the tenancy's connectors (they often live in
a security root): absent connectors are unknown there, failed only live or for a root marked
``tenancy_root`` (``checks.tenancy.absent``).

Policies that call these checks: OCI-LOG-404, OCI-LOG-405.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scanner.checks.tenancy import _same_target, absent
from scanner.engine.registry import Outcome, ResourceIndex, check
from scanner.model import Resource, Unknown, is_unknown

Params = dict[str, Any]
CONNECTOR = "oci_sch_service_connector"
LOG = "oci_logging_log"
AUDIT_GROUPS = ("_Audit", "_Audit_Include_Subcompartment")
# Connector states that still move data (the provider's ``state``, live ``lifecycle_state``).
MOVING = {"ACTIVE"}


def _block(value: Any) -> dict[str, Any] | Unknown | None:
    """The single nested block of ``value`` (a list of one object, as in plan JSON)."""
    if is_unknown(value):
        return value
    if isinstance(value, list) and value:
        value = value[0]
    return value if isinstance(value, dict) else None


def _kind(block: dict[str, Any] | Unknown | None) -> str | Unknown | None:
    if block is None or is_unknown(block):
        return block  # type: ignore[return-value]
    kind = block.get("kind")
    return kind if is_unknown(kind) else (str(kind) if kind is not None else None)


def _to_logging_analytics(connector: Resource) -> Outcome:
    """Whether one connector is active and moves logs from Logging into Logging Analytics."""
    state = connector.attributes.get("state")
    if is_unknown(state):
        return Outcome(None, detail=f"{connector.address}: state not known statically")
    # Terraform creates a connector ACTIVE unless ``state = "INACTIVE"`` says otherwise.
    if state is not None and str(state).upper() not in MOVING:
        return Outcome(False, detail=f"{connector.address} is {state}")
    source, target = _block(connector.attributes.get("source")), _block(connector.attributes.get("target"))
    kinds = (_kind(source), _kind(target))
    if any(is_unknown(k) for k in kinds):
        return Outcome(None, detail=f"{connector.address}: source or target kind not known statically")
    # Kinds are read without regard to case: the provider's own example writes "Streaming".
    if str(kinds[0]).lower() != "logging":
        return Outcome(False, detail=f"{connector.address} does not read from Logging")
    if str(kinds[1]).lower() != "logginganalytics":
        return Outcome(False, detail=f"{connector.address} delivers to {kinds[1]}, not Logging Analytics")
    return Outcome(True)


def _log_sources(connector: Resource) -> Iterator[dict[str, Any] | Unknown]:
    source = _block(connector.attributes.get("source"))
    if not isinstance(source, dict):
        return
    items = source.get("log_sources")
    if is_unknown(items):
        yield items
        return
    for item in items or []:
        if isinstance(item, dict) or is_unknown(item):
            yield item


def _connectors(resource: Resource, index: ResourceIndex) -> tuple[list[Resource], Outcome | None]:
    """Connectors of the scope that move logs into Logging Analytics, and the first reason an
    undecided one gives."""
    moving: list[Resource] = []
    unsure: Outcome | None = None
    for connector in index.same_scope(resource, CONNECTOR):
        if connector.context.get("not_collected"):
            unsure = unsure or Outcome(None, path="id", detail=str(connector.context["not_collected"]))
            continue
        outcome = _to_logging_analytics(connector)
        if outcome.result is True:
            moving.append(connector)
        elif outcome.result is None:
            unsure = unsure or Outcome(None, path="id", detail=outcome.detail)
    return moving, unsure


@check("audit_log_to_logging_analytics")
def audit_log_to_logging_analytics(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-LOG-404: an active connector of the tenancy carries the audit log (a log source whose
    log group is one of ``audit_groups``) into Logging Analytics."""
    wanted = {str(g) for g in params.get("audit_groups") or AUDIT_GROUPS}
    moving, unsure = _connectors(resource, index)
    for connector in moving:
        for item in _log_sources(connector):
            group = item if is_unknown(item) else item.get("log_group_id")
            if isinstance(group, str) and group in wanted:
                return Outcome(True, path="id", detail=f"{connector.address} carries {group}")
            if isinstance(group, Unknown) and group.ref and not group.ref.startswith("data."):
                continue  # a log group this configuration creates is never the service's audit log
            if is_unknown(group):
                unsure = unsure or Outcome(
                    None, path="id", detail=f"{connector.address}: a log source is not known statically"
                )
    if unsure:
        return unsure
    return absent(
        resource, index, [CONNECTOR], "active connector carrying the audit log to Logging Analytics"
    )


def _service_of(log: Resource) -> str | Unknown | None:
    configuration = _block(log.attributes.get("configuration"))
    if not isinstance(configuration, dict):
        return configuration if is_unknown(configuration) else None
    source = _block(configuration.get("source"))
    if not isinstance(source, dict):
        return source if is_unknown(source) else None
    service = source.get("service")
    return service if is_unknown(service) else (str(service).lower() if service is not None else None)


def _same(a: Any, b: Any) -> bool | None:
    """Whether two values name one object: ``checks.tenancy``'s comparison, plus two unknowns
    written the same way (``var.compartment_ocid`` twice) naming the same thing."""
    if isinstance(a, Unknown) and isinstance(b, Unknown) and not (a.ref and b.ref):
        if a.symbol and a.symbol == b.symbol:
            return True
    return _same_target(a, b)


def _names(value: Any, group: Resource) -> bool | None:
    """Whether ``value`` (a log's or log source's ``log_group_id``) names ``group``: a reference
    to its address in code, its OCID live. A literal OCID never names a group a Terraform root
    creates (its OCID is not known before apply)."""
    if isinstance(value, Unknown):
        if value.ref is None:
            return None
        return _same_target(value, Unknown("log group", ref=group.address))
    own = group.attributes.get("id")
    if isinstance(value, str) and isinstance(own, str):
        return value == own
    return False if isinstance(value, str) else None


def _held_services(group: Resource, index: ResourceIndex, services: set[str]) -> tuple[set[str], bool]:
    """The services of ``services`` whose enabled logs the group holds, and whether some log's
    group or service is not known statically."""
    held: set[str] = set()
    unsure = False
    for log in index.same_scope(group, LOG):
        enabled = log.attributes.get("is_enabled")
        if enabled is False or str(enabled).lower() == "false":
            continue
        inside = _names(log.attributes.get("log_group_id"), group)
        if inside is False:
            continue
        service = _service_of(log)
        if is_unknown(service):
            unsure = unsure or inside is True
            continue
        if service in services:
            if inside is True:
                held.add(service)
            else:
                unsure = True
    return held, unsure


@check("log_group_holds_platform_logs")
def log_group_holds_platform_logs(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-LOG-405's ``when``: the log group holds enabled service logs of one of ``services``
    (load balancers, VCN flow logs, OKE)."""
    services = {str(s).lower() for s in params.get("services") or []}
    held, unsure = _held_services(resource, index, services)
    if held:
        return Outcome(True, path="id", detail=", ".join(sorted(held)))
    return Outcome(
        None if unsure else False,
        path="id",
        detail="a log's group or service is not known statically" if unsure else None,
    )


@check("log_group_to_logging_analytics")
def log_group_to_logging_analytics(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-LOG-405: an active connector carries this log group into Logging Analytics: a log
    source naming the group (or one of its logs), or naming only the group's compartment."""
    compartment = resource.attributes.get("compartment_id")
    moving, unsure = _connectors(resource, index)
    for connector in moving:
        for item in _log_sources(connector):
            if is_unknown(item):
                unsure = unsure or Outcome(
                    None, path="id", detail=f"{connector.address}: log sources not known statically"
                )
                continue
            group = item.get("log_group_id")
            if group is None or group == "":
                # A log source without a log group carries every log group of its compartment.
                same = _same(item.get("compartment_id"), compartment)
            elif isinstance(group, str) and group in AUDIT_GROUPS:
                continue
            else:
                same = _names(group, resource)
            if same is True:
                return Outcome(True, path="id", detail=f"carried by {connector.address}")
            if same is None:
                unsure = unsure or Outcome(
                    None, path="id", detail=f"{connector.address}: a log source is not known statically"
                )
    if unsure:
        return unsure
    return absent(
        resource, index, [CONNECTOR], "active connector carrying this log group to Logging Analytics"
    )
