"""Unit tests for the load balancer listener TLS check (OCI-ENC-010)."""

from __future__ import annotations

from typing import Any

from scanner.checks.network import listener_terminates_tls
from scanner.engine.registry import ResourceIndex
from scanner.model import Provenance, Resource, Unknown

LB = Unknown(
    "managed resource id",
    nonnull=True,
    ref="oci_load_balancer_load_balancer.web",
    symbol="oci_load_balancer_load_balancer.web.id",
)
OTHER_LB = Unknown(
    "managed resource id",
    nonnull=True,
    ref="oci_load_balancer_load_balancer.api",
    symbol="oci_load_balancer_load_balancer.api.id",
)


def make(kind: str, address: str, scope: str = "/repo", **attrs: Any) -> Resource:
    return Resource(
        kind=kind,
        address=address,
        attributes=attrs,
        provenance=Provenance(source="terraform"),
        context={"scope": scope, "module": ""},
    )


def listener(**attrs: Any) -> Resource:
    base = {
        "load_balancer_id": LB,
        "name": "http",
        "port": 80,
        "protocol": "HTTP",
        "default_backend_set_name": "web",
    }
    base.update(attrs)
    return make("oci_load_balancer_listener", "oci_load_balancer_listener.http", **base)


def redirect_rule_set(
    name: str = "to_https",
    protocol: Any = "https",
    lb: Any = LB,
    address: str = "oci_load_balancer_rule_set.to_https",
    scope: str = "/repo",
) -> Resource:
    items = [
        {
            "action": "REDIRECT",
            "conditions": [{"attribute_name": "PATH", "attribute_value": "/"}],
            "redirect_uri": [{"protocol": protocol, "port": 443}],
            "response_code": 301,
        }
    ]
    return make(
        "oci_load_balancer_rule_set", address, scope=scope, load_balancer_id=lb, name=name, items=items
    )


def run(res: Resource, *others: Resource, **params: Any):
    return listener_terminates_tls(res, ResourceIndex([res, *others]), params)


def test_https_listener_passes():
    res = listener(port=443, protocol="HTTP", ssl_configuration=[{"certificate_name": "web-cert"}])
    assert run(res).result is True


def test_plain_http_without_rule_sets_fails_on_protocol():
    out = run(listener())
    assert out.result is False
    assert out.path == "protocol"


def test_http_redirect_by_literal_name_passes():
    assert run(listener(rule_set_names=["to_https"]), redirect_rule_set()).result is True


def test_http_redirect_by_reference_passes():
    ref = Unknown(
        "attribute not written",
        nonnull=True,
        ref="oci_load_balancer_rule_set.to_https",
        symbol="oci_load_balancer_rule_set.to_https.name",
    )
    assert run(listener(rule_set_names=[ref]), redirect_rule_set()).result is True


def test_redirect_keeping_http_fails():
    out = run(listener(rule_set_names=["to_https"]), redirect_rule_set(protocol="{protocol}"))
    assert out.result is False
    assert out.path == "rule_set_names"


def test_rule_set_of_another_load_balancer_does_not_count():
    # Same name on a different load balancer: the listener's own LB has no such rule set.
    out = run(listener(rule_set_names=["to_https"]), redirect_rule_set(lb=OTHER_LB))
    assert out.result is None


def test_rule_set_in_another_scope_is_not_joined():
    out = run(listener(rule_set_names=["to_https"]), redirect_rule_set(scope="/other-root"))
    assert out.result is None


def test_header_only_rule_set_fails():
    headers = make(
        "oci_load_balancer_rule_set",
        "oci_load_balancer_rule_set.headers",
        load_balancer_id=LB,
        name="headers",
        items=[{"action": "ADD_HTTP_RESPONSE_HEADER", "header": "X-Frame-Options", "value": "DENY"}],
    )
    assert run(listener(rule_set_names=["headers"]), headers).result is False


def test_unknown_redirect_protocol_is_unknown():
    proto = Unknown("variable without value", symbol="var.redirect_protocol")
    assert run(listener(rule_set_names=["to_https"]), redirect_rule_set(protocol=proto)).result is None


def test_unknown_protocol_is_unknown():
    assert run(listener(protocol=Unknown("variable without value", symbol="var.proto"))).result is None


def test_tcp_passthrough_port_is_a_parameter():
    tcp = listener(protocol="TCP", port=443)
    assert run(tcp).result is True
    assert run(listener(protocol="TCP", port=5432)).result is False
    assert run(listener(protocol="TCP", port=5432), passthrough_tls_ports=[5432]).result is True
