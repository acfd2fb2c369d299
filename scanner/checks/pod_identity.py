"""Named checks on pods: the node's identity is out of reach, and served pods say when they are ready.

On OKE with instance principals, any pod that reaches ``169.254.169.254`` obtains the node's
instance-principal token and acts with every grant of the node's dynamic group. An egress
NetworkPolicy that selects the pods and does not allow that address closes the path. Joins
stay inside one manifest scope and namespace.

Policies that call these checks: OCI-HA-402, OCI-IAM-406.
"""

from __future__ import annotations

import ipaddress
import weakref
from typing import Any

from scanner.engine.registry import Outcome, ResourceIndex, check
from scanner.model import Resource

Params = dict[str, Any]
IMDS = ipaddress.ip_address("169.254.169.254")
DEFAULT_EXEMPT = ["kube-system", "kube-public", "kube-node-lease"]


def _selects(selector: Any, labels: dict[str, Any]) -> bool | None:
    """Whether a NetworkPolicy ``podSelector`` selects pods with ``labels`` (None: cannot tell)."""
    if not isinstance(selector, dict):
        return None
    match = selector.get("matchLabels") or {}
    if selector.get("matchExpressions"):
        return None
    if not isinstance(match, dict):
        return None
    return all(labels.get(k) == v for k, v in match.items())


def _cidr_allows(peer: dict[str, Any]) -> bool | None:
    block = peer.get("ipBlock")
    if not isinstance(block, dict):
        return False  # pod / namespace selectors reach pods, not the node's metadata service
    try:
        if IMDS not in ipaddress.ip_network(str(block.get("cidr")), strict=False):
            return False
        for excluded in block.get("except") or []:
            if IMDS in ipaddress.ip_network(str(excluded), strict=False):
                return False
    except ValueError:
        return None
    return True


IMDS_PORT = 80  # the metadata service answers plain HTTP (http://169.254.169.254/opc/v2/)


def _ports_allow_imds(ports: Any) -> bool | None:
    """Whether a rule's ``ports`` admit TCP 80 (no ports: every port)."""
    if not ports:
        return True
    unsure = False
    for port in ports if isinstance(ports, list) else [None]:
        if not isinstance(port, dict):
            return None
        if str(port.get("protocol", "TCP")).upper() != "TCP":
            continue
        number, end = port.get("port"), port.get("endPort")
        if number is None:
            return True
        if not isinstance(number, int):
            unsure = True  # a named port: cannot tell which number it is
        elif number == IMDS_PORT or (isinstance(end, int) and number <= IMDS_PORT <= end):
            return True
    return None if unsure else False


def egress_allows_imds(policy: dict[str, Any]) -> bool | None:
    """Whether a NetworkPolicy spec lets selected pods reach 169.254.169.254 on port 80."""
    unsure = False
    for rule in policy.get("egress") or []:
        if not isinstance(rule, dict):
            return None
        ports = _ports_allow_imds(rule.get("ports"))
        if ports is False:
            continue
        peers = rule.get("to")
        reach: bool | None = False
        if not peers:
            reach = True  # no `to`: every destination
        for peer in peers or []:
            allowed = _cidr_allows(peer) if isinstance(peer, dict) else None
            if allowed:
                reach = True
                break
            if allowed is None:
                reach = None
        if reach and ports:
            return True
        if reach is None or (reach and ports is None):
            unsure = True
    return None if unsure else False


DEFAULT_NODE_IDENTITY_AUTH = ["instance_principal", "instance_obo_user"]


def _uses_node_identity(workload: Any, params: Params) -> bool:
    """Pods that declare instance-principal authentication (``OCI_CLI_AUTH``) need the metadata
    service: they use the node's identity on purpose (a dedicated node pool), and the node's
    dynamic group is judged by the IAM rules instead."""
    modes = {str(m).lower() for m in params.get("node_identity_auth", DEFAULT_NODE_IDENTITY_AUTH)}
    containers = workload.get("containers") if isinstance(workload, dict) else None
    for container in containers if isinstance(containers, list) else []:
        for env in container.get("env") or [] if isinstance(container, dict) else []:
            if isinstance(env, dict) and env.get("name") == "OCI_CLI_AUTH":
                if str(env.get("value", "")).lower() in modes:
                    return True
    return False


def _has_egress(spec: dict[str, Any]) -> bool:
    types = spec.get("policyTypes")
    if isinstance(types, list):
        return "Egress" in types
    return "egress" in spec


@check("pods_cannot_reach_imds")
def pods_cannot_reach_imds(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-IAM-406: a workload outside ``exempt_namespaces`` is selected by an egress
    NetworkPolicy of its namespace (same manifests) and no selecting policy allows
    ``169.254.169.254``: its pods cannot borrow the node's instance principal. Pods that set
    ``OCI_CLI_AUTH`` to one of ``node_identity_auth`` use the node's identity on purpose and pass."""
    namespace = resource.context.get("namespace") or "default"
    if namespace in set(params.get("exempt_namespaces", DEFAULT_EXEMPT)):
        return Outcome(True, path="metadata.namespace", detail=f"namespace {namespace} is exempt")
    workload = resource.attributes.get("workload")
    if _uses_node_identity(workload, params):
        return Outcome(True, path="metadata", detail="the pods authenticate as the node by design")
    labels = workload.get("labels") if isinstance(workload, dict) else None
    labels = labels if isinstance(labels, dict) else {}
    selecting, unsure = [], False
    for policy in index.same_scope(resource, "k8s.NetworkPolicy"):
        if (policy.context.get("namespace") or "default") != namespace:
            continue
        spec = policy.attributes.get("spec")
        if not isinstance(spec, dict) or not _has_egress(spec):
            continue
        selected = _selects(spec.get("podSelector"), labels)
        if selected is None:
            unsure = True
        elif selected:
            selecting.append((policy, spec))
    for policy, spec in selecting:
        allows = egress_allows_imds(spec)
        if allows:
            return Outcome(
                False, path="metadata", detail=f"{policy.address} allows egress to 169.254.169.254"
            )
        if allows is None:
            unsure = True
    if selecting and not unsure:
        return Outcome(True, path="metadata", detail=f"egress limited by {selecting[0][0].address}")
    if unsure:
        return Outcome(None, path="metadata", detail="a NetworkPolicy's selector or egress is not understood")
    return Outcome(
        False,
        path="metadata",
        detail=f"no egress NetworkPolicy in namespace {namespace} keeps its pods from 169.254.169.254",
    )


POD_SPEC_PATHS = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Pod": ("spec",),
}


def _pod_spec(resource: Resource) -> dict[str, Any] | None:
    node: Any = resource.attributes
    for key in POD_SPEC_PATHS.get(resource.kind.removeprefix("k8s."), ()):
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else None


# The Services of each (scope, namespace), in scan order, built once per scan: every workload
# looks for the Service that selects it, and filtering all Services each time was quadratic.
_SERVICES: weakref.WeakKeyDictionary[ResourceIndex, dict[tuple[Any, str], list[Resource]]] = (
    weakref.WeakKeyDictionary()
)


def _services_in(resource: Resource, index: ResourceIndex, namespace: str) -> list[Resource]:
    """The Services of ``resource``'s scope in ``namespace``, in scan order."""
    return [
        svc
        for svc in index.same_scope(resource, "k8s.Service")
        if (svc.context.get("namespace") or "default") == namespace
    ]


def _served_by(resource: Resource, index: ResourceIndex, labels: dict[str, Any]) -> Resource | None:
    namespace = resource.context.get("namespace") or "default"
    per_scope = _SERVICES.setdefault(index, {})
    try:
        key = (resource.context.get("scope"), namespace)
        services = per_scope.get(key)
        if services is None:
            services = per_scope[key] = _services_in(resource, index, namespace)
    except TypeError:  # an unhashable scope or namespace (sources set strings): not kept
        services = _services_in(resource, index, namespace)
    for svc in services:
        spec = svc.attributes.get("spec")
        selector = spec.get("selector") if isinstance(spec, dict) else None
        if isinstance(selector, dict) and selector and all(labels.get(k) == v for k, v in selector.items()):
            return svc
    return None


@check("served_workload_has_readiness_probe")
def served_workload_has_readiness_probe(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-HA-402: every container of a workload that a Service of the same manifests selects has
    a ``readinessProbe``: during a rolling update, traffic goes only to pods that are ready."""
    workload = resource.attributes.get("workload")
    labels = workload.get("labels") if isinstance(workload, dict) else None
    service = _served_by(resource, index, labels if isinstance(labels, dict) else {})
    if service is None:
        return Outcome(True, path="metadata", detail="no Service selects these pods")
    spec = _pod_spec(resource)
    containers = spec.get("containers") if spec else None
    if not isinstance(containers, list):
        return Outcome(None, path="spec", detail="containers not known")
    base = ".".join(POD_SPEC_PATHS[resource.kind.removeprefix("k8s.")])
    for i, container in enumerate(containers):
        if isinstance(container, dict) and not container.get("readinessProbe"):
            return Outcome(
                False,
                path=f"{base}.containers.{i}",
                detail=(
                    f"container {container.get('name')!r} has no readinessProbe; "
                    f"{service.address} routes to it"
                ),
            )
    return Outcome(True, path=f"{base}.containers")
