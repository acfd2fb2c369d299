"""Unit tests for OCI-IAM-406 (pods cannot reach the instance metadata service) and OCI-HA-402
(served workloads have readiness probes)."""

from __future__ import annotations

from typing import Any

import pytest

from scanner.checks.pod_identity import (
    egress_allows_imds,
    pods_cannot_reach_imds,
    served_workload_has_readiness_probe,
)
from scanner.engine.registry import ResourceIndex
from scanner.model import Provenance, Resource


@pytest.mark.parametrize(
    ("egress", "allows"),
    [
        ([], False),
        ([{}], True),
        ([{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}], True),
        ([{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}}]}], False),
        ([{"to": [{"ipBlock": {"cidr": "169.254.0.0/16"}}]}], True),
        ([{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}], False),
        ([{"to": [{"namespaceSelector": {}}]}], False),
        ([{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 443}]}], False),
        ([{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 1, "endPort": 1024}]}], True),
        ([{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": "http"}]}], None),
        ([{"ports": [{"port": 53, "protocol": "UDP"}]}], False),
    ],
)
def test_egress_allows_imds(egress: list, allows: bool | None) -> None:
    assert egress_allows_imds({"egress": egress}) is allows


def k8s(kind: str, name: str, namespace: str, **attrs: Any) -> Resource:
    return Resource(
        f"k8s.{kind}",
        f"{kind}/{namespace}/{name}",
        attrs,
        Provenance("kubernetes"),
        {"scope": "/m", "namespace": namespace},
    )


def deployment(labels: dict, env: list | None = None, probe: bool = False) -> Resource:
    container: dict[str, Any] = {"name": "app", "image": "app:1"}
    if probe:
        container["readinessProbe"] = {"httpGet": {"path": "/ready", "port": 8080}}
    spec = {"template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}}}
    workload = {"labels": labels, "containers": [{"name": "app", "env": env or []}]}
    return k8s("Deployment", "app", "pay", spec=spec, workload=workload)


def policy(selector: dict, egress: list) -> Resource:
    return k8s(
        "NetworkPolicy",
        "np",
        "pay",
        spec={"podSelector": selector, "policyTypes": ["Egress"], "egress": egress},
    )


BLOCK = [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}}]}]


def test_pods_cannot_reach_imds() -> None:
    app = deployment({"app": "pay"})
    assert pods_cannot_reach_imds(app, ResourceIndex([app]), {}).result is False
    for selector in ({}, {"matchLabels": {"app": "pay"}}):
        np = policy(selector, BLOCK)
        assert pods_cannot_reach_imds(app, ResourceIndex([app, np]), {}).result is True
    other = policy({"matchLabels": {"app": "other"}}, BLOCK)
    assert pods_cannot_reach_imds(app, ResourceIndex([app, other]), {}).result is False
    leaky = policy({}, [{}])
    assert pods_cannot_reach_imds(app, ResourceIndex([app, policy({}, BLOCK), leaky]), {}).result is False
    unsure = policy({"matchExpressions": [{"key": "app", "operator": "In", "values": ["pay"]}]}, BLOCK)
    assert pods_cannot_reach_imds(app, ResourceIndex([app, unsure]), {}).result is None


def test_instance_principal_pods_pass() -> None:
    auditor = deployment({"app": "audit"}, env=[{"name": "OCI_CLI_AUTH", "value": "instance_principal"}])
    assert pods_cannot_reach_imds(auditor, ResourceIndex([auditor]), {}).result is True


def test_served_workload_has_readiness_probe() -> None:
    svc = k8s("Service", "app", "pay", spec={"selector": {"app": "pay"}, "ports": [{"port": 80}]})
    bare, probed = deployment({"app": "pay"}), deployment({"app": "pay"}, probe=True)
    assert served_workload_has_readiness_probe(bare, ResourceIndex([bare, svc]), {}).result is False
    assert served_workload_has_readiness_probe(probed, ResourceIndex([probed, svc]), {}).result is True
    assert served_workload_has_readiness_probe(bare, ResourceIndex([bare]), {}).result is True  # not served
