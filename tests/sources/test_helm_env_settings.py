"""An `env:` map is container environment only when the templates render it whole; a map the
templates read field by field is settings (pgadmin4, issue 17 heldout10): its password is a
plaintext value in the values (OCI-SEC-101), not a container variable (OCI-SEC-102). The short
password is masked in the report, the prose of the comment above it is not."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.cli import app
from scanner.model import Status
from scanner.workflow.scan import ScanOptions, run_scan

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "fixtures" / "helm" / "env-settings-map"
RULES = ["OCI-SEC-101", "OCI-SEC-102"]
runner = CliRunner()


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)  # quoted source lines are read relative to the scan's root
    monkeypatch.setenv("OCISEC_CACHE_DIR", str(tmp_path / "cache"))


def _failed(chart: Path) -> set[tuple[str, str, int]]:
    result, _ = run_scan([chart], ScanOptions(rule_ids=RULES, cache_dir=None))
    return {
        (f.rule_id, f.attribute or "", f.location.start_line)
        for f in result.findings
        if f.status is Status.FAILED
    }


def test_env_map_read_field_by_field_is_settings_not_container_env():
    assert _failed(CHART) == {("OCI-SEC-101", "values.env.password", 8)}


def test_env_map_rendered_whole_stays_container_env(tmp_path):
    chart = tmp_path / "rendered-env"
    shutil.copytree(CHART, chart)
    (chart / "templates" / "auth-secret.yaml").unlink()
    (chart / "templates" / "statefulset.yaml").write_text(
        "apiVersion: apps/v1\nkind: StatefulSet\nspec:\n  replicas: {{ .Values.replicaCount }}\n"
        "  template:\n    spec:\n      containers:\n        - name: console\n          env:\n"
        "            {{- range $k, $v := .Values.env }}\n            - name: {{ $k }}\n"
        "              value: {{ $v | quote }}\n            {{- end }}\n"
    )
    found = _failed(chart)
    assert {rule for rule, _, _ in found} == {"OCI-SEC-102"}
    assert all(line == 8 for _, _, line in found)


def test_report_masks_the_value_and_keeps_the_comment():
    chart = str(CHART.relative_to(ROOT))
    res = runner.invoke(app, ["scan", chart, "--no-color", "--rule", "OCI-SEC-101"])
    assert res.exit_code == 1, res.output
    assert '>  8 |   password: "***"' in res.stdout  # the quoted source line masks the value
    assert "for the admin password" in res.stdout  # and leaves the prose of the comment
    assert "password: admin" not in res.stdout
    assert "email: admin@example.com" in res.stdout  # a longer value holding the word is kept
