"""An empty strategy in the values (`deployment.strategy: {}`) sets nothing: the strategy the
template writes in its `else` renders (kiali-server, issue 17 heldout11); an autoscaler's floor is
the value its template writes as `minReplicas` (podinfo)."""

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
