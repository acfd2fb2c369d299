"""Named checks on where events and logs go: object events reach a stream, load balancers log.

Policies that call these checks: OCI-LOG-401, OCI-LOG-402.
"""

from __future__ import annotations

import json
from typing import Any

from scanner.engine.registry import Outcome, ResourceIndex, check
from scanner.model import Resource, is_unknown

Params = dict[str, Any]
EVENTS_RULE_KIND = "oci_events_rule"
CREATE_OBJECT = "com.oraclecloud.objectstorage.createobject"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _condition_matches(condition: Any, bucket: Any, event_type: str) -> bool | None:
    """Whether an Events rule condition (JSON text) selects ``event_type`` for ``bucket``:
    a missing ``eventType`` / ``bucketName`` filter selects every event / bucket."""
    if not isinstance(condition, str):
        return None
    try:
        doc = json.loads(condition)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    types = doc.get("eventType")
    if types is not None and event_type not in [str(t).lower() for t in _as_list(types)]:
        return False
    data = doc.get("data") if isinstance(doc.get("data"), dict) else {}
    details = data.get("additionalDetails") if isinstance(data.get("additionalDetails"), dict) else {}
    names = details.get("bucketName")
    if names is None:
        return True
    if not isinstance(bucket, str):
        return None
    return bucket in [str(n) for n in _as_list(names)]


def _delivers_to_stream(rule: Resource) -> bool | None:
    blocks = rule.attributes.get("actions")
    if is_unknown(blocks):
        return None
    found: bool | None = False
    for block in blocks if isinstance(blocks, list) else []:
        for action in block.get("actions") or [] if isinstance(block, dict) else []:
            if not isinstance(action, dict):
                continue
            kind, enabled = action.get("action_type"), action.get("is_enabled", True)
            if is_unknown(kind) or is_unknown(enabled):
                found = None if found is False else found
                continue
            if (
                str(kind).upper() == "OSS"
                and enabled in (True, "true")
                and action.get("stream_id") is not None
            ):
                return True
    return found


@check("bucket_events_reach_stream")
def bucket_events_reach_stream(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-LOG-401: a bucket with ``object_events_enabled`` is selected by an enabled
    ``oci_events_rule`` of the same configuration whose condition matches that bucket's
    create-object events and whose actions deliver to a stream (``action_type = "OSS"``).
    A configuration or inventory without any event rule is not judged: the rules are often
    managed in another Terraform root (unknown when a live inventory says they were not
    collected)."""
    name = resource.attributes.get("name")
    rules = index.same_scope(resource, EVENTS_RULE_KIND)
    if not rules:
        if "events.Rule" in (resource.context.get("missing_types") or ()):
            return Outcome(None, path="object_events_enabled", detail="event rules were not collected")
        # A configuration that manages no event rule leaves them to another root: not judged
        # here (judging would accuse every bucket of a partial scan or a single-file pre-commit).
        return Outcome(True, path="object_events_enabled", detail="no event rule in this configuration")
    undecided = False
    for rule in rules:
        if rule.context.get("not_collected"):  # listed, but its condition and actions unread
            undecided = True
            continue
        enabled = rule.attributes.get("is_enabled")
        if is_unknown(enabled):
            undecided = True
            continue
        if enabled not in (True, "true"):
            continue
        matches = _condition_matches(rule.attributes.get("condition"), name, CREATE_OBJECT)
        if matches is False:
            continue
        delivers = _delivers_to_stream(rule)
        if matches and delivers:
            return Outcome(True, path="object_events_enabled", detail=f"delivered by {rule.address}")
        if matches is None or delivers is None:
            undecided = True
    if "events.Rule" in (resource.context.get("missing_types") or ()):
        # Some rules were read, but a region or compartment failed: the one that delivers this
        # bucket's events may be among those not read.
        return Outcome(None, path="object_events_enabled", detail="event rules were not all collected")
    if undecided:
        return Outcome(None, path="object_events_enabled", detail="an event rule is not known statically")
    return Outcome(
        False,
        path="object_events_enabled",
        detail="no enabled event rule sends this bucket's create-object events to a stream",
    )


LOG_KIND = "oci_logging_log"
DEFAULT_LB_CATEGORIES = ["access", "error"]


def _log_source(log: Resource) -> dict[str, Any] | None:
    config = log.attributes.get("configuration")
    config = config[0] if isinstance(config, list) and config else config
    source = config.get("source") if isinstance(config, dict) else None
    source = source[0] if isinstance(source, list) and source else source
    return source if isinstance(source, dict) else None


@check("lb_has_access_and_error_logs")
def lb_has_access_and_error_logs(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-LOG-402: an ``oci_load_balancer_load_balancer`` has an enabled service log
    (``oci_logging_log`` with ``configuration.source.service = "loadbalancer"`` and
    ``resource`` naming this load balancer, live by OCID) for each of ``categories`` (access,
    error). A live inventory whose log groups were not all listed says unknown when a log is
    missing."""
    wanted = {str(c).lower() for c in params.get("categories", DEFAULT_LB_CATEGORIES)}
    logs = index.same_scope(resource, LOG_KIND)
    # Live: logs are listed per log group; a tenancy where that listing failed (permission,
    # region) may hold the logs, so what is not found there is unknown rather than failed.
    not_collected = resource.provenance.source == "oci" and "logging.LogGroup" in (
        resource.context.get("missing_types") or ()
    )
    found: set[str] = set()
    undecided = False
    for log in logs:
        source = _log_source(log)
        if source is None:
            undecided = undecided or is_unknown(log.attributes.get("configuration"))
            continue
        service, category, target = source.get("service"), source.get("category"), source.get("resource")
        if any(is_unknown(v) for v in (service, category)):
            undecided = True
            continue
        if str(service).lower() != "loadbalancer" or str(category).lower() not in wanted:
            continue
        if log.attributes.get("is_enabled") in (False, "false"):
            continue
        if any(r is resource for r in index.referenced(target, within=resource)) or (
            isinstance(target, str) and target in (resource.address, resource.attributes.get("id"))
        ):
            found.add(str(category).lower())
        elif is_unknown(target) and not target.ref:
            undecided = True
    missing = sorted(wanted - found)
    if not missing:
        return Outcome(True, path="id", detail="access and error logs enabled")
    if not_collected:
        return Outcome(None, path="id", detail="service logs were not collected from this tenancy")
    if undecided:
        return Outcome(None, path="id", detail="a service log's source is not known statically")
    return Outcome(False, path="id", detail=f"no enabled {' and '.join(missing)} log for this load balancer")
