"""``ResourceIndex.same_scope`` groups each kind by scope once (a join of every workload with the
Services of its scope was quadratic): the answers must be those of filtering the kind each time."""

from __future__ import annotations

import itertools

from scanner.engine.registry import ResourceIndex
from scanner.model import Provenance, Resource


def _res(kind: str, name: str, scope: object) -> Resource:
    context = {} if scope is None else {"scope": scope}
    return Resource(kind, name, {}, Provenance("helm"), context)


def _filtered(resources: list[Resource], resource: Resource, kind: str) -> list[Resource]:
    scope = resource.context.get("scope")
    return [r for r in resources if r.kind == kind and r.context.get("scope") == scope]


def test_same_scope_answers_as_filtering_the_kind_in_scan_order():
    scopes = ["helm:a:base", "helm:a:prod", "", None, "k8s:manifests"]
    kinds = ["k8s.Service", "k8s.Deployment"]
    resources = [
        _res(kind, f"{kind}/{i}", scope)
        for i, (kind, scope) in enumerate(itertools.product(kinds, scopes * 3))
    ]
    index = ResourceIndex(resources)
    for resource, kind in itertools.product(resources, [*kinds, "k8s.Ingress"]):
        assert index.same_scope(resource, kind) == _filtered(resources, resource, kind)
    # Asked again (grouped now), the same answers.
    for resource in resources:
        assert index.same_scope(resource, "k8s.Service") == _filtered(resources, resource, "k8s.Service")


def test_same_scope_returns_a_list_the_caller_may_change():
    svc = _res("k8s.Service", "svc", "s")
    index = ResourceIndex([svc, _res("k8s.Deployment", "d", "s")])
    first = index.same_scope(svc, "k8s.Service")
    first.clear()
    assert index.same_scope(svc, "k8s.Service") == [svc]


def test_unhashable_scopes_still_join_by_equality():
    a, b = _res("k8s.Service", "a", ["root", "x"]), _res("k8s.Service", "b", ["root", "y"])
    plain = _res("k8s.Service", "c", "root")
    index = ResourceIndex([a, b, plain])
    assert index.same_scope(_res("k8s.Deployment", "d", ["root", "x"]), "k8s.Service") == [a]
    assert index.same_scope(_res("k8s.Deployment", "d", "root"), "k8s.Service") == [plain]
    # A kind whose scopes are all strings (grouped), asked from a resource with a list scope.
    index2 = ResourceIndex([plain, _res("k8s.Service", "e", "other")])
    assert index2.same_scope(plain, "k8s.Service") == [plain]
    assert index2.same_scope(_res("k8s.Deployment", "d", ["root"]), "k8s.Service") == []
