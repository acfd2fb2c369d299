"""An empty strategy in the values (`deployment.strategy: {}`) sets nothing: the strategy the
template writes in its `else` renders (kiali-server, issue 17 heldout11); an autoscaler's floor is
the value its template writes as `minReplicas` (podinfo); a replica count the template computes
(`mul`) is evaluated (minio)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.model import Status
from scanner.workflow.scan import ScanOptions, run_scan

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "fixtures" / "helm" / "default-strategy"


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path):
    monkeypatch.setenv("OCISEC_CACHE_DIR", str(tmp_path / "cache"))


def test_template_default_strategy_renders_when_the_values_leave_it_empty():
    result, _ = run_scan([CHART], ScanOptions(rule_ids=["OCI-HA-104"], cache_dir=None))
    by_env = {f.resource.address: f for f in result.findings}
    base, prod = by_env["mesh-console/deployment[base]"], by_env["mesh-console/deployment[prod]"]
    assert base.status is Status.FAILED  # the template's maxUnavailable: 1 against one replica
    assert (Path(base.location.file).as_posix().split("default-strategy/")[-1], base.location.start_line) == (
        "templates/deployment.yaml",
        13,
    )
    assert prod.status is Status.PASSED  # prod's own strategy: 1 of 3 unavailable at a time


HPA = ROOT / "fixtures" / "helm" / "hpa-floor"


def test_autoscaler_floor_is_the_value_its_template_writes():
    """podinfo (heldout11): `minReplicas: {{ .Values.replicaCount }}` in the HPA template."""
    result, _ = run_scan([HPA], ScanOptions(rule_ids=["OCI-HA-101"], cache_dir=None))
    by_env = {f.resource.address: f for f in result.findings}
    prod, staging = by_env["echo-web[prod]"], by_env["echo-web[staging]"]
    assert prod.status is Status.FAILED  # the HPA may scale prod down to replicaCount: 1
    assert (Path(prod.location.file).name, prod.location.start_line) == ("values-prod.yaml", 1)
    assert staging.status is Status.PASSED  # staging's floor is replicaCount: 2


COMPUTED = ROOT / "fixtures" / "helm" / "computed-replicas"


def test_replica_count_computed_in_the_template_is_evaluated():
    """minio (heldout11): `$replicas := mul $poolCount $nodeCount`, then `replicas: {{ $replicas }}`."""
    rules = ["OCI-HA-101", "OCI-HA-102", "OCI-HA-103"]
    result, _ = run_scan([COMPUTED], ScanOptions(rule_ids=rules, cache_dir=None))
    got = {(f.rule_id, f.resource.address): f.status for f in result.findings}
    assert got[("OCI-HA-101", "object-store/statefulset[base]")] is Status.PASSED  # 1 x 4 pods
    assert got[("OCI-HA-102", "object-store/statefulset[base]")] is Status.FAILED  # 4 pods, no spread
    assert got[("OCI-HA-103", "object-store/statefulset[base]")] is Status.FAILED  # and no budget
    assert got[("OCI-HA-101", "object-store/statefulset[single]")] is Status.FAILED  # 1 x 1
    assert not any("deployment" in address for _, address in got)  # standalone mode is off


def test_an_empty_strategy_does_not_fall_through_to_the_daemonset_one(tmp_path):
    """haproxy (heldout9): `strategy: {}` for its Deployment, `updateStrategy` for its DaemonSet."""
    chart = tmp_path / "proxy"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: proxy\nversion: 1.0.0\n")
    (chart / "values.yaml").write_text(
        "kind: Deployment\nreplicaCount: 1\nstrategy: {}\n"
        "updateStrategy:\n  type: RollingUpdate\n  rollingUpdate:\n    maxUnavailable: 1\n"
    )
    (chart / "templates" / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: {{ .Values.replicaCount }}\n"
        "  {{- with .Values.strategy }}\n  strategy:\n    {{- toYaml . | nindent 4 }}\n  {{- end }}\n"
    )
    result, _ = run_scan([chart], ScanOptions(rule_ids=["OCI-HA-104"], cache_dir=None))
    assert [f.status for f in result.findings] == [Status.PASSED]


KIND_SWITCH = ROOT / "fixtures" / "helm" / "kind-switch"


def test_guards_below_a_kind_chosen_by_if_else_are_kept():
    """groundhog2k redis/postgres (heldout12): the kind's `{{ if }}` closes before `replicas:`."""
    result, _ = run_scan([KIND_SWITCH], ScanOptions(rule_ids=["OCI-HA-101", "OCI-HA-104"], cache_dir=None))
    got = {(f.rule_id, f.resource.address.split("[")[1]): f for f in result.findings}
    single = got[("OCI-HA-101", "base]")]
    assert single.status is Status.FAILED  # haMode off: the else branch's one pod, at the switch
    assert (Path(single.location.file).name, single.location.start_line) == ("values.yaml", 3)
    assert got[("OCI-HA-104", "base]")].status is Status.FAILED  # the non-HA Deployment: Recreate
    assert got[("OCI-HA-101", "ha]")].status is Status.PASSED  # 3 replicas in HA mode
    assert got[("OCI-HA-104", "ha]")].status is Status.PASSED  # a StatefulSet rolling update
