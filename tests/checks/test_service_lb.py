"""Unit tests for the load balancer a Kubernetes Service creates, and the WAF join (OCI-NET-402..405)."""

from __future__ import annotations

from typing import Any

import pytest

from scanner.checks.service_lb import (
    INTERNAL_LB,
    INTERNAL_NLB,
    LB_TYPE,
    lb_exposure_allowed,
    public_lb_behind_waf,
    service_lb_flexible_shape_bounded,
    service_lb_restricted,
    service_lb_terminates_tls,
)
from scanner.engine.registry import ResourceIndex
from scanner.model import Provenance, Resource, Unknown


def service(
    annotations: dict[str, str] | None = None, ports: list[Any] | None = None, **spec: Any
) -> Resource:
    spec = {
        "type": "LoadBalancer",
        "ports": ports if ports is not None else [{"name": "https", "port": 443}],
        **spec,
    }
    attrs = {"metadata": {"name": "edge", "annotations": annotations or {}}, "spec": spec}
    return Resource("k8s.Service", "Service/edge", attrs, Provenance("kubernetes"), {"scope": "/m"})


def judge(check: Any, res: Resource, **params: Any) -> bool | None:
    return check(res, ResourceIndex([res]), params).result


SSL = "service.beta.kubernetes.io/oci-load-balancer-ssl-ports"
SECRET = "service.beta.kubernetes.io/oci-load-balancer-tls-secret"


@pytest.mark.parametrize(
    ("annotations", "ports", "expected"),
    [
        ({}, [{"name": "https", "port": 443}], True),
        ({}, [{"name": "web", "port": 8443}], True),
        ({}, [{"name": "https-alt", "port": 9443}], True),
        ({SSL: "443", SECRET: "edge-tls"}, [{"name": "web", "port": 443}], True),
        ({}, [{"name": "http", "port": 80}, {"name": "https", "port": 443}], False),
        ({SSL: "443"}, [{"name": "web", "port": 443}], False),  # no certificate
        ({SSL: "443", SECRET: "t"}, [{"name": "web", "port": 443}, {"name": "admin", "port": 9000}], False),
    ],
)
def test_service_lb_terminates_tls(annotations: dict, ports: list, expected: bool) -> None:
    assert judge(service_lb_terminates_tls, service(annotations, ports)) is expected


def test_redirect_ports_parameter_and_cluster_ip() -> None:
    two = service({}, [{"name": "http", "port": 80}, {"name": "https", "port": 443}])
    assert judge(service_lb_terminates_tls, two, redirect_ports=[80]) is True
    internal = service({}, [{"name": "http", "port": 80}])
    internal.attributes["spec"]["type"] = "ClusterIP"
    assert judge(service_lb_terminates_tls, internal) is True


@pytest.mark.parametrize(
    ("annotations", "spec", "expected"),
    [
        ({"oci.oraclecloud.com/oci-network-security-groups": "ocid1.networksecuritygroup.oc1..a"}, {}, True),
        ({"oci-network-load-balancer.oraclecloud.com/oci-network-security-groups": "ocid1.nsg"}, {}, True),
        ({}, {"loadBalancerSourceRanges": ["198.51.100.0/24"]}, True),
        ({}, {"loadBalancerSourceRanges": ["0.0.0.0/0"]}, False),
        ({}, {}, False),
    ],
)
def test_service_lb_restricted(annotations: dict, spec: dict, expected: bool) -> None:
    assert judge(service_lb_restricted, service(annotations, **spec)) is expected


SHAPE = "service.beta.kubernetes.io/oci-load-balancer-shape"


@pytest.mark.parametrize(
    ("annotations", "expected"),
    [
        ({"oci.oraclecloud.com/load-balancer-type": "nlb"}, True),
        ({SHAPE: "flexible", f"{SHAPE}-flex-min": "10", f"{SHAPE}-flex-max": "400"}, True),
        ({SHAPE: "flexible"}, False),
        ({SHAPE: "100Mbps"}, False),
        ({}, False),
        ({SHAPE: "flexible", f"{SHAPE}-flex-min": "10", f"{SHAPE}-flex-max": "9000"}, False),
    ],
)
def test_service_lb_flexible_shape_bounded(annotations: dict, expected: bool) -> None:
    assert judge(service_lb_flexible_shape_bounded, service(annotations)) is expected


def tf(kind: str, label: str, source: str = "terraform", **attrs: Any) -> Resource:
    return Resource(kind, f"{kind}.{label}", attrs, Provenance(source), {"scope": "/repo"})


def ref(kind: str, label: str) -> Unknown:
    return Unknown("after apply", nonnull=True, ref=f"{kind}.{label}", symbol=f"{kind}.{label}.id")


def test_public_lb_behind_waf() -> None:
    lb = tf("oci_load_balancer_load_balancer", "public", is_private=False)
    waf = tf(
        "oci_waf_web_app_firewall", "w", load_balancer_id=ref("oci_load_balancer_load_balancer", "public")
    )
    other = tf(
        "oci_waf_web_app_firewall", "o", load_balancer_id=ref("oci_load_balancer_load_balancer", "other")
    )
    assert public_lb_behind_waf(lb, ResourceIndex([lb, waf]), {}).result is True
    assert public_lb_behind_waf(lb, ResourceIndex([lb, other]), {}).result is False
    private = tf("oci_load_balancer_load_balancer", "p", is_private=True)
    assert public_lb_behind_waf(private, ResourceIndex([private]), {}).result is True
    # live: joined by OCID; no firewall names it -> failed, unless firewalls were not collected
    live = tf(
        "oci_load_balancer_load_balancer", "l", source="oci", is_private=False, id="ocid1.loadbalancer.oc1..l"
    )
    live_waf = tf(
        "oci_waf_web_app_firewall", "lw", source="oci", load_balancer_id="ocid1.loadbalancer.oc1..l"
    )
    assert public_lb_behind_waf(live, ResourceIndex([live, live_waf]), {}).result is True
    assert public_lb_behind_waf(live, ResourceIndex([live]), {}).result is False
    live.context["missing_types"] = ["waf.WebAppFirewall"]
    assert public_lb_behind_waf(live, ResourceIndex([live]), {}).result is None
    # a firewall listed but not readable (its GET failed) may be the one: unknown
    unread = tf("oci_waf_web_app_firewall", "u", source="oci")
    unread.context["not_collected"] = "read web-app-firewall missing"
    live.context["missing_types"] = []
    assert public_lb_behind_waf(live, ResourceIndex([live, unread]), {}).result is None


@pytest.mark.parametrize(
    ("resource", "params", "expected"),
    [
        (tf("oci_load_balancer_load_balancer", "a", is_private=True), {}, True),
        (tf("oci_load_balancer_load_balancer", "a"), {}, False),  # is_private defaults to false
        (tf("oci_network_load_balancer_network_load_balancer", "a", is_private=False), {}, False),
        (tf("oci_load_balancer_load_balancer", "a", is_private=Unknown("var")), {}, None),
        (
            tf("oci_load_balancer_load_balancer", "a", display_name="front-door"),
            {"public_allowed": ["front-*"]},
            True,
        ),
        (tf("oci_load_balancer_load_balancer", "a"), {"allow_public": True}, True),
        (service({INTERNAL_LB: "true"}), {}, True),
        (service({INTERNAL_LB: "true", LB_TYPE: "nlb"}), {}, False),  # the LB annotation on an NLB
        (service({INTERNAL_NLB: "true", LB_TYPE: "nlb"}), {}, True),
        (service({}), {"public_allowed": ["Service/edge"]}, True),
        (service({}, type="ClusterIP"), {}, True),
        (service({}, type=Unknown("chart default")), {}, None),
    ],
)
def test_lb_exposure_allowed(resource: Resource, params: dict, expected: bool | None) -> None:
    assert lb_exposure_allowed(resource, ResourceIndex([resource]), params).result is expected
