"""Tenancy-level facts (CIS OCI 4.1-4.15, 4.18, 6.1, 6.2) and joins to logs.

Many recommendations say "some object exists": an event rule, a subscribed topic, a compartment.
Each source gives one ``oci_identity_tenancy`` resource per scope (a live snapshot, a Terraform root,
a plan) for rules to hang such facts on. Live, an absent object is a failure when its type was
collected, unknown otherwise. A Terraform root usually declares only part of a tenancy, so an
absent object there is unknown, never failed, unless the configuration marks the root as the
tenancy's baseline (``tenancy_root: true``, set on the tenancy resource's context).

Policies that call these checks: OCI-IAM-201, OCI-MON-301, OCI-MON-302, OCI-MON-303, OCI-MON-304,
OCI-MON-305, OCI-MON-306, OCI-MON-307, OCI-MON-308, OCI-MON-309, OCI-MON-310, OCI-MON-311, OCI-MON-312,
OCI-MON-313, OCI-MON-315, OCI-MON-317, OCI-MON-318, OCI-OPS-201, OCI-OPS-301, OCI-OPS-302,
OCI-LOG-403, OCI-LOG-404.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

from scanner.engine.registry import Outcome, ResourceIndex, check
from scanner.model import Resource, Unknown, is_unknown, strip_instance_keys

Params = dict[str, Any]
TENANCY = "oci_identity_tenancy"
ROOT_VARIABLES = ("tenancy_ocid", "tenancy_id", "tenancy", "root_compartment_ocid", "root_compartment_id")


def _live(resource: Resource) -> bool:
    return resource.provenance.source == "oci"


def _tenancy_of(resource: Resource, index: ResourceIndex) -> Resource | None:
    if resource.kind == TENANCY:
        return resource
    found = index.same_scope(resource, TENANCY)
    return found[0] if found else None


def absent(resource: Resource, index: ResourceIndex, kinds: list[str], what: str) -> Outcome:
    """The outcome when nothing of ``kinds`` in ``resource``'s scope satisfies the rule: failed
    live (unless a needed type was not collected) and for a Terraform root marked
    ``tenancy_root``; unknown for any other Terraform root or plan."""
    if _live(resource):
        # The snapshot says which kinds it could not list completely (``missing_kinds``).
        missing = set(resource.context.get("missing_kinds") or ()) & set(kinds)
        if missing:
            return Outcome(None, path="id", detail=f"{', '.join(sorted(missing))} not collected")
        return Outcome(False, path="id", detail=f"no {what}")
    tenancy = _tenancy_of(resource, index)
    incomplete = tenancy.context.get("incomplete") if tenancy is not None else None
    if incomplete:
        return Outcome(None, path="id", detail=f"no {what} found, but this root is incomplete: {incomplete}")
    if tenancy is not None and tenancy.context.get("tenancy_root"):
        return Outcome(False, path="id", detail=f"no {what} in this root, the tenancy's baseline")
    return Outcome(
        None,
        path="id",
        detail=f"no {what} in this root; it may be declared elsewhere "
        "(mark the tenancy's baseline root with tenancy_root: true to decide)",
    )


@check("tenancy_judged")
def tenancy_judged(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """Whether a tenancy-level rule (or a join to objects any root may hold: a subnet's flow log)
    applies: always live; in code, when the root is marked as the tenancy's baseline or declares
    something of ``kinds`` (an event rule, a compartment, a log). A root that declares none of
    them says nothing about the tenancy: no finding, rather than one more unknown on every root
    (the compliance section still shows the recommendation as unknown)."""
    tenancy = _tenancy_of(resource, index)
    if _live(resource) or (tenancy is not None and tenancy.context.get("tenancy_root")):
        return Outcome(True)
    kinds = list(params.get("kinds") or [])
    return Outcome(any(index.same_scope(resource, kind) for kind in kinds))


@check("tenancy_declares")
def tenancy_declares(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """Some resource of ``kinds`` in the tenancy's scope satisfies ``where`` (a condition of the
    policy language; every one counts without it). ``what`` names it in the finding."""
    from scanner.engine.conditions import Evaluator

    kinds = list(params.get("kinds") or [])
    where = params.get("where")
    what = str(params.get("what") or " or ".join(kinds))
    evaluator = Evaluator(params, index)
    unsure: Outcome | None = None
    for kind in kinds:
        for candidate in index.same_scope(resource, kind):
            if candidate.context.get("not_collected"):
                # A stand-in for objects a snapshot could not list: it proves nothing either way.
                unsure = unsure or Outcome(None, path="id", detail=str(candidate.context["not_collected"]))
                continue
            outcome = Outcome(True) if where is None else evaluator.run(where, candidate)
            if outcome.result is True:
                return Outcome(True, path="id", detail=f"{candidate.address}")
            if outcome.result is None and unsure is None:
                detail = f"{candidate.address}: {outcome.detail or 'unknown'}"
                unsure = Outcome(None, path="id", detail=detail)
    return unsure or absent(resource, index, kinds, what)


def is_root_compartment(value: Any, resource: Resource, params: Params | None = None) -> bool | None:
    """Whether a ``compartment_id`` is the tenancy (root compartment): live, the snapshot's
    tenancy OCID; in Terraform a tenancy OCID literal or a variable named like one
    (``root_variables``). None when it cannot be told."""
    names = tuple((params or {}).get("root_variables") or ROOT_VARIABLES)
    if isinstance(value, str):
        tenancy = resource.context.get("tenancy_id")
        if tenancy:
            return value == tenancy
        if value.startswith("ocid1.tenancy."):
            return True
        if value.startswith("ocid1.compartment."):
            return False
        return None
    if isinstance(value, Unknown):
        symbol = (value.symbol or "").strip()
        if symbol.startswith("var.") and symbol[4:] in names:
            return True
        if value.ref is not None and "oci_identity_compartment" in value.ref:
            return False
        if symbol.startswith(("oci_identity_compartment.", "module.")) or "compartment" in symbol:
            return False
        return None
    return None


@check("not_in_root_compartment")
def not_in_root_compartment(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-OPS-302: the resource's ``compartment_id`` is not the root compartment."""
    value = resource.attributes.get("compartment_id")
    if value is None:
        # Placed through its parent (a stream in its pool), which is judged itself.
        return Outcome(True, path="compartment_id", detail="no compartment_id of its own")
    root = is_root_compartment(value, resource, params)
    if root is None:
        return Outcome(None, path="compartment_id", detail="compartment not known statically")
    return Outcome(not root, path="compartment_id", detail="the root compartment" if root else None)


@check("in_root_compartment")
def in_root_compartment(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-OPS-201: the resource (Cloud Guard's configuration) is in the root compartment."""
    value = resource.attributes.get("compartment_id")
    root = is_root_compartment(value, resource, params)
    if root is None:
        return Outcome(None, path="compartment_id", detail="compartment not known statically")
    return Outcome(root, path="compartment_id", detail=None if root else "not the root compartment")


# --- Notifications ------------------------------------------------------------------------------


def _same_target(a: Any, b: Any) -> bool | None:
    """Whether two references name one object: equal OCIDs, or references to one address."""
    if isinstance(a, Unknown) and isinstance(b, Unknown):
        if a.ref and b.ref:
            if a.ref == b.ref:
                return True
            if a.ref.endswith("]") and b.ref.endswith("]"):
                return False  # two instances of one for_each / count resource are not one object
            return strip_instance_keys(a.ref) == strip_instance_keys(b.ref)
        return None
    if isinstance(a, Unknown) or isinstance(b, Unknown):
        return None
    return a is not None and a == b


def _topic_ids(topic: Resource) -> list[Any]:
    """The values that identify a topic: its OCID live, a reference to its address in code."""
    ids: list[Any] = [topic.attributes.get(k) for k in ("topic_id", "id") if topic.attributes.get(k)]
    ids.append(Unknown("topic", ref=topic.address))
    return ids


def _subscribed(topic_ref: Any, near: Resource, index: ResourceIndex) -> Outcome:
    """Whether a subscription of ``near``'s scope delivers the topic ``topic_ref`` names."""
    unsure = False
    for sub in index.same_scope(near, "oci_ons_subscription"):
        state = str(sub.attributes.get("state") or sub.attributes.get("lifecycle_state") or "ACTIVE")
        if state.upper() not in ("ACTIVE", "PENDING"):
            continue
        same = _same_target(sub.attributes.get("topic_id"), topic_ref)
        if same:
            return Outcome(True, detail=f"subscribed by {sub.address}")
        if same is None:
            unsure = True
    if unsure:
        return Outcome(None, detail="a subscription's topic is not known statically")
    return absent(near, index, ["oci_ons_subscription"], "subscription to the topic")


@check("topic_has_subscription")
def topic_has_subscription(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """A notification topic with at least one (active or pending) subscription."""
    outcome = Outcome(False)
    for ref in _topic_ids(resource):
        outcome = _subscribed(ref, resource, index)
        if outcome.result is True:
            return outcome
    return outcome


def _event_types(rule: Resource) -> list[str] | None | Unknown:
    """The event types a rule's condition matches (lower-cased), None when it names none (then it
    matches every event, as ``{}`` does), or an ``Unknown``."""
    details = rule.attributes.get("condition_details")
    if is_unknown(details):
        return details
    if isinstance(details, list) and details and isinstance(details[0], dict):
        types = details[0].get("event_types")
        if is_unknown(types):
            return types
        if isinstance(types, list):
            return [str(t).lower() for t in types if isinstance(t, str)]
    condition = rule.attributes.get("condition")
    if is_unknown(condition):
        return condition
    if not isinstance(condition, str):
        return []
    try:
        doc = json.loads(condition)
    except ValueError:
        return []  # the service rejects such a rule; it matches nothing
    if not isinstance(doc, dict):
        return []
    value = next((v for k, v in doc.items() if k.lower() == "eventtype"), None)
    if value is None:
        return None
    values = value if isinstance(value, list) else [value]
    return [str(v).lower() for v in values if isinstance(v, str)]


def _covers(patterns: list[str], required: list[str]) -> list[str]:
    """The required event types no pattern matches (``*`` wildcards allowed)."""
    return [t for t in required if not any(fnmatch.fnmatchcase(t, p) for p in patterns)]


def _actions(rule: Resource) -> list[Any] | Unknown:
    blocks = rule.attributes.get("actions")
    if is_unknown(blocks):
        return blocks
    out: list[Any] = []
    for block in blocks or []:
        if not isinstance(block, dict):
            continue
        for key in ("action", "actions"):  # "actions" is the provider's deprecated spelling
            items = block.get(key)
            if is_unknown(items):
                return items
            out += list(items or [])
    return out


def rule_notifies(rule: Resource, required: list[list[str]], index: ResourceIndex, params: Params) -> Outcome:
    """Whether one event rule is enabled, in the root compartment, matches every event type of one
    of the ``required`` sets and has an enabled ONS action whose topic has a subscription."""
    enabled = rule.attributes.get("is_enabled")
    if is_unknown(enabled):
        return Outcome(None, detail=f"{rule.address}: is_enabled not known statically")
    if enabled is not True and str(enabled).lower() != "true":
        return Outcome(False, detail=f"{rule.address} is disabled")
    root = is_root_compartment(rule.attributes.get("compartment_id"), rule, params)
    if root is False:
        return Outcome(False, detail=f"{rule.address} is not in the root compartment")
    types = _event_types(rule)
    if is_unknown(types):
        return Outcome(None, detail=f"{rule.address}: condition not known statically")
    if types is not None:
        gaps = [_covers(types, wanted) for wanted in required]
        if all(gaps):
            missing = min(gaps, key=len)
            return Outcome(False, detail=f"{rule.address} misses {', '.join(missing[:3])}")
    actions = _actions(rule)
    if is_unknown(actions):
        return Outcome(None, detail=f"{rule.address}: actions not known statically")
    unsure: Outcome | None = None
    for action in actions:
        if not isinstance(action, dict):
            continue
        kind = action.get("action_type")
        on = action.get("is_enabled")
        if is_unknown(kind) or is_unknown(on):
            unsure = unsure or Outcome(None, detail=f"{rule.address}: an action is not known statically")
            continue
        if str(kind).upper() != "ONS" or (on is not True and str(on).lower() != "true"):
            continue
        delivered = _subscribed(action.get("topic_id"), rule, index)
        if delivered.result is True:
            if root is None:
                return Outcome(None, detail=f"{rule.address}: compartment not known statically")
            return Outcome(True, detail=f"{rule.address} notifies a topic {delivered.detail}")
        if delivered.result is None:
            unsure = unsure or Outcome(None, detail=f"{rule.address}: {delivered.detail}")
    return unsure or Outcome(False, detail=f"{rule.address} has no enabled ONS action to a subscribed topic")


@check("tenancy_notifies_on_events")
def tenancy_notifies_on_events(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-MON-303..318: some event rule of the tenancy notifies a subscribed topic of every type
    in ``event_types`` (or of every type of one of its sets, when it is a list of lists).

    Events is a regional service: a rule sees only the events of its own region. Live, the
    tenancy complies only when every region of the snapshot (its subscribed regions) has such a
    rule; a Terraform root is one region (its provider's) and is judged as a whole."""
    listed = list(params.get("event_types") or [])
    # One set of event types, or alternatives (a list of sets): the benchmark and Oracle's tools
    # name some events differently.
    sets = listed if listed and all(isinstance(x, list) for x in listed) else [listed]
    required = [[str(t).lower() for t in wanted] for wanted in sets]
    rules = index.same_scope(resource, "oci_events_rule")
    regions = resource.attributes.get("regions") if resource.kind == TENANCY else None
    if not _live(resource) or not isinstance(regions, list) or len(regions) < 2:
        return _notifies_in(resource, rules, required, index, params)
    by_region = {
        str(region): _notifies_in(
            resource, [r for r in rules if r.context.get("region") == region], required, index, params
        )
        for region in regions
    }
    failed = [region for region, outcome in by_region.items() if outcome.result is False]
    unsure = [region for region, outcome in by_region.items() if outcome.result is None]
    if failed:
        first = by_region[failed[0]]
        return Outcome(False, path="id", detail=f"in {', '.join(failed)}: {first.detail}")
    if unsure:
        first = by_region[unsure[0]]
        return Outcome(None, path="id", detail=f"in {', '.join(unsure)}: {first.detail}")
    return Outcome(True, path="id", detail="; ".join(f"{r}: {o.detail}" for r, o in by_region.items()))


def _notifies_in(
    resource: Resource, rules: list[Resource], required: list[list[str]], index: ResourceIndex, params: Params
) -> Outcome:
    """Whether one of ``rules`` notifies a subscribed topic of every type of one required set."""
    unsure: Outcome | None = None
    seen: list[str] = []
    for rule in rules:
        outcome = rule_notifies(rule, required, index, params)
        if outcome.result is True:
            return Outcome(True, path="id", detail=outcome.detail)
        if outcome.result is None:
            unsure = unsure or Outcome(None, path="id", detail=outcome.detail)
        elif outcome.detail:
            seen.append(outcome.detail)
    if unsure:
        return unsure
    result = absent(resource, index, ["oci_events_rule"], "enabled event rule notifying a subscribed topic")
    if seen and result.detail:
        return Outcome(result.result, result.path, f"{result.detail} ({'; '.join(seen[:2])})")
    return result


# --- Logs of a resource ---------------------------------------------------------------------------


@check("resource_has_service_log")
def resource_has_service_log(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-MON-313/317: an enabled ``oci_logging_log`` of a service in ``services`` (and a
    category in ``categories`` when given) has this resource as its source: its ``key``
    attribute (``id``, ``name``) or a reference to it; ``also_via`` names an attribute whose
    object counts too (a subnet's ``vcn_id``: VCN-wide flow logs)."""
    services = {str(s).lower() for s in params.get("services") or []}
    categories = {str(c).lower() for c in params.get("categories") or []}
    key = str(params.get("key") or "id")
    wanted: list[Any] = [Unknown("self", ref=resource.address)]
    own = resource.attributes.get(key)
    if isinstance(own, str):
        wanted.append(own)
    via = params.get("also_via")
    if via:
        other = resource.attributes.get(via)
        if isinstance(other, (str, Unknown)):
            wanted.append(other)
    unsure: Outcome | None = None
    for log in index.same_scope(resource, "oci_logging_log"):
        source = _log_source(log)
        if source is None:
            continue
        if is_unknown(source):
            unsure = unsure or Outcome(None, path=key, detail=f"{log.address}: source not known statically")
            continue
        service, category, target = (source.get(k) for k in ("service", "category", "resource"))
        if any(is_unknown(v) for v in (service, category)):
            unsure = unsure or Outcome(None, path=key, detail=f"{log.address}: source not known statically")
            continue
        if str(service).lower() not in services or (categories and str(category).lower() not in categories):
            continue
        enabled = log.attributes.get("is_enabled")
        if enabled is False or str(enabled).lower() == "false":
            continue
        matches = [_same_target(target, w) for w in wanted]
        if any(m is True for m in matches):
            return Outcome(True, path=key, detail=f"logged by {log.address}")
        if all(m is None for m in matches) and is_unknown(target):
            unsure = unsure or Outcome(None, path=key, detail=f"{log.address}: resource not known statically")
    return unsure or absent(resource, index, ["oci_logging_log"], "enabled log of this resource")


def _log_source(log: Resource) -> dict[str, Any] | Unknown | None:
    configuration = log.attributes.get("configuration")
    if is_unknown(configuration):
        return configuration
    block = configuration[0] if isinstance(configuration, list) and configuration else configuration
    if not isinstance(block, dict):
        return None
    source = block.get("source")
    if is_unknown(source):
        return source
    source = source[0] if isinstance(source, list) and source else source
    return source if isinstance(source, dict) else None
