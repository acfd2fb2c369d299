"""Named Kubernetes checks: matching workloads to PDBs and HPAs, replica arithmetic, TLS coverage."""

from __future__ import annotations

from pathlib import Path

from scanner.model import Status
from scanner.workflow.scan import ScanOptions, run_scan


def deployment(name: str = "web", namespace: str = "shop", replicas: int = 3, extra: str = "") -> str:
    return f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  replicas: {replicas}
{extra}  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}, tier: front}}
    spec:
      containers:
        - {{name: web, image: nginx}}
"""


def pdb(namespace: str = "shop", spec: str = "maxUnavailable: 1", selector: str = "matchLabels: {app: web}") -> str:
    return f"""apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: web, namespace: {namespace}}}
spec:
  {spec}
  selector:
    {selector}
"""


def statuses(rule_id: str, *docs: str) -> list[tuple[str, Status]]:
    result, _ = run_scan([Path("-")], ScanOptions(rule_ids=[rule_id], stdin_text="---\n".join(docs)))
    assert result.input_errors == []
    return [(f.resource.address, f.status) for f in result.findings]


def test_pdb_matches_by_selector_within_the_namespace():
    assert statuses("OCI-HA-103", deployment(), pdb()) == [("Deployment/shop/web", Status.PASSED)]
    assert statuses("OCI-HA-103", deployment(), pdb(namespace="other")) == [("Deployment/shop/web", Status.FAILED)]
    expressions = "matchExpressions: [{key: tier, operator: In, values: [front, back]}]"
    assert statuses("OCI-HA-103", deployment(), pdb(selector=expressions))[0][1] is Status.PASSED
    other = "matchExpressions: [{key: tier, operator: NotIn, values: [front]}]"
    assert statuses("OCI-HA-103", deployment(), pdb(selector=other))[0][1] is Status.FAILED


def test_pdb_that_blocks_every_eviction_fails():
    for spec in ("maxUnavailable: 0", "minAvailable: 3", 'minAvailable: "100%"'):
        assert statuses("OCI-HA-103", deployment(), pdb(spec=spec))[0][1] is Status.FAILED, spec
    for spec in ("minAvailable: 2", 'maxUnavailable: "25%"', 'minAvailable: "50%"'):
        assert statuses("OCI-HA-103", deployment(), pdb(spec=spec))[0][1] is Status.PASSED, spec


def test_hpa_min_replicas_counts_for_replicas():
    hpa = """apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: %d
  maxReplicas: 6
"""
    assert statuses("OCI-HA-101", deployment(replicas=1), hpa % 3)[0][1] is Status.PASSED
    assert statuses("OCI-HA-101", deployment(replicas=5), hpa % 1)[0][1] is Status.FAILED
    # An HPA for another workload does not count.
    assert statuses("OCI-HA-101", deployment(replicas=1), (hpa % 3).replace("name: web}", "name: api}"))[0][
        1
    ] is Status.FAILED


def test_single_replica_workload_is_not_judged_for_spread_or_budget():
    assert statuses("OCI-HA-102", deployment(replicas=1)) == []
    assert statuses("OCI-HA-103", deployment(replicas=1)) == []


def test_update_strategy_arithmetic():
    def strategy(unavailable: str) -> str:
        return f"  strategy:\n    type: RollingUpdate\n    rollingUpdate: {{maxUnavailable: {unavailable}}}\n"

    assert statuses("OCI-HA-104", deployment(extra=strategy("2")))[0][1] is Status.PASSED
    assert statuses("OCI-HA-104", deployment(extra=strategy("3")))[0][1] is Status.FAILED
    assert statuses("OCI-HA-104", deployment(extra=strategy('"100%"')))[0][1] is Status.FAILED
    assert statuses("OCI-HA-104", deployment(extra=strategy('"50%"')))[0][1] is Status.PASSED


def test_wildcard_tls_covers_one_label_only():
    ingress = """apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: app}
spec:
  tls: [{hosts: ["*.bank.example"], secretName: wildcard}]
  rules: [{host: %s}]
"""
    assert statuses("OCI-ENC-101", ingress % "app.bank.example")[0][1] is Status.PASSED
    assert statuses("OCI-ENC-101", ingress % "a.b.bank.example")[0][1] is Status.FAILED
    assert statuses("OCI-ENC-101", ingress % "bank.example")[0][1] is Status.FAILED


def test_templated_replica_count_is_unknown_not_pass(tmp_path):
    (tmp_path / "values.yaml").write_text('replicaCount: "{{ .Values.global.replicas }}"\nimage: {repository: r}\n')
    result, _ = run_scan([tmp_path], ScanOptions(rule_ids=["OCI-HA-101"]))
    assert [f.status for f in result.findings] == [Status.UNKNOWN]
