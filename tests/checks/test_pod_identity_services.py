"""OCI-HA-402 finds the Service of a workload through the Services of its scope and namespace,
grouped once per scan: the same index answers many workloads, and each answer is the one a
fresh look would give (namespace, scope and selector all count; a new scan is a new index)."""

from __future__ import annotations

from typing import Any

from scanner.checks.pod_identity import served_workload_has_readiness_probe
from scanner.engine.registry import ResourceIndex
from scanner.model import Provenance, Resource


def _k8s(kind: str, name: str, namespace: str | None, scope: str, **attrs: Any) -> Resource:
    context: dict[str, Any] = {"scope": scope}
    if namespace is not None:
        context["namespace"] = namespace
    return Resource(f"k8s.{kind}", f"{kind}/{namespace}/{name}", attrs, Provenance("kubernetes"), context)


def _service(app: str, namespace: str | None, scope: str = "/m") -> Resource:
    return _k8s("Service", app, namespace, scope, spec={"selector": {"app": app}})


def _deployment(app: str, namespace: str | None, scope: str = "/m") -> Resource:
    """A workload without a readiness probe: it fails only where a Service selects it."""
    spec = {"template": {"spec": {"containers": [{"name": "app", "image": "app:1"}]}}}
    return _k8s("Deployment", app, namespace, scope, spec=spec, workload={"labels": {"app": app}})


def _served(workload: Resource, index: ResourceIndex) -> bool:
    return served_workload_has_readiness_probe(workload, index, {}).result is False


def test_each_workload_is_joined_with_the_services_of_its_own_namespace_and_scope():
    services = [_service("pay", "pay"), _service("web", None), _service("api", "other", scope="/n")]
    cases = [
        (_deployment("pay", "pay"), True),
        (_deployment("pay", "default"), False),  # the pay Service is in namespace pay
        (_deployment("web", None), True),  # no namespace: "default" on both sides
        (_deployment("web", "default"), True),
        (_deployment("web", "pay"), False),
        (_deployment("api", "other", scope="/n"), True),
        (_deployment("api", "other"), False),  # same namespace, other scope
        (_deployment("nobody", "pay"), False),  # no Service selects it
    ]
    index = ResourceIndex([*services, *(w for w, _ in cases)])
    expected = [(w.address, w.context["scope"], served) for w, served in cases]
    for _ in range(2):  # the second round answers from what the first one grouped
        assert [(w.address, w.context["scope"], _served(w, index)) for w, _ in cases] == expected


def test_a_new_scan_is_not_answered_from_the_last_one():
    workload = _deployment("pay", "pay")
    assert _served(workload, ResourceIndex([workload, _service("pay", "pay")]))
    assert not _served(workload, ResourceIndex([workload]))
