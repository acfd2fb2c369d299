"""Named checks about network traffic protection (load balancer listeners).

OCI-ENC-010 needs a join the condition language cannot express: a plain-HTTP listener is acceptable
only when one of the rule sets it names redirects every request to HTTPS, and the rule set is a
separate ``oci_load_balancer_rule_set`` resource.

Policies that call these checks: OCI-ENC-010.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scanner.engine.registry import Outcome, ResourceIndex, check
from scanner.model import Resource, Unknown, is_unknown

RULE_SET_KIND = "oci_load_balancer_rule_set"
# Ports where a TCP listener without TLS termination is taken to pass TLS through to the backends.
DEFAULT_PASSTHROUGH_TLS_PORTS = [443]


@check("lb_listener_terminates_tls")
def listener_terminates_tls(resource: Resource, index: ResourceIndex, params: dict[str, Any]) -> Outcome:
    """True when an ``oci_load_balancer_listener`` protects client traffic with TLS.

    Compliant: an ``ssl_configuration`` block (TLS terminated at the load balancer); a TCP
    listener on a TLS passthrough port (parameter ``passthrough_tls_ports``); or an HTTP listener
    whose rule sets include a ``REDIRECT`` rule to ``https``. Unknown when the protocol, the rule
    set names, or a named rule set cannot be resolved in the scanned configuration.
    """
    attrs = resource.attributes
    ssl = attrs.get("ssl_configuration")
    if is_unknown(ssl):
        return Outcome(None, path="ssl_configuration", detail="ssl_configuration is not known statically")
    if _has_block(ssl):
        return Outcome(True, path="ssl_configuration")

    protocol = attrs.get("protocol")
    if protocol is None:
        return Outcome(None, path="protocol", detail="listener protocol is not set")
    if is_unknown(protocol):
        return Outcome(None, path="protocol", detail="listener protocol is not known statically")

    if str(protocol).upper() == "TCP":
        return _tcp_passthrough(attrs.get("port"), params)
    return _redirects_to_https(resource, index)


def _has_block(value: Any) -> bool:
    """A nested block is present when the list holds at least one element."""
    return isinstance(value, list) and len(value) > 0


def _tcp_passthrough(port: Any, params: dict[str, Any]) -> Outcome:
    if is_unknown(port):
        return Outcome(None, path="port", detail="TCP listener port is not known statically")
    allowed = {str(p) for p in params.get("passthrough_tls_ports", DEFAULT_PASSTHROUGH_TLS_PORTS)}
    if str(port) in allowed:
        return Outcome(True, path="port", detail=f"TCP listener on port {port} treated as TLS passthrough")
    return Outcome(False, path="protocol", detail=f"TCP listener on port {port} without TLS")


def _redirects_to_https(listener: Resource, index: ResourceIndex) -> Outcome:
    names = listener.attributes.get("rule_set_names")
    if names is None or names == []:
        return Outcome(False, path="protocol", detail="plain HTTP listener without TLS or an HTTPS redirect")
    if is_unknown(names):
        return Outcome(None, path="rule_set_names", detail="rule set names are not known statically")

    unresolved = False
    for name in names if isinstance(names, list) else [names]:
        rule_sets = _rule_sets_named(listener, name, index)
        if not rule_sets:
            unresolved = True
            continue
        if any(_redirects(rs) is True for rs in rule_sets):
            return Outcome(True, path="rule_set_names")
        if any(_redirects(rs) is None for rs in rule_sets):
            unresolved = True

    if unresolved:
        return Outcome(
            None,
            path="rule_set_names",
            detail="plain HTTP listener whose rule sets cannot be resolved to prove an HTTPS redirect",
        )
    return Outcome(
        False, path="rule_set_names", detail="plain HTTP listener whose rule sets do not redirect to HTTPS"
    )


def _rule_sets_named(listener: Resource, name: Any, index: ResourceIndex) -> list[Resource]:
    """The rule sets of the listener's load balancer that ``name`` designates.

    ``name`` is a literal (matched by the rule set's ``name`` within the same scope) or an
    unknown reference to a rule set resource (followed by address).
    """
    if isinstance(name, Unknown):
        same_scope = {id(r) for r in index.same_scope(listener, RULE_SET_KIND)}
        return [r for r in index.referenced(name) if r.kind == RULE_SET_KIND and id(r) in same_scope]
    candidates = [r for r in index.same_scope(listener, RULE_SET_KIND) if r.attributes.get("name") == name]
    lb = listener.attributes.get("load_balancer_id")
    # Rule set names are unique per load balancer only; narrow by load balancer when both sides say
    # which one, and keep every candidate otherwise.
    narrowed = [r for r in candidates if _same_value(r.attributes.get("load_balancer_id"), lb) is not False]
    return narrowed


def _same_value(a: Any, b: Any) -> bool | None:
    """Whether two attribute values designate the same thing; None when that cannot be told."""
    if a is None or b is None:
        return None
    if isinstance(a, Unknown) and isinstance(b, Unknown):
        if a.ref and b.ref:
            return a.ref == b.ref
        if a.symbol and b.symbol:
            return a.symbol == b.symbol
        return None
    if isinstance(a, Unknown) or isinstance(b, Unknown):
        return None
    return a == b


def _redirects(rule_set: Resource) -> bool | None:
    """True if a ``REDIRECT`` item sends clients to ``https``; None if an item is unresolvable."""
    items = rule_set.attributes.get("items")
    if is_unknown(items):
        return None
    unknown = False
    for item in _as_blocks(items):
        action = item.get("action")
        if is_unknown(action):
            unknown = True
            continue
        if str(action).upper() != "REDIRECT":
            continue
        covers = _covers_every_request(item.get("conditions"))
        if covers is False:
            continue  # a redirect of one path leaves every other path on plain HTTP
        for uri in _as_blocks(item.get("redirect_uri")):
            protocol = uri.get("protocol")
            if is_unknown(protocol) or covers is None:
                unknown = True
            elif isinstance(protocol, str) and protocol.lower() == "https":
                return True
    return None if unknown else False


# Path match operators under which the value "/" matches every request path.
_PREFIX_OPERATORS = {"PREFIX_MATCH", "FORCE_LONGEST_PREFIX_MATCH"}


def _covers_every_request(conditions: Any) -> bool | None:
    """Whether a rule's conditions match every request: none at all, or only ``PATH`` prefix
    ``/``. A path such as ``/login`` or a source-address condition covers only part."""
    if is_unknown(conditions):
        return None
    for cond in _as_blocks(conditions):
        name, value, op = cond.get("attribute_name"), cond.get("attribute_value"), cond.get("operator")
        if any(is_unknown(v) for v in (name, value, op)):
            return None
        # `operator` is required with PATH; a configuration without it is read as a prefix match
        if str(name).upper() != "PATH" or value != "/":
            return False
        if op is not None and str(op).upper() not in _PREFIX_OPERATORS:
            return False
    return True


def _as_blocks(value: Any) -> Iterable[dict[str, Any]]:
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    if isinstance(value, dict):
        return [value]
    return []
