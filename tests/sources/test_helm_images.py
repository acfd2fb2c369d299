"""Chart values' images as OCI-SUP-403 reads them: what the values pin, what they leave to the
chart's defaults (unknown), and a chart whose templates cannot pin a digest."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.model import Status
from scanner.workflow.scan import ScanOptions, run_scan

DIGEST = "sha256:" + "cd" * 32


@pytest.fixture(autouse=True)
def _cache(monkeypatch, tmp_path):
    monkeypatch.setenv("OCISEC_CACHE_DIR", str(tmp_path / "cache"))


def statuses(path: Path) -> dict[str, Status]:
    result, _ = run_scan([path], ScanOptions(rule_ids=["OCI-SUP-403"]))
    assert result.errors == []
    return {f.resource.address: f.status for f in result.findings if f.rule_id == "OCI-SUP-403"}


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("    tag: v1.11.2\n", Status.UNKNOWN),  # the chart's default digest may still apply
        ("    tag: v1.11.2\n    digest: ''\n", Status.FAILED),  # written empty: no digest
        (f"    digest: '{DIGEST}'\n", Status.PASSED),
        ("    tag: latest\n    digest: ''\n", Status.FAILED),
    ],
)
def test_standalone_values(tmp_path, image, expected):
    values = tmp_path / "ingress-nginx-values.yaml"
    values.write_text("controller:\n  replicaCount: 2\n  image:\n" + image)
    assert statuses(values) == {"ingress-nginx/controller[base]": expected}


def test_a_chart_at_hand_has_no_digest_unless_its_values_give_one(tmp_path):
    chart = tmp_path / "app"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 1.0.0\nappVersion: 1.0.0\n")
    values = "replicaCount: 2\nimage:\n  repository: r.io/app\n  tag: ''\n"
    (chart / "values.yaml").write_text(values)
    (chart / "templates" / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n"
        "  replicas: {{ .Values.replicaCount }}\n  template:\n    spec:\n      containers:\n"
        "        - name: app\n          image: {{ .Values.image.repository }}:"
        "{{ .Values.image.tag | default .Chart.AppVersion }}{{ with .Values.image.digest }}@{{ . }}{{ end }}\n"
    )
    # the tag is the chart's appVersion, and nothing pins a digest: the image can change
    assert statuses(chart) == {"app[base]": Status.FAILED}
    (chart / "values-production.yaml").write_text(f"image:\n  digest: '{DIGEST}'\n")
    assert statuses(chart) == {"app[base]": Status.FAILED, "app[production]": Status.PASSED}
