"""Network exposure to the internet (CIS OCI 2.1-2.7): security list and NSG rules that admit
administration ports from anywhere, default security lists, and allow lists of PaaS endpoints.

Rules come in two shapes that mean the same: the Terraform security list's ``tcp_options { min,
max }`` and the NSG rule's (and the API's) ``tcp_options { destination_port_range { min, max } }``.
Both are lists of blocks here (plan JSON and live objects alike). A TCP rule without options, or
options without a destination range, admits every port, as the provider documents.

Policies that call these checks: OCI-DAT-004, OCI-NET-301, OCI-NET-302, OCI-NET-303, OCI-NET-304, OCI-NET-305,
OCI-NET-306, OCI-NET-307.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from scanner.engine.registry import Outcome, ResourceIndex, check
from scanner.model import Resource, Unknown, is_unknown

Params = dict[str, Any]
TCP, ALL = "6", "all"
ICMP = {"1", "58"}  # ICMP and ICMPv6: path MTU discovery and reachability, allowed by 2.5
NSG_RULE = "oci_core_network_security_group_security_rule"


def covers_everything(cidr: Any) -> bool | None:
    """Whether a rule's source / destination is the whole address space (``0.0.0.0/0``,
    ``::/0``, or any other prefix of length 0); None when not known statically. Service CIDR
    labels and NSG OCIDs are not internet sources."""
    if is_unknown(cidr):
        return None
    if not isinstance(cidr, str):
        return False
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False).prefixlen == 0
    except ValueError:
        return False


def _first_block(value: Any) -> Any:
    """A nested block (a list of one mapping) as its mapping; an unknown stays unknown."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _port_range(rule: dict[str, Any]) -> tuple[Any, Any] | None | Unknown:
    """The destination port range of a TCP rule: ``(min, max)``, None for every port, or an
    ``Unknown`` when the options are not known statically."""
    options = _first_block(rule.get("tcp_options"))
    if is_unknown(options):
        return options
    if not isinstance(options, dict):
        return None
    dest = _first_block(options.get("destination_port_range"))
    if is_unknown(dest):
        return dest
    holder = dest if isinstance(dest, dict) else options  # NSG / API shape, else security list
    low, high = holder.get("min"), holder.get("max")
    if low is None and high is None:
        return None
    return (low, high)


def rule_admits(rule: Any, ports: list[int]) -> tuple[bool | None, str]:
    """Whether one ingress rule admits TCP ``ports`` from the whole internet, with the reason."""
    if is_unknown(rule):
        return None, "rule not known statically"
    if not isinstance(rule, dict):
        return False, ""
    source_type = rule.get("source_type")
    if isinstance(source_type, str) and source_type.upper() not in ("CIDR_BLOCK", ""):
        return False, ""
    wide = covers_everything(rule.get("source"))
    protocol = rule.get("protocol")
    if wide is False:
        return False, ""
    if is_unknown(protocol):
        return None, "protocol not known statically"
    protocol = str(protocol).lower() if protocol is not None else ""
    if protocol not in (TCP, ALL):
        return False, ""
    if wide is None:
        return None, "source not known statically"
    if protocol == ALL:
        return True, f"protocol all from {rule.get('source')}"
    span = _port_range(rule)
    if span is None:
        return True, f"every TCP port from {rule.get('source')}"
    if is_unknown(span):
        return None, "port range not known statically"
    low, high = span
    if is_unknown(low) or is_unknown(high):
        return None, "port range not known statically"
    try:
        lo = int(low) if low is not None else 1
        hi = int(high) if high is not None else 65535
    except (TypeError, ValueError):
        return None, "port range is not a number"
    hit = [p for p in ports if lo <= p <= hi]
    if hit:
        return True, f"TCP {lo}-{hi} from {rule.get('source')} includes port {hit[0]}"
    return False, ""


@check("ingress_closed_to_internet")
def ingress_closed_to_internet(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-NET-301..304: no ingress rule of a security list (or an NSG rule resource) admits the
    ``ports`` parameter over TCP from 0.0.0.0/0 or ::/0."""
    ports = [int(p) for p in params.get("ports", [22])]
    if resource.kind == NSG_RULE:
        verdict, why = rule_admits(resource.attributes, ports)
        path = "source" if verdict is not False else "protocol"
        return Outcome(None if verdict is None else not verdict, path=path, detail=why or None)
    rules = resource.attributes.get("ingress_security_rules")
    if is_unknown(rules):
        return Outcome(None, path="ingress_security_rules", detail="the rules are not known statically")
    unsure: Outcome | None = None
    for i, rule in enumerate(rules or []):
        verdict, why = rule_admits(rule, ports)
        if verdict is True:
            return Outcome(False, path=f"ingress_security_rules.{i}", detail=why)
        if verdict is None and unsure is None:
            unsure = Outcome(None, path=f"ingress_security_rules.{i}", detail=why)
    return unsure or Outcome(True, path="ingress_security_rules")


@check("security_list_only_icmp_from_internet")
def security_list_only_icmp_from_internet(
    resource: Resource, index: ResourceIndex, params: Params
) -> Outcome:
    """OCI-NET-305: a default security list has no rule of a protocol other than ICMP whose
    source (ingress) or destination (egress) is the whole internet."""
    unsure: Outcome | None = None
    for key, peer in (("ingress_security_rules", "source"), ("egress_security_rules", "destination")):
        rules = resource.attributes.get(key)
        if is_unknown(rules):
            unsure = unsure or Outcome(None, path=key, detail=f"{key} not known statically")
            continue
        for i, rule in enumerate(rules or []):
            if not isinstance(rule, dict):
                continue
            protocol = rule.get("protocol")
            wide = covers_everything(rule.get(peer))
            if is_unknown(protocol) or wide is None:
                unsure = unsure or Outcome(None, path=f"{key}.{i}", detail="rule not known statically")
                continue
            if wide and str(protocol).lower() not in ICMP:
                return Outcome(
                    False,
                    path=f"{key}.{i}",
                    detail=f"protocol {protocol} {'from' if peer == 'source' else 'to'} {rule.get(peer)}",
                )
    return unsure or Outcome(True, path="ingress_security_rules")


@check("vcn_default_security_list_managed")
def vcn_default_security_list_managed(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-NET-305: in Terraform, an ``oci_core_default_security_list`` of the same root manages
    the VCN's ``default_security_list_id`` (else OCI's default rules, SSH from anywhere, stay).
    Live, the default list is an object of its own and judged itself: the VCN passes."""
    if resource.provenance.source == "oci":
        return Outcome(True, detail="the default security list is judged on its own")
    unsure = False
    for managed in index.same_scope(resource, "oci_core_default_security_list"):
        target = managed.attributes.get("manage_default_resource_id")
        if isinstance(target, Unknown):
            if target.ref is not None and _same_resource(target.ref, resource.address):
                return Outcome(True, path="id", detail=f"managed by {managed.address}")
            if target.ref is None:
                unsure = True
        elif target is not None and target == resource.attributes.get("default_security_list_id"):
            return Outcome(True, path="id", detail=f"managed by {managed.address}")
    if unsure:
        return Outcome(None, path="id", detail="a default security list refers to an unknown VCN")
    return Outcome(False, path="id", detail="no oci_core_default_security_list manages its default list")


def _same_resource(ref: str, address: str) -> bool:
    """A reference (``oci_core_vcn.main``, maybe without instance keys) names ``address``."""
    from scanner.model import strip_instance_keys

    return ref == address or strip_instance_keys(ref) == strip_instance_keys(address)


def too_broad(entry: Any, min_v4: int = 1, min_v6: int = 1) -> bool | None:
    """Whether an allow-list entry admits a range broader than the minimum prefix lengths (the
    defaults reject only the whole address space). Entries are normalised: ``0.0.0.0/0``,
    ``0.0.0.0/00``, ``10.0.0.1/0`` and ``::/0`` are all everything; a VCN OCID restricted to a
    range (``ocid1.vcn...;10.0.0.0/16``) is judged by its range; OCIDs and names are narrow."""
    if is_unknown(entry):
        return None
    if not isinstance(entry, str):
        return False
    text = entry.rsplit(";", 1)[-1].strip()
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return net.prefixlen < (min_v4 if net.version == 4 else min_v6)


@check("allow_lists_exclude_internet")
def allow_lists_exclude_internet(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-NET-306/307, OCI-DAT-004: no entry of the allow lists at ``paths`` is broader than
    ``min_prefix_v4`` / ``min_prefix_v6`` (default: only 0.0.0.0/0 and ::/0 are rejected)."""
    from scanner.engine.conditions import resolve

    min_v4, min_v6 = int(params.get("min_prefix_v4", 1)), int(params.get("min_prefix_v6", 1))
    unsure: Outcome | None = None
    for path in params.get("paths", []):
        for value, at in resolve(resource.attributes, path):
            items = value if isinstance(value, list) else [value]
            for i, item in enumerate(items):
                wide = too_broad(item, min_v4, min_v6)
                where = f"{at}.{i}" if isinstance(value, list) else at
                if wide:
                    return Outcome(False, path=where, detail=f"{item} admits too broad a range")
                if wide is None:
                    unsure = unsure or Outcome(None, path=where, detail="allow list not known statically")
    return unsure or Outcome(True)
