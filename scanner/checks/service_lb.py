"""Named checks on the OCI load balancer that Kubernetes creates, and on public load balancers.

On OKE, a ``Service`` of ``type: LoadBalancer`` makes the cloud controller create an OCI load
balancer (or, with ``oci.oraclecloud.com/load-balancer-type: nlb``, a network load balancer)
configured by the Service's annotations. These checks read the annotations as written (their
keys contain dots, which condition paths cannot address) and the Service's ``spec``.

Services come from manifests and, with the same shape, from chart values
(``scanner/sources/helm/services.py``): a type or ports left to a chart's defaults are unknown.

Policies that call these checks: OCI-NET-402, OCI-NET-403, OCI-NET-404, OCI-NET-405, OCI-NET-406.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from scanner.engine.registry import Outcome, ResourceIndex, check
from scanner.model import Resource, is_unknown

Params = dict[str, Any]

SSL_PORTS = "service.beta.kubernetes.io/oci-load-balancer-ssl-ports"
TLS_SECRET = "service.beta.kubernetes.io/oci-load-balancer-tls-secret"
LB_TYPE = "oci.oraclecloud.com/load-balancer-type"
SHAPE = "service.beta.kubernetes.io/oci-load-balancer-shape"
FLEX_MIN = "service.beta.kubernetes.io/oci-load-balancer-shape-flex-min"
FLEX_MAX = "service.beta.kubernetes.io/oci-load-balancer-shape-flex-max"
NSG_KEYS = (
    "oci.oraclecloud.com/oci-network-security-groups",
    "oci-network-load-balancer.oraclecloud.com/oci-network-security-groups",
)
ANNOTATIONS = "metadata.annotations"


def _annotations(resource: Resource) -> dict[str, Any]:
    metadata = resource.attributes.get("metadata")
    found = metadata.get("annotations") if isinstance(metadata, dict) else None
    return found if isinstance(found, dict) else {}


def _spec(resource: Resource) -> dict[str, Any]:
    spec = resource.attributes.get("spec")
    return spec if isinstance(spec, dict) else {}


def is_load_balancer_service(resource: Resource) -> bool:
    """A Service that makes OKE create an OCI load balancer."""
    return resource.kind == "k8s.Service" and _spec(resource).get("type") == "LoadBalancer"


def _ports(resource: Resource) -> list[tuple[Any, str]]:
    """(port, name) of each Service port."""
    ports = _spec(resource).get("ports")
    if not isinstance(ports, list):
        return []
    return [(p.get("port"), str(p.get("name") or "").lower()) for p in ports if isinstance(p, dict)]


# A port named for TLS (``https``, ``tls``, ``grpcs``...) carries TLS to its backend.
_TLS_NAMES = ("https", "tls", "ssl", "grpcs")


def _int_set(value: Any) -> set[int] | None:
    """``"443, 8443"`` or ``[443]`` -> {443, 8443}; None when not readable."""
    items = value if isinstance(value, list) else str(value).split(",")
    try:
        return {int(str(i).strip()) for i in items if str(i).strip()}
    except ValueError:
        return None


def _not_applicable(resource: Resource) -> Outcome:
    if is_unknown(_spec(resource).get("type")):
        return Outcome(None, path="spec.type", detail="Service type not known (left to the chart's default)")
    return Outcome(True, path="spec.type", detail="not a LoadBalancer Service")


@check("service_lb_terminates_tls")
def service_lb_terminates_tls(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-NET-402: every port of a LoadBalancer Service carries TLS: the load balancer terminates
    it (``oci-load-balancer-ssl-ports`` naming the port, with ``oci-load-balancer-tls-secret``), or
    the port is one of ``passthrough_ports`` (443, 6443, 8443) or is named for TLS (``https``...):
    TLS passes through to a backend that terminates it. Ports in ``redirect_ports`` (default
    none) are accepted as HTTP-to-HTTPS redirects."""
    if not is_load_balancer_service(resource):
        return _not_applicable(resource)
    notes = _annotations(resource)
    passthrough = {int(p) for p in params.get("passthrough_ports", [443, 6443, 8443])}
    redirects = {int(p) for p in params.get("redirect_ports", [])}
    terminated: set[int] = set()
    if SSL_PORTS in notes:
        ssl = _int_set(notes[SSL_PORTS])
        if ssl is None or is_unknown(notes[SSL_PORTS]):
            return Outcome(None, path=f"{ANNOTATIONS}.{SSL_PORTS}", detail="ssl-ports not readable")
        if not notes.get(TLS_SECRET):
            return Outcome(
                False, path=f"{ANNOTATIONS}.{SSL_PORTS}", detail="ssl-ports without a tls-secret annotation"
            )
        terminated = ssl
    if is_unknown(_spec(resource).get("ports")):
        return Outcome(None, path="spec.ports", detail="ports not known (left to the chart's defaults)")
    plain = []
    for port, name in _ports(resource):
        if not isinstance(port, int):
            return Outcome(None, path="spec.ports", detail="a port is not known statically")
        if port in terminated | passthrough | redirects or name.startswith(_TLS_NAMES):
            continue
        plain.append(port)
    if plain:
        return Outcome(
            False,
            path="spec.ports",
            detail=f"port(s) {', '.join(map(str, plain))} reach the load balancer without TLS",
        )
    return Outcome(True, path="spec.ports")


@check("service_lb_restricted")
def service_lb_restricted(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-NET-403 (Services): the load balancer of a LoadBalancer Service has a network security
    group (``oci-network-security-groups`` annotation, LB or NLB form) or the Service limits its
    clients with ``spec.loadBalancerSourceRanges``."""
    if not is_load_balancer_service(resource):
        return _not_applicable(resource)
    notes = _annotations(resource)
    for key in NSG_KEYS:
        if notes.get(key):
            return Outcome(True, path=f"{ANNOTATIONS}.{key}")
    ranges = _spec(resource).get("loadBalancerSourceRanges")
    if isinstance(ranges, list) and ranges and "0.0.0.0/0" not in ranges:
        return Outcome(True, path="spec.loadBalancerSourceRanges")
    return Outcome(
        False,
        path="spec.type",
        detail="no network security group annotation and no loadBalancerSourceRanges narrower than 0.0.0.0/0",
    )


@check("service_lb_flexible_shape_bounded")
def service_lb_flexible_shape_bounded(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-NET-404: a LoadBalancer Service served by an OCI load balancer (not a network load
    balancer) asks for the ``flexible`` shape with ``shape-flex-min`` and ``shape-flex-max``, the
    maximum at most ``max_mbps``: fixed shapes are deprecated, and an unbounded flexible shape
    scales the bill with any flood."""
    if not is_load_balancer_service(resource):
        return _not_applicable(resource)
    notes = _annotations(resource)
    if str(notes.get(LB_TYPE, "lb")).lower() == "nlb":
        return Outcome(True, path=f"{ANNOTATIONS}.{LB_TYPE}", detail="a network load balancer has no shape")
    shape = notes.get(SHAPE)
    if str(shape).lower() != "flexible":
        return Outcome(
            False,
            path=f"{ANNOTATIONS}.{SHAPE}" if shape else "metadata",
            detail=f"shape {shape!r}" if shape else "no shape annotation: OKE creates a fixed 100Mbps shape",
        )
    low, high = _int_set(notes.get(FLEX_MIN, "")), _int_set(notes.get(FLEX_MAX, ""))
    if not low or not high:
        return Outcome(
            False, path=f"{ANNOTATIONS}.{SHAPE}", detail="flexible shape without flex-min and flex-max"
        )
    limit = float(params.get("max_mbps", 8000))
    if max(high) > limit:
        return Outcome(
            False, path=f"{ANNOTATIONS}.{FLEX_MAX}", detail=f"flex-max {max(high)} Mbps above {limit:g}"
        )
    return Outcome(True, path=f"{ANNOTATIONS}.{SHAPE}")


WAF_KIND = "oci_waf_web_app_firewall"


@check("public_lb_behind_waf")
def public_lb_behind_waf(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-NET-405: a public ``oci_load_balancer_load_balancer`` (``is_private`` not true) is the
    ``load_balancer_id`` of an ``oci_waf_web_app_firewall`` of the same configuration or
    inventory (live: by OCID). A live inventory whose web app firewalls were not collected
    (permission missing, a region failed) says unknown, never a silent pass or fail."""
    if resource.attributes.get("is_private") in (True, "true"):
        return Outcome(True, path="is_private", detail="private load balancer")
    if is_unknown(resource.attributes.get("is_private")):
        return Outcome(None, path="is_private", detail="is_private not known statically")
    live = resource.provenance.source == "oci"
    undecided = False
    for waf in index.same_scope(resource, WAF_KIND):
        if waf.context.get("not_collected"):  # listed, but its GET (load_balancer_id) failed
            undecided = True
            continue
        target = waf.attributes.get("load_balancer_id")
        if any(r is resource for r in index.referenced(target, within=resource)) or (
            live and isinstance(target, str) and target == resource.attributes.get("id")
        ):
            return Outcome(True, path="is_private", detail=f"protected by {waf.address}")
        if is_unknown(target) and not target.ref:
            undecided = True
    if live and "waf.WebAppFirewall" in (resource.context.get("missing_types") or ()):
        return Outcome(None, path="id", detail="web app firewalls were not collected from this tenancy")
    if undecided:
        return Outcome(None, path="is_private", detail="a WAF's load balancer is not known statically")
    return Outcome(False, path="is_private", detail="public load balancer without a WAF web app firewall")


INTERNAL_LB = "service.beta.kubernetes.io/oci-load-balancer-internal"
INTERNAL_NLB = "oci-network-load-balancer.oraclecloud.com/internal"
TERRAFORM_LBS = ("oci_load_balancer_load_balancer", "oci_network_load_balancer_network_load_balancer")


def _public_allowed(names: list[str], params: Params) -> str | None:
    """The ``public_allowed`` pattern that one of these names matches, if any. A chart
    environment's address (``Service/chart/x[production]``) is tried without its ``[env]`` too:
    ``[`` opens a character class in a glob."""
    names = names + [n.rsplit("[", 1)[0] for n in names if n.endswith("]")]
    for pattern in params.get("public_allowed", []) or []:
        if any(fnmatchcase(n, str(pattern)) for n in names if n):
            return str(pattern)
    return None


def _is_true(value: Any) -> bool:
    return value is True or str(value).strip().lower() == "true"


@check("lb_exposure_allowed")
def lb_exposure_allowed(resource: Resource, index: ResourceIndex, params: Params) -> Outcome:
    """OCI-NET-406: a load balancer is private (Terraform and live ``is_private``; a Service's
    internal annotation, the NLB form for ``load-balancer-type: nlb``) unless ``allow_public`` is
    true or its address or name matches a ``public_allowed`` pattern."""
    if resource.kind in TERRAFORM_LBS:
        private = resource.attributes.get("is_private")
        if is_unknown(private):
            return Outcome(None, path="is_private", detail="is_private not known statically")
        if _is_true(private):
            return Outcome(True, path="is_private", detail="private load balancer")
        names = [resource.address, str(resource.attributes.get("display_name") or "")]
        # is_private left out defaults to false: the finding points at the block then
        path = "is_private" if "is_private" in resource.attributes else None
        what = "public load balancer (is_private is not true)"
    else:
        if not is_load_balancer_service(resource):
            return _not_applicable(resource)
        notes = _annotations(resource)
        nlb = str(notes.get(LB_TYPE, "lb")).lower() == "nlb"
        key, other = (INTERNAL_NLB, INTERNAL_LB) if nlb else (INTERNAL_LB, INTERNAL_NLB)
        if is_unknown(notes.get(key)):
            return Outcome(None, path=f"{ANNOTATIONS}.{key}", detail="internal annotation not known")
        if _is_true(notes.get(key)):
            return Outcome(True, path=f"{ANNOTATIONS}.{key}", detail="internal load balancer")
        metadata = resource.attributes.get("metadata")
        names = [resource.address, str(metadata.get("name") or "") if isinstance(metadata, dict) else ""]
        path = f"{ANNOTATIONS}.{other}" if other in notes else "spec.type"
        kind = "network load balancer" if nlb else "load balancer"
        what = f"public {kind}: no {key} annotation"
        if other in notes:
            what += f" ({other} applies to the other kind of load balancer)"
    if params.get("allow_public", False) is True:
        return Outcome(True, path=path, detail="public load balancers are allowed (allow_public)")
    pattern = _public_allowed(names, params)  # names: address, then display or Service name
    if pattern is not None:
        return Outcome(True, path=path, detail=f"public, allowed by public_allowed {pattern!r}")
    return Outcome(False, path=path, detail=what)
