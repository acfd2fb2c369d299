"""Files of a chart that its templates read with ``.Files`` are chart data (issue 17, heldout15:
kubescape-operator's ``assets/*-cronjob-full.yaml``, CronJob bodies with ``{{ .Values.x }}`` that
``tpl (.Files.Get …)`` puts into ConfigMaps): a note naming the template that reads them, never
an input error, and never judged as manifests; a PEM key written in one is still OCI-SEC-007. A
templated file no template reads, and any templated file outside a chart, keeps its error.
Fixture: ``fixtures/helm/chart-data`` (shaped like kubescape-operator)."""

from __future__ import annotations

import shutil

from helm_scan import FIX, _env  # noqa: F401  (_env: the shared autouse fixture)

from scanner.sources.helm.chartdata import files_read_by_templates, template_reading
from scanner.workflow.scan import ScanOptions, run_scan

CHART = FIX / "chart-data"
CONFIGMAP = "templates/scan-cronjob-configmap.yaml"


def _scan(path):
    result, _ = run_scan([path], ScanOptions(cache_dir=None))
    return result


def test_files_the_templates_read_literal_and_built_with_printf():
    readers = files_read_by_templates(CHART)
    assert ("assets/scan-cronjob-full.yaml", CONFIGMAP) in readers
    assert ("assets/*-report.yaml", CONFIGMAP) in readers  # printf "assets/%s-report.yaml"
    assert template_reading("assets/scan-report.yaml", readers) == CONFIGMAP
    assert template_reading("assets/other.yaml", readers) is None


def test_chart_data_is_a_note_not_an_input_error():
    result = _scan(CHART)
    by_file = {e.path.rsplit("/", 1)[-1]: e for e in result.errors}
    assert {n: e.level for n, e in by_file.items()} == {
        "scan-cronjob-full.yaml": "note",
        "scan-report.yaml": "note",
    }
    assert CONFIGMAP in by_file["scan-cronjob-full.yaml"].message
    assert not [e for e in result.errors if e.level == "error"]

    # not read as manifests: no CronJob, no Secret of the data files; still files (OCI-SEC-007)
    from scanner.sources.helm import load_kubernetes

    loaded = load_kubernetes(sorted(CHART.rglob("*.yaml")), CHART)
    assert not [r for r in loaded.resources if r.kind in ("k8s.CronJob", "k8s.Secret")]
    assert {"assets/scan-cronjob-full.yaml", "assets/scan-report.yaml"} <= set(loaded.files)


def test_a_pem_key_in_chart_data_is_still_found():
    result = _scan(CHART)
    failed = [
        (f.rule_id, f.location.file.rsplit("/", 1)[-1]) for f in result.findings if f.status.name == "FAILED"
    ]
    assert ("OCI-SEC-007", "scan-report.yaml") in failed
    assert ("OCI-SEC-007", "notary-config.yaml") in failed  # files/: embedded data, still a file


def test_a_templated_file_no_template_reads_keeps_its_error(tmp_path):
    chart = tmp_path / "chart-data"
    shutil.copytree(CHART, chart)
    (chart / "assets" / "legacy-deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: legacy\nspec:\n"
        "  replicas: {{ .Values.legacyReplicas }}\n"
    )
    errors = {e.path.rsplit("/", 1)[-1]: e.level for e in _scan(chart).errors}
    assert errors["legacy-deployment.yaml"] == "error"
    assert errors["scan-cronjob-full.yaml"] == "note"


def test_outside_a_chart_template_syntax_stays_an_input_error(tmp_path):
    shutil.copytree(CHART / "assets", tmp_path / "assets")
    levels = {e.path.rsplit("/", 1)[-1]: e.level for e in _scan(tmp_path).errors}
    assert levels == {"scan-cronjob-full.yaml": "error", "scan-report.yaml": "error"}


def test_a_manifest_the_templates_read_is_data_too(tmp_path):
    # assets/debug-deployment.yaml parses (no template syntax): read by a template, it is data
    # the operator uses, not a Deployment of one replica; unread, it is a manifest beside the chart
    failed = {
        f.location.file
        for f in _scan(CHART).findings
        if f.status.name == "FAILED" and f.rule_id.startswith("OCI-HA")
    }
    assert not [f for f in failed if "debug-deployment" in f]
    assert "debug-deployment.yaml" not in {e.path.rsplit("/", 1)[-1] for e in _scan(CHART).errors}
    chart = tmp_path / "chart-data"
    shutil.copytree(CHART, chart)
    (chart / "templates" / "scan-cronjob-configmap.yaml").write_text("")
    result = _scan(chart)
    ha = {
        (f.rule_id, f.location.file.rsplit("/", 1)[-1]) for f in result.findings if f.status.name == "FAILED"
    }
    assert ("OCI-HA-101", "debug-deployment.yaml") in ha


def test_read_paths_are_bounded(tmp_path):
    from scanner.sources.helm.chartdata import MAX_READ_PATTERNS

    chart = tmp_path / "many"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: many\nversion: 0.1.0\n")
    calls = "".join(f'{{{{ .Files.Get "assets/f{i}.yaml" }}}}\n' for i in range(MAX_READ_PATTERNS + 50))
    (chart / "templates" / "cm.yaml").write_text(calls + calls)  # each path twice: kept once
    readers = files_read_by_templates(chart)
    assert len(readers) == MAX_READ_PATTERNS
    assert readers[0] == ("assets/f0.yaml", "templates/cm.yaml")
