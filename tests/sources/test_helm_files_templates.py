"""Workloads a chart writes under files/ and renders with `tpl (.Files.Get ...)` are read as
templates (nats, issue 17 heldout7), and a replica count switched by the component's own
`enabled` flag renders one pod when the flag is off. A pod spec's placement is read from the
values path the template names (gatekeeper)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.model import Status
from scanner.sources.helm.charts import scan_templates
from scanner.workflow.scan import ScanOptions, run_scan

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "fixtures" / "helm" / "files-templates"


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path):
    monkeypatch.setenv("OCISEC_CACHE_DIR", str(tmp_path / "cache"))


def _ha101(chart: Path) -> dict[str, tuple[Status, str, int]]:
    result, _ = run_scan([chart], ScanOptions(rule_ids=["OCI-HA-101"], cache_dir=None))
    return {
        f.resource.address: (f.status, Path(f.location.file).as_posix().split("files-templates/")[-1],
                             f.location.start_line)
        for f in result.findings
    }


def test_files_rendered_with_tpl_are_templates():
    found = {w.template: w.kind for w in scan_templates(CHART).workloads}
    assert found == {"files/stateful-set/stateful-set.yaml": "StatefulSet", "files/box/deployment.yaml": "Deployment"}


def test_files_are_not_templates_without_tpl(tmp_path):
    chart = tmp_path / "plain"
    (chart / "templates").mkdir(parents=True)
    (chart / "files").mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: plain\nversion: 1.0.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        'kind: ConfigMap\ndata:\n  init.yaml: {{ .Files.Get "files/job.yaml" | quote }}\n'
    )
    (chart / "files" / "job.yaml").write_text("kind: Deployment\nspec:\n  replicas: 1\n")
    assert scan_templates(chart).workloads == []  # data shipped in a ConfigMap, not rendered


def test_single_replica_workloads_under_files_are_found_per_environment():
    found = _ha101(CHART)
    assert found["msgbus/box[base]"] == (Status.FAILED, "files/box/deployment.yaml", 6)
    # the cluster switch is off in base: `replicas: 1`, pointed at the switch that decides it
    assert found["msgbus/config.cluster[base]"] == (Status.FAILED, "values.yaml", 3)
    status, file, line = found["msgbus/config.cluster[prod]"]
    assert status is Status.PASSED  # prod turns the cluster on with 3 replicas


PLACEMENT = ROOT / "fixtures" / "helm" / "placement-paths"


def test_placement_read_from_another_key_than_the_replicas():
    """gatekeeper (issue 17 heldout7): `replicas` at the top, the spread under controllerManager."""
    result, _ = run_scan([PLACEMENT], ScanOptions(rule_ids=["OCI-HA-102"], cache_dir=None))
    by_env = {f.resource.address: f for f in result.findings}
    base, prod = by_env["policy-guard[base]"], by_env["policy-guard[prod]"]
    assert base.status is Status.FAILED  # hostname anti-affinity and no spread constraint
    # found through controllerManager.*: at its anti-affinity's hostname-only topologyKey
    assert (Path(base.location.file).name, base.location.start_line) == ("values.yaml", 10)
    assert prod.status is Status.PASSED  # prod spreads over topology.kubernetes.io/zone
