"""OCI-HA-102 / OCI-HA-105: a fault-domain spread counts as an AD spread only in a one-AD region,
and the ingress controller needs a PodDisruptionBudget (issue 15, §4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.model import Status
from scanner.workflow.config import Settings
from scanner.workflow.scan import ScanOptions, run_scan

SPREAD = """  template:
    metadata:
      labels: {{app: web}}
    spec:
      topologySpreadConstraints:
        - {{maxSkew: 1, topologyKey: {key}, whenUnsatisfiable: ScheduleAnyway}}
"""


def deployment(key: str, name: str = "web", namespace: str = "shop", replicas: int = 3) -> str:
    return f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {namespace}, labels: {{app.kubernetes.io/name: ingress-nginx}}}}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: web}}
{SPREAD.format(key=key)}      containers:
        - {{name: c, image: registry.k8s.io/ingress-nginx/controller:v1.11.2}}
"""


APP = """apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 100
              podAffinityTerm: {topologyKey: %s, labelSelector: {matchLabels: {app: api}}}
      containers: [{name: api, image: fra.ocir.io/bank/api:1.0}]
"""

FD = "oci.oraclecloud.com/fault-domain"
ZONE = "topology.kubernetes.io/zone"


def judge(rule_id: str, text: str, **parameters) -> list[tuple[Status, str | None]]:
    settings = Settings(parameters=dict(parameters)) if parameters else None
    result, _ = run_scan([Path("-")], ScanOptions(rule_ids=[rule_id], stdin_text=text, settings=settings))
    assert result.input_errors == []
    return [(f.status, f.message) for f in result.findings if f.rule_id == rule_id]


@pytest.mark.parametrize(
    ("region", "expected"),
    [("eu-amsterdam-1", Status.PASSED), ("eu-frankfurt-1", Status.FAILED), ("xx-nowhere-1", Status.UNKNOWN)],
)
def test_fault_domain_spread_counts_only_in_a_single_ad_region(region: str, expected: Status):
    ((status, detail),) = judge("OCI-HA-102", APP % FD, cluster_region=region)
    assert status is expected, detail
    if expected is not Status.PASSED:  # the message says which region decided it
        assert region in detail


def test_fault_domain_spread_without_a_known_region_is_unknown_not_passed():
    ((status, detail),) = judge("OCI-HA-102", APP % FD)
    assert status is Status.UNKNOWN
    assert "cluster_region" in detail


def test_zone_spread_passes_in_any_region_and_hostname_spread_fails_in_every_one():
    for region in ("eu-amsterdam-1", "eu-frankfurt-1", None):
        params = {"cluster_region": region} if region else {}
        assert judge("OCI-HA-102", APP % ZONE, **params)[0][0] is Status.PASSED
        assert judge("OCI-HA-102", APP % "kubernetes.io/hostname", **params)[0][0] is Status.FAILED


def test_region_comes_from_the_oke_cluster_declared_in_the_same_scan(tmp_path: Path):
    (tmp_path / "app.yaml").write_text(APP % FD)

    def cluster(name: str, region: str) -> str:
        return f"""provider "oci" {{
  alias  = "{name}"
  region = "{region}"
}}
resource "oci_containerengine_cluster" "{name}" {{
  provider           = oci.{name}
  compartment_id     = "ocid1.compartment.oc1..x"
  kubernetes_version = "v1.30.1"
  name               = "{name}"
  vcn_id             = "ocid1.vcn.oc1..x"
}}
"""

    def status() -> Status:
        result, _ = run_scan([tmp_path], ScanOptions(rule_ids=["OCI-HA-102"]))
        (finding,) = [f for f in result.findings if f.resource.kind == "k8s.Deployment"]
        return finding.status

    (tmp_path / "a.tf").write_text(cluster("a", "ca-toronto-1"))
    assert status() is Status.PASSED
    (tmp_path / "a.tf").write_text(cluster("a", "us-ashburn-1"))
    assert status() is Status.FAILED
    # Two clusters in regions of different AD counts: which one runs the workload is not known.
    (tmp_path / "b.tf").write_text(cluster("b", "ca-toronto-1"))
    assert status() is Status.UNKNOWN


PDB = """apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: shop}
spec:
  %s
  selector: {matchLabels: {app: web}}
"""


def test_ingress_controller_needs_a_budget_that_allows_one_eviction():
    controller = deployment(ZONE)
    assert judge("OCI-HA-105", controller)[0][0] is Status.FAILED
    assert judge("OCI-HA-105", controller + "---\n" + PDB % "minAvailable: 1")[0][0] is Status.PASSED
    assert judge("OCI-HA-105", controller + "---\n" + PDB % "minAvailable: 3")[0][0] is Status.FAILED


def test_ingress_controller_spread_over_fault_domains_follows_the_region():
    controller = deployment(FD) + "---\n" + PDB % "maxUnavailable: 1"
    assert judge("OCI-HA-105", controller, cluster_region="ap-tokyo-1")[0][0] is Status.PASSED
    assert judge("OCI-HA-105", controller, cluster_region="us-phoenix-1")[0][0] is Status.FAILED


def _chart_values(tmp_path: Path, body: str) -> list[Status]:
    chart = tmp_path / "ingress-nginx"
    chart.mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: ingress-nginx\nversion: 4.11.2\n")
    (chart / "values.yaml").write_text(body)
    result, _ = run_scan([chart], ScanOptions(rule_ids=["OCI-HA-105"]))
    assert result.input_errors == []
    return [f.status for f in result.findings]


SPREAD_VALUES = """controller:
  replicaCount: 3
  topologySpreadConstraints: [{maxSkew: 1, topologyKey: topology.kubernetes.io/zone}]
"""


def test_chart_values_rely_on_the_chart_rendering_its_budget(tmp_path: Path):
    # ingress-nginx renders a PDB (minAvailable 1) whenever more than one replica runs.
    assert _chart_values(tmp_path, SPREAD_VALUES) == [Status.PASSED]


def test_chart_values_whose_budget_keeps_every_replica_fail(tmp_path: Path):
    assert _chart_values(tmp_path, SPREAD_VALUES + "  minAvailable: 3\n") == [Status.FAILED]
